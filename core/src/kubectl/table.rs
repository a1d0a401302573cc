//! kubectl's tables: left-aligned columns padded like Go's `tabwriter` with kubectl's settings
//! (minwidth 0, tabwidth 4, padding 3, padchar ' '), upper-case headers.

/// A table of text cells printed the way `kubectl get` prints them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// Column headers, e.g. `NAME`, `READY`.
    pub headers: Vec<String>,
    /// Rows of cells, one per object.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these headers and no rows.
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The table as kubectl prints it: each column as wide as its widest cell plus 3 spaces,
    /// the last column unpadded (so an empty last cell leaves the padding, as tabwriter does),
    /// a newline after every line.
    pub fn render(&self) -> String {
        let columns = self.headers.len();
        let mut widths = vec![0usize; columns];
        for row in std::iter::once(&self.headers).chain(self.rows.iter()) {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(self.rows.iter()) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(columns) {
                line.push_str(cell);
                if i + 1 < columns {
                    let pad = widths[i] - cell.chars().count() + 3;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(&line);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn columns_are_padded_by_three_spaces() {
        let mut t = Table::new(&["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
        t.push(vec![
            "nginx-deployment-67d4bdd6f5-cx2nz".into(),
            "1/1".into(),
            "Running".into(),
            "0".into(),
            "13s".into(),
        ]);
        assert_eq!(
            t.render(),
            "NAME                                READY   STATUS    RESTARTS   AGE\n\
             nginx-deployment-67d4bdd6f5-cx2nz   1/1     Running   0          13s\n"
        );
    }
}
