//! Writing results: the annotated workbook, and every output through [`atomic::write_atomically`].

pub mod annotated;
pub mod atomic;

use std::path::{Path, PathBuf};

pub use atomic::write_atomically;

use crate::error::{Error, Result};
use crate::read::grid::{no_grids_if_empty, read_grids_with_layout};
use crate::report::Checked;
use crate::settings::Settings;

/// Writes the annotated copy of `input` (reading its sheets again) to `output`, never over an input.
///
/// # Errors
/// [`Error::Write`] when the output is an input or cannot be written; the read errors of the input.
pub fn write_annotated(input: &Path, checked: &Checked, settings: &Settings, output: &Path, inputs: &[PathBuf]) -> Result<()> {
    let grids = no_grids_if_empty(read_grids_with_layout(input))?;
    let bytes = annotated::annotated_workbook(&grids, checked, settings)
        .map_err(|e| Error::Write { path: output.to_path_buf(), detail: e.to_string() })?;
    atomic::write_bytes(output, inputs, &bytes)
}

/// `附件1.xlsx` → `附件1.checked.xlsx`, beside the input or in `out_dir`.
pub fn annotated_path(input: &Path, out_dir: Option<&Path>) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "workbook".into());
    let dir = out_dir.map(Path::to_path_buf).or_else(|| input.parent().map(Path::to_path_buf)).unwrap_or_default();
    dir.join(format!("{stem}.checked.xlsx"))
}
