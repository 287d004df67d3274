//! Writing results: the annotated workbook, and every output through [`atomic::write_atomically`].

pub mod annotated;
pub mod atomic;
mod bulk_cells;
pub mod form_rollup;
mod splice;

use std::path::{Path, PathBuf};

pub use atomic::write_atomically;

use crate::error::Result;
use crate::read::grid::{no_grids_if_empty, read_grids_with_layout_within, Grid};
use crate::report::{Checked, Sheets};
use crate::settings::Settings;

/// Writes the annotated copy of `input`, whose sheets `grids` were read with their layout, to `output`;
/// never over an input.
///
/// # Errors
/// [`crate::Error::Write`] when the output is an input or cannot be written.
pub fn write_annotated(grids: &[Grid], checked: &Checked, settings: &Settings, output: &Path, inputs: &[PathBuf]) -> Result<()> {
    let copy = annotated::copy_sheets(grids);
    write_atomically(output, inputs, |out| copy.and_then(|copy| copy.finish(grids, checked, settings, out)).map_err(|e| e.to_string()))
}

/// What the caller of [`write_annotated_while`] reports from the check once the copy is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Everything: the documents' rows too (the frames, the checks across files made afterwards).
    Rows,
    /// The findings alone: the rows are let go before the copy is saved, which is where its writer
    /// needs most memory (a million-row list's rows are 250 MB).
    FindingsOnly,
}

/// Runs `check` on this thread while the sheets not spliced are copied on another, then writes the
/// annotated copy as [`write_annotated`] does. The check's result comes back even when writing fails.
/// The grids are the caller's no more: a long sheet's rows are dropped as they are written.
///
/// A sheet long enough to be streamed is not held whole meanwhile, where it can be read again: the
/// check lets go of its cells, and the copy, made afterwards, reads them again from the file.
pub fn write_annotated_while<F>(mut grids: Vec<Grid>, check: F, keep: Keep, settings: &Settings, output: &Path, inputs: &[PathBuf]) -> (Checked, Result<()>)
where
    F: FnOnce(Sheets<'_>) -> Checked,
{
    let (marked, mut checked) = if annotated::reads_cells_again(&grids) {
        let checked = check(Sheets::LettingGo(&mut grids));
        (annotated::copy_sheets(&grids).and_then(|copy| copy.mark_letting_go(grids, &checked, settings)), checked)
    } else {
        let (copy, checked) = crate::parallel::both(|| annotated::copy_sheets(&grids), || check(Sheets::Kept(&grids)));
        (copy.and_then(|copy| copy.mark_letting_go(grids, &checked, settings)), checked)
    };
    if keep == Keep::FindingsOnly {
        checked.let_go_of_rows();
    }
    let written = write_atomically(output, inputs, |out| marked.and_then(|marked| marked.save(out)).map_err(|e| e.to_string()));
    (checked, written)
}

/// Like [`write_annotated`] for a file checked earlier: reads its sheets again, with their layout.
///
/// # Errors
/// The read errors of the input, and those of [`write_annotated`].
pub fn annotate_file(input: &Path, checked: &Checked, settings: &Settings, output: &Path, inputs: &[PathBuf]) -> Result<()> {
    let grids = no_grids_if_empty(read_grids_with_layout_within(input, &settings.limits))?;
    write_annotated(&grids, checked, settings, output, inputs)
}

/// `附件1.xlsx` → `附件1.checked.xlsx`, beside the input or in `out_dir`.
pub fn annotated_path(input: &Path, out_dir: Option<&Path>) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "workbook".into());
    let dir = out_dir.map(Path::to_path_buf).or_else(|| input.parent().map(Path::to_path_buf)).unwrap_or_default();
    dir.join(format!("{stem}.checked.xlsx"))
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::read::grid::Value;
    use crate::report::check_sheets;

    const RESULTS: &str = "检查结果";
    const ROLLUP: &str = "重算汇总";

    #[test]
    fn a_copy_for_the_findings_alone_is_marked_as_one_that_keeps_the_rows() {
        let text = |t: &str| Value::Text(t.into());
        let rows = vec![
            vec![text("部室"), text("项目名称"), text("调整后预算金额"), text("实际支出金额"), text("预算支出比例")],
            vec![text("办公室"), text("宣传经费"), Value::Number(100.0), Value::Number(50.0), Value::Number(90.0)],
            vec![text("财务科"), text("培训经费"), Value::Number(100.0), Value::Number(50.0), Value::Number(50.0)],
        ];
        let grids = vec![Grid::from_values("附件1", rows)];
        let settings = Settings::default();
        let dir = std::env::temp_dir().join(format!("budgetlint-keep-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut written = Vec::new();
        for keep in [Keep::Rows, Keep::FindingsOnly] {
            let output = dir.join(format!("{keep:?}.xlsx"));
            let check = |sheets: Sheets<'_>| check_sheets(Path::new("附件1.xlsx"), sheets, &settings);
            let (checked, result) = write_annotated_while(grids.clone(), check, keep, &settings, &output, &[]);
            result.unwrap();
            let mut copy: Xlsx<_> = calamine::open_workbook(&output).unwrap();
            let sheets = [RESULTS, ROLLUP, "附件1"].map(|name| copy.worksheet_range(name).unwrap());
            written.push((checked.findings, checked.workbook.tables[0].rows.len(), sheets));
        }
        std::fs::remove_dir_all(&dir).unwrap();
        let (kept, let_go) = (&written[0], &written[1]);
        assert_eq!(kept.1, 2);
        assert_eq!(let_go.1, 0);
        assert!(kept.0.iter().any(|f| f.rule == "A001"));
        assert_eq!(kept.0, let_go.0);
        let rollup = &kept.2[1];
        assert!(rollup.rows().any(|row| row.contains(&Data::String("财务科".into()))));
        assert_eq!(kept.2, let_go.2);
    }
}
