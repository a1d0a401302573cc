//! The playground's components, one per file.

pub mod cluster_view;
pub mod console;
pub mod decision_table;
pub mod editor;
pub mod files;
pub mod flow_view;
pub mod history;
pub mod node_card;
pub mod node_grid;
pub mod notice;
pub mod pod_chip;
pub mod pod_panel;
pub mod share_link;
pub mod timeline;
pub mod toolbar;
