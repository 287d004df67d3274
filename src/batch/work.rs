//! Checking one group: each file read and checked (in parallel), the group's unit given to the documents
//! that name none, then the checks across the group's documents ([`reconcile`]).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::batch::group::{file_stem, survey_workbook, Survey};
use crate::custom_rules::apply_to_checked;
use crate::error::{Error, Result};
use crate::read::grid::{no_grids_if_empty, read_grids_with_layout_within, read_grids_within, Grid, ReadLimits};
use crate::read::workbook_letting_go;
use crate::write::annotated::reads_cells_again;
use crate::report::{check_grids, check_grids_letting_go, contain_panic, reconcile, Checked, FileReport};
use crate::settings::Settings;

/// Reads a file for grouping: the units it names (its values only; the check reads it again).
pub fn survey(path: &Path) -> Result<Survey> {
    survey_within(path, &ReadLimits::default())
}

/// [`survey`] within the user's limits (`settings.limits`), as the check then reads the file.
pub fn survey_within(path: &Path, limits: &ReadLimits) -> Result<Survey> {
    contain_panic(path, || {
        let mut grids = no_grids_if_empty(read_grids_within(path, limits))?;
        Ok(survey_workbook(&workbook_letting_go(path, &mut grids)))
    })
}

/// One file of a checked group.
pub struct CheckedFile {
    pub report: FileReport,
    /// The sheets as read (with their layout when asked for), for the annotated copy.
    pub grids: Vec<Grid>,
    pub elapsed: Duration,
    /// A rule of the user's own that could not be evaluated on this file.
    pub rule_error: Option<String>,
}

/// Reads and checks the files of one group (on this thread), gives `unit` to their documents that name no unit of
/// their own, and reconciles the group. With `layout`, the sheets are read as the annotated copy needs
/// them and kept.
pub fn check_group(paths: &[&Path], unit: Option<&str>, settings: &Settings, layout: bool) -> Vec<CheckedFile> {
    // One file after the other: the groups run in parallel, and a thread that waited inside its group
    // would take up another group meanwhile, holding the sheets of both.
    let mut files: Vec<CheckedFile> = paths.iter().map(|path| check_one(path, unit, settings, layout)).collect();
    let start = Instant::now();
    let mut reports: Vec<FileReport> = files.iter_mut().map(|f| std::mem::replace(&mut f.report, placeholder())).collect();
    let reconciled = catch_unwind(AssertUnwindSafe(|| reconcile(&mut reports, settings)));
    if reconciled.is_err() {
        eprintln!("budgetlint: the checks across {} files of one unit failed unexpectedly; each file's own findings are kept", paths.len());
    }
    let shared = start.elapsed() / paths.len().max(1) as u32;
    for (file, report) in files.iter_mut().zip(reports) {
        file.report = report;
        file.elapsed += shared;
    }
    files
}

fn placeholder() -> FileReport {
    FileReport { path: Default::default(), outcome: Err(Error::Internal { path: Default::default(), detail: String::new() }) }
}

fn check_one(path: &Path, unit: Option<&str>, settings: &Settings, layout: bool) -> CheckedFile {
    let start = Instant::now();
    let mut rule_error = None;
    let mut grids = Vec::new();
    let outcome = contain_panic(path, || {
        let read = if layout { read_grids_with_layout_within(path, &settings.limits) } else { read_grids_within(path, &settings.limits) };
        let read = no_grids_if_empty(read)?;
        let mut checked = if layout {
            grids = read;
            // A long sheet is read again as its copy is written, rather than held meanwhile.
            if reads_cells_again(&grids) {
                check_grids_letting_go(path, &mut grids, settings)
            } else {
                check_grids(path, &grids, settings)
            }
        } else {
            check_grids_letting_go(path, &mut { read }, settings)
        };
        if let Some(unit) = unit {
            give_unit(&mut checked, path, unit);
        }
        // The user's own rules, before the copy is marked, as `check --annotate` applies them.
        if let Err(error) = apply_to_checked(&settings.rules, &mut checked, settings.lang) {
            rule_error = Some(error);
        }
        Ok(checked)
    });
    CheckedFile { report: FileReport { path: path.to_path_buf(), outcome }, grids, elapsed: start.elapsed(), rule_error }
}

/// The documents the reader gave the file's name as their unit (it names none) belong to the
/// group's unit: their rows, findings and roll-ups say so, and the checks across the group find them.
fn give_unit(checked: &mut Checked, path: &Path, unit: &str) {
    let fallback = file_stem(path);
    if fallback == unit {
        return;
    }
    for table in checked.workbook.tables.iter_mut().filter(|t| t.unit == fallback) {
        table.unit = unit.to_string();
    }
    for form in checked.workbook.forms.iter_mut().filter(|f| f.unit == fallback) {
        form.unit = unit.to_string();
    }
    for finding in checked.findings.iter_mut().filter(|f| f.unit.as_deref() == Some(fallback.as_str())) {
        finding.unit = Some(unit.to_string());
    }
    for rollup in checked.rollups.iter_mut().filter(|r| r.unit.as_deref() == Some(fallback.as_str())) {
        rollup.unit = Some(unit.to_string());
    }
}
