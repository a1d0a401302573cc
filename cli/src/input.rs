//! Reading the files a command names: `-` is standard input, and bytes become text as kubectl
//! reads them (invalid UTF-8 as U+FFFD, leaving the verdict to the parser).

use std::io::Read;

use podflow_core::intake::manifest_text;

/// The text of `path`, or the line to print on stderr.
pub fn read(path: &str) -> Result<String, String> {
    let bytes = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("error: reading standard input: {e}"))?;
        bytes
    } else {
        match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("error: the path \"{path}\" does not exist"))
            }
            Err(e) => return Err(format!("error: {path}: {e}")),
        }
    };
    Ok(manifest_text(&bytes).into_owned())
}
