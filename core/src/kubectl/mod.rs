//! kubectl's output formats, computed in the core so the CLI and the playground's console print
//! exactly the same text: ages, tables, apply lines.

pub mod age;
pub mod apply;
pub mod get;
pub mod pods;
pub mod printers;
pub mod table;
pub mod yaml;

pub use age::human_duration;
pub use table::Table;
