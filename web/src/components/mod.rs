//! The playground's components, one per file.

pub mod cluster_view;
pub mod node_card;
