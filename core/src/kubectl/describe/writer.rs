//! kubectl describe's `PrefixWriter`: every write starts with two spaces per level (`LEVEL_0` …
//! `LEVEL_4`), terminal escapes are made visible (`printers.WriteEscaped`), and everything goes
//! through one [`TabWriter`] that aligns the `Key:\tvalue` cells.

use crate::kubectl::tabwriter::TabWriter;

/// Column 0: `Name:`.
pub const LEVEL_0: usize = 0;
/// Two spaces: a container's name, a condition row.
pub const LEVEL_1: usize = 1;
/// Four spaces: a container's fields.
pub const LEVEL_2: usize = 2;
/// Six spaces: a state's Reason/Started, a mount.
pub const LEVEL_3: usize = 3;

/// The writer a describer prints into.
#[derive(Debug, Clone, Default)]
pub struct PrefixWriter {
    tw: TabWriter,
}

/// `printers.WriteEscaped`: ESC becomes `^[` and a carriage return `\r`, so object text cannot
/// drive the terminal.
fn escaped(text: &str) -> String {
    text.replace('\x1b', "^[").replace('\r', "\\r")
}

impl PrefixWriter {
    /// A writer with kubectl describe's tab settings.
    pub fn new() -> PrefixWriter {
        PrefixWriter::default()
    }

    /// `Write(level, …)`: the indent, then the already formatted text.
    pub fn write(&mut self, level: usize, text: &str) {
        let mut out = "  ".repeat(level);
        out.push_str(text);
        self.tw.write(&escaped(&out));
    }

    /// `WriteLine(text)`: the text and a newline, no indent.
    pub fn write_line(&mut self, text: &str) {
        self.tw.write(&escaped(&format!("{text}\n")));
    }

    /// `Flush`: the lines so far are aligned on their own.
    pub fn flush(&mut self) {
        self.tw.flush();
    }

    /// The finished text (`tabbedString`).
    pub fn finish(self) -> String {
        self.tw.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn levels_indent_by_two_and_escapes_are_visible() {
        let mut w = PrefixWriter::new();
        w.write(LEVEL_0, "Name:\tx\x1b[31m\r\n");
        w.write(LEVEL_2, "Image:\tnginx\n");
        w.write(LEVEL_0, "Labels:\t");
        w.write_line("<none>");
        assert_eq!(
            w.finish(),
            "Name:       x^[[31m\\r\n    Image:  nginx\nLabels:     <none>\n"
        );
    }
}
