//! Replays every input kept in tests/fuzz_regressions/<target>/ through the function its fuzz
//! target runs (budgetlint::fuzzing; fuzz/fuzz_targets/), so that what the fuzzer once found stays
//! fixed. Each file is named in tests/fuzz_regressions/README.md with what it found.
//! A panic is a failure; a workbook may be refused, with an error the user is told.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use budgetlint::fuzzing::{self, WorkbookOutcome};
use budgetlint::read::grid::{GridCell, Value};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files.into_iter().map(|path| (path.clone(), std::fs::read(&path).unwrap())).collect()
}

/// Runs `run` on every kept input of `target` and on `inline` ones, naming each that panics.
fn replay(target: &str, inline: &[&[u8]], run: impl Fn(&[u8])) {
    let mut all = inputs(target);
    assert!(!all.is_empty(), "no kept input for {target}");
    all.extend(inline.iter().enumerate().map(|(i, bytes)| (PathBuf::from(format!("inline #{i}")), bytes.to_vec())));
    let failed: Vec<String> = all
        .iter()
        .filter(|(_, bytes)| catch_unwind(AssertUnwindSafe(|| run(bytes))).is_err())
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target}: {} input(s) panicked: {failed:?}", failed.len());
}

#[test]
fn workbook_inputs_are_checked_or_refused() {
    let inline: &[&[u8]] = &[
        b"",
        b"PK\x03\x04",
        b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
        b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
        b"<html><table><tr><td>\xe5\x90\x88\xe8\xae\xa1</td><td>1</td></tr></table></html>",
    ];
    replay("workbook", inline, |bytes| {
        let outcome = fuzzing::workbook(bytes);
        // A reader library's panic, contained, is a refusal too; the README names any kept for it.
        assert!(matches!(outcome, WorkbookOutcome::Checked { .. } | WorkbookOutcome::Refused(_) | WorkbookOutcome::ReaderPanicked(_)));
    });
    assert_eq!(fuzzing::workbook(b""), WorkbookOutcome::Refused("UnreadableWorkbook"));
}

#[test]
fn figure_inputs_read_without_panic() {
    replay("figure", &[b"", b"\n\n\n", b"\x01-0\t0.00%", b"\xff\xfe405.81"], fuzzing::figure);
}

#[test]
fn indicator_inputs_read_without_panic() {
    replay("indicator", &[b"", b"\n", "≥\n≤".as_bytes(), b"\xff\n\xfe"], fuzzing::indicator);
}

/// The figure target's list is read as a list: its cells reach the figure columns and the checks.
#[test]
fn the_figure_targets_list_is_read_as_one_table() {
    let cells = ["380.00", "270.00", "266.47", "100.00%", "380.00", "270.00", "266.47", "98.69%"]
        .map(|t| GridCell { value: Value::Text(t.into()), format: None, look: 0 });
    let grid = fuzzing::list_of_figures(cells.to_vec(), false);
    let workbook = budgetlint::read::workbook_from_grids(std::path::Path::new("figure.xlsx"), &[grid]);
    assert_eq!(workbook.tables.len(), 1);
    let rows = &workbook.tables[0].rows;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].actual.value().map(|v| v.to_string()).as_deref(), Some("266.47"));
}
