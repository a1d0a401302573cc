//! Go's `text/tabwriter`, as `kubectl describe` configures it (minwidth 0, tabwidth 8, padding 2,
//! padchar ' ', no flags): tab-terminated cells of consecutive lines line up in column blocks.
//!
//! The rules that shape describe output, all from upstream:
//!
//! * a cell is text terminated by `\t` (or `\v`); the text after a line's last tab is not a cell
//!   and is never padded;
//! * a column block is a run of consecutive lines that all have a cell in that column; its width
//!   is the widest cell (in characters) plus the padding;
//! * a line with no tab at all flushes everything before it, so `Containers:` or `Conditions:`
//!   headings start fresh alignment blocks, as does an explicit [`TabWriter::flush`].

/// One cell: its text and whether a horizontal tab ended it.
#[derive(Debug, Clone, Default)]
struct Cell {
    text: String,
    width: usize,
}

/// A tab writer accumulating into a string.
#[derive(Debug, Clone)]
pub struct TabWriter {
    minwidth: usize,
    padding: usize,
    padchar: char,
    /// Complete and partial lines not yet formatted; the last is the line being built.
    lines: Vec<Vec<Cell>>,
    /// The cell being built.
    cell: String,
    widths: Vec<usize>,
    out: String,
}

impl Default for TabWriter {
    /// kubectl describe's writer: `tabwriter.NewWriter(buf, 0, 8, 2, ' ', 0)`.
    fn default() -> Self {
        TabWriter::new(0, 2, ' ')
    }
}

impl TabWriter {
    /// A writer with these settings (tabwidth only matters for tab padding, which kubectl never
    /// uses).
    pub fn new(minwidth: usize, padding: usize, padchar: char) -> TabWriter {
        TabWriter {
            minwidth,
            padding,
            padchar,
            lines: vec![Vec::new()],
            cell: String::new(),
            widths: Vec::new(),
            out: String::new(),
        }
    }

    /// Writes text; alignment happens when a block ends or on [`TabWriter::flush`].
    pub fn write(&mut self, text: &str) {
        for ch in text.chars() {
            match ch {
                '\t' | '\x0b' | '\n' | '\x0c' => {
                    let cells = self.terminate_cell();
                    if ch == '\n' || ch == '\x0c' {
                        self.lines.push(Vec::new());
                        if ch == '\x0c' || cells == 1 {
                            self.flush();
                        }
                    }
                }
                _ => self.cell.push(ch),
            }
        }
    }

    /// Ends the cell being built and returns how many cells its line now has.
    fn terminate_cell(&mut self) -> usize {
        let text = std::mem::take(&mut self.cell);
        let width = text.chars().count();
        let line = self
            .lines
            .last_mut()
            .expect("there is always a current line");
        line.push(Cell { text, width });
        line.len()
    }

    /// Formats and emits everything buffered (`Flush`).
    pub fn flush(&mut self) {
        if !self.cell.is_empty() {
            self.terminate_cell();
        }
        let n = self.lines.len();
        self.format(0, n);
        self.lines = vec![Vec::new()];
        self.widths.clear();
    }

    /// Flushes and returns everything written.
    pub fn finish(mut self) -> String {
        self.flush();
        self.out
    }

    /// `format`: finds the column blocks of column `widths.len()` in lines `line0..line1`.
    fn format(&mut self, mut line0: usize, line1: usize) {
        let column = self.widths.len();
        let mut this = line0;
        while this < line1 {
            if column + 1 >= self.lines[this].len() {
                this += 1;
                continue;
            }
            // A cell exists in this column: print the lines before the block, then the block.
            self.write_lines(line0, this);
            line0 = this;
            let mut width = self.minwidth;
            while this < line1 && column + 1 < self.lines[this].len() {
                width = width.max(self.lines[this][column].width + self.padding);
                this += 1;
            }
            self.widths.push(width);
            self.format(line0, this);
            self.widths.pop();
            line0 = this;
        }
        self.write_lines(line0, line1);
    }

    fn write_lines(&mut self, line0: usize, line1: usize) {
        for i in line0..line1 {
            for (j, c) in self.lines[i].iter().enumerate() {
                self.out.push_str(&c.text);
                if let Some(&w) = self.widths.get(j) {
                    self.out
                        .extend(std::iter::repeat_n(self.padchar, w.saturating_sub(c.width)));
                }
            }
            if i + 1 < self.lines.len() {
                self.out.push('\n');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn tab(text: &str) -> String {
        let mut w = TabWriter::default();
        w.write(text);
        w.finish()
    }

    #[test]
    fn consecutive_cells_share_a_column_padded_by_two() {
        assert_eq!(
            tab("Name:\tnginx\nNamespace:\tdefault\n"),
            "Name:       nginx\nNamespace:  default\n"
        );
    }

    #[test]
    fn a_line_without_a_tab_ends_the_block() {
        assert_eq!(
            tab("IP:\t10.0.0.1\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n"),
            "IP:  10.0.0.1\nIPs:\n  IP:           10.0.0.1\nControlled By:  ReplicaSet/web\n"
        );
    }

    #[test]
    fn nested_columns_align_only_where_lines_have_them() {
        assert_eq!(
            tab("  Type\tReason\tAge\n  Normal\tScheduled\t5s\nEvents:\t<none>\n"),
            "  Type    Reason     Age\n  Normal  Scheduled  5s\nEvents:   <none>\n"
        );
    }

    #[test]
    fn an_explicit_flush_starts_a_new_block_and_the_last_text_is_never_padded() {
        let mut w = TabWriter::default();
        w.write("QoS Class:\tBestEffort\n");
        w.flush();
        w.write("Events:\t<none>\n");
        assert_eq!(w.finish(), "QoS Class:  BestEffort\nEvents:  <none>\n");
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        assert_eq!(tab("é\tx\nab\ty\n"), "é   x\nab  y\n");
    }
}
