//! kubectl's output formats, computed in the core so the CLI and the playground's console print
//! exactly the same text: ages, tables, apply lines, `kubectl describe`.

pub mod age;
pub mod apply;
pub mod describe;
pub mod get;
pub mod pods;
pub mod printers;
pub mod selector;
pub mod table;
pub mod tabwriter;
pub mod yaml;

pub use age::human_duration;
pub use table::Table;
