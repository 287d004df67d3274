//! Writing results: the annotated workbook, and every output through [`atomic::write_atomically`].

pub mod annotated;
pub mod atomic;
pub mod form_rollup;

use std::path::{Path, PathBuf};

use rust_xlsxwriter::XlsxError;

pub use atomic::write_atomically;

use annotated::SheetsCopy;

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
    finish_into(annotated::copy_sheets(grids), grids, checked, settings, output, inputs)
}

/// Runs `check` on this thread while the sheets are copied on another, then writes the annotated
/// copy as [`write_annotated`] does. The check's result comes back even when writing fails.
/// The grids are the caller's no more: a long sheet's rows are dropped as they are written.
///
/// A sheet long enough to be streamed is not held whole meanwhile, where it can be read again: the
/// check lets go of its cells, and the copy, made afterwards, reads them again from the file.
pub fn write_annotated_while<F>(mut grids: Vec<Grid>, check: F, settings: &Settings, output: &Path, inputs: &[PathBuf]) -> (Checked, Result<()>)
where
    F: FnOnce(Sheets<'_>) -> Checked,
{
    if annotated::reads_cells_again(&grids) {
        let checked = check(Sheets::LettingGo(&mut grids));
        let written = finish_into(annotated::copy_sheets(&grids), &grids, &checked, settings, output, inputs);
        crate::parallel::drop_aside(grids);
        return (checked, written);
    }
    let (copy, checked) = crate::parallel::both(|| annotated::copy_sheets(&grids), || check(Sheets::Kept(&grids)));
    let written = write_atomically(output, inputs, |out| {
        copy.and_then(|copy| copy.finish_letting_go(grids, &checked, settings, out)).map_err(|e| e.to_string())
    });
    (checked, written)
}

/// Marks the findings on the copied sheets and writes the copy to `output`, atomically.
fn finish_into(copy: Result<SheetsCopy, XlsxError>, grids: &[Grid], checked: &Checked, settings: &Settings, output: &Path, inputs: &[PathBuf]) -> Result<()> {
    write_atomically(output, inputs, |out| copy.and_then(|copy| copy.finish(grids, checked, settings, out)).map_err(|e| e.to_string()))
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
