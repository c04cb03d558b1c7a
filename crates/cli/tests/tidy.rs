//! Tidy: every Rust file in the workspace starts with a `//!` doc that says
//! what lives there, and no file grows past the size at which it is usually
//! two concepts.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target" && n != "fixtures") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_file_has_a_doc_and_a_reasonable_size() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&crates, &mut files);
    assert!(files.len() > 20);
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        if !text.starts_with("//!") {
            problems.push(format!("{} does not start with a `//!` doc", f.display()));
        }
        let lines = text.lines().count();
        if lines > 800 {
            problems.push(format!("{} has {lines} lines; split it along its concepts", f.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
