//! The playground's components, one per file.

pub mod cluster_view;
pub mod decision_table;
pub mod editor;
pub mod node_card;
pub mod notice;
pub mod pod_chip;
pub mod pod_panel;
pub mod share_link;
