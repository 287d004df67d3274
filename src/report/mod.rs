//! Reporting: the findings, normalized rows and roll-ups of one or more files, as tables and text.

pub mod finding;
pub mod forms;
pub mod preview;
pub mod projects;
pub mod tabular;
pub mod text;

use std::path::{Path, PathBuf};

use serde_json::json;

pub use finding::{findings_table, Finding};
pub use forms::{forms_table, indicators_table};
pub use projects::projects_table;
pub use tabular::{Tabular, Values};

use crate::check::catalog::Severity;
use crate::check::rollup::{rollup_table, rollups, Rollup};
use crate::check::{check_workbook, structure, Found, Sink};
use crate::error::{Error, Result};
use crate::model::{ExtraColumn, ListRow, Workbook};
use crate::read::grid::{self, Grid};
use crate::read::{workbook_from_grids, workbook_letting_go};
use crate::settings::Settings;

/// What checking one file gave: its tables and findings, or why it could not be read.
#[derive(Debug)]
pub struct FileReport {
    pub path: PathBuf,
    pub outcome: Result<Checked>,
}

#[derive(Debug)]
pub struct Checked {
    pub workbook: Workbook,
    /// The findings; [`Report::visible_findings`] applies `show_info` to those the checks across
    /// documents and the user's rules add.
    pub findings: Vec<Finding>,
    /// Findings the settings hide that the checks of each document counted instead of keeping.
    pub hidden: usize,
    pub rollups: Vec<Rollup>,
    /// The top rows of each document as shown, for the notebook view.
    pub previews: Vec<preview::Preview>,
}

impl Checked {
    /// Drops the lists' rows where nothing but the findings is reported any more; the counts of the
    /// findings and the roll-ups stay. The tables are left empty, not removed, so the sheets they
    /// were read from are still named.
    pub fn let_go_of_rows(&mut self) {
        let rows: Vec<(Vec<ListRow>, Vec<ExtraColumn>)> =
            self.workbook.tables.iter_mut().map(|table| (std::mem::take(&mut table.rows), std::mem::take(&mut table.extras))).collect();
        crate::parallel::drop_aside(rows);
    }
}

/// Whether a check keeps the top rows of each document's cells, for the notebook view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Previews {
    Keep,
    /// No preview: the sheets' cells are let go as they are read into rows (a long list is then not
    /// held twice), which is what the command line and `batch` report from.
    Skip,
}

/// Checks one file. A workbook that opens but holds no table is a finding (S001), not an error.
/// A panic anywhere in the work becomes this file's error, so a batch goes on to the next file.
pub fn check_file(path: &Path, settings: &Settings, previews: Previews) -> FileReport {
    let outcome = contain_panic(path, || {
        grid::no_grids_if_empty(grid::read_grids_within(path, &settings.limits)).map(|grids| match previews {
            Previews::Keep => check_grids(path, &grids, settings),
            Previews::Skip => check_grids_letting_go(path, &mut { grids }, settings),
        })
    });
    FileReport { path: path.to_path_buf(), outcome }
}

/// Runs one file's work; a panic in it is [`Error::Internal`] naming the file, never the caller's end.
pub fn contain_panic<T>(path: &Path, work: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let detail = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(Error::Internal { path: path.to_path_buf(), detail })
    })
}

/// Checks the already-read sheets of `path` (for callers that keep the grids to write a copy).
/// The checks across documents are the report's ([`reconcile`]), which sees every file given.
pub fn check_grids(path: &Path, grids: &[Grid], settings: &Settings) -> Checked {
    let preview = |workbook: &Workbook, shown: &[&Finding]| preview::previews(workbook, grids, shown, settings.lang);
    checked(path, workbook_from_grids(path, grids), settings, preview)
}

/// [`check_grids`] for a caller that needs the cells no more, or reads them again from the file
/// ([`Grid::cells_let_go`]): each list's cells are let go as they are read into rows, and no preview
/// is kept.
pub fn check_grids_letting_go(path: &Path, grids: &mut [Grid], settings: &Settings) -> Checked {
    checked(path, workbook_letting_go(path, grids), settings, |_, _| Vec::new())
}

/// The sheets a check reads its documents from.
pub enum Sheets<'a> {
    /// Kept whole: a copy is made of them meanwhile.
    Kept(&'a [Grid]),
    /// Let go of as they are read ([`check_grids_letting_go`]).
    LettingGo(&'a mut [Grid]),
}

/// [`check_grids`] or [`check_grids_letting_go`].
pub fn check_sheets(path: &Path, sheets: Sheets<'_>, settings: &Settings) -> Checked {
    match sheets {
        Sheets::Kept(grids) => check_grids(path, grids, settings),
        Sheets::LettingGo(grids) => check_grids_letting_go(path, grids, settings),
    }
}

fn checked(
    path: &Path,
    workbook: Workbook,
    settings: &Settings,
    previews: impl FnOnce(&Workbook, &[&Finding]) -> Vec<preview::Preview>,
) -> Checked {
    let Found { mut findings, hidden } = check_workbook(&workbook, settings);
    if workbook.is_empty() {
        let mut sink = Sink::for_file(path.display().to_string(), settings);
        structure::no_table(workbook.sheets.first().map_or("", String::as_str), &workbook.sheets, &mut sink);
        findings.extend(sink.into_findings());
    }
    let rollups = rollups(&workbook);
    let shown: Vec<&Finding> = findings.iter().filter(|f| settings.shows(f.severity)).collect();
    let previews = previews(&workbook, &shown);
    Checked { workbook, findings, hidden, rollups, previews }
}

/// Like [`check_grids`], with the checks across the workbook's own documents (an 附件1 with its
/// 附件2 forms in one file): for a file checked on its own.
pub fn check_grids_alone(path: &Path, grids: &[Grid], settings: &Settings) -> Checked {
    let mut checked = check_grids(path, grids, settings);
    reconcile_alone(&mut checked, settings);
    checked
}

/// Adds the checks across the documents of one file checked on its own (see [`check_grids_alone`]).
pub fn reconcile_alone(checked: &mut Checked, settings: &Settings) {
    let across = reconcile_workbooks(&[&checked.workbook], settings);
    checked.findings.extend(across);
}

fn reconcile_workbooks(workbooks: &[&Workbook], settings: &Settings) -> Vec<Finding> {
    crate::check::across::reconcile(workbooks, settings).into_iter().filter(|f| settings.is_enabled(f.rule)).collect()
}

/// The checks across the documents of all `files` (lists with their forms, a project's forms with
/// each other), each finding filed under the file it is reported on.
pub fn reconcile(files: &mut [FileReport], settings: &Settings) {
    let workbooks: Vec<&Workbook> = files.iter().filter_map(|f| f.outcome.as_ref().ok().map(|c| &c.workbook)).collect();
    let findings = reconcile_workbooks(&workbooks, settings);
    for finding in findings {
        let file = files.iter_mut().find(|f| f.path.display().to_string() == finding.file);
        if let Some(Ok(checked)) = file.map(|f| &mut f.outcome) {
            checked.findings.push(finding);
        }
    }
}

/// The result of checking several files with one set of settings.
#[derive(Debug)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub settings: Settings,
}

/// Counts by severity of the shown findings, plus the files that could not be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub files: usize,
    pub unreadable: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub hidden_infos: usize,
}

impl Report {
    /// Checks every path in order; a file that cannot be read is recorded and the rest go on.
    pub fn check_paths(paths: &[PathBuf], settings: Settings) -> Report {
        let mut files: Vec<FileReport> = paths.iter().map(|path| check_file(path, &settings, Previews::Keep)).collect();
        reconcile(&mut files, &settings);
        Report { files, settings }
    }

    pub fn checked(&self) -> impl Iterator<Item = &Checked> {
        self.files.iter().filter_map(|f| f.outcome.as_ref().ok())
    }

    /// Each readable file with what checking it gave.
    pub fn checked_files(&self) -> impl Iterator<Item = (&Path, &Checked)> {
        self.files.iter().filter_map(|f| f.outcome.as_ref().ok().map(|c| (f.path.as_path(), c)))
    }

    pub fn failures(&self) -> impl Iterator<Item = (&Path, &Error)> {
        self.files.iter().filter_map(|f| f.outcome.as_ref().err().map(|e| (f.path.as_path(), e)))
    }

    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.checked().flat_map(|c| c.findings.iter())
    }

    /// The findings the settings show (info only with `show_info`).
    pub fn visible_findings(&self) -> impl Iterator<Item = &Finding> {
        self.all_findings().filter(|f| self.settings.shows(f.severity))
    }

    pub fn counts(&self) -> Counts {
        let hidden = self.checked().map(|c| c.hidden).sum();
        let mut counts = Counts { files: self.files.len(), unreadable: self.failures().count(), hidden_infos: hidden, ..Counts::default() };
        for finding in self.all_findings() {
            match finding.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info if self.settings.show_info => counts.infos += 1,
                Severity::Info => counts.hidden_infos += 1,
            }
        }
        counts
    }

    /// 2 when a file could not be read, 1 when a finding reaches `fail_on`, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.failures().next().is_some() {
            2
        } else if self.all_findings().any(|f| self.settings.fail_on.fails(f.severity)) {
            1
        } else {
            0
        }
    }

    pub fn findings_table(&self) -> Tabular {
        findings_table(self.visible_findings())
    }

    pub fn projects_table(&self) -> Tabular {
        let workbooks: Vec<&Workbook> = self.checked().map(|c| &c.workbook).collect();
        projects_table(&workbooks, true)
    }

    pub fn forms_table(&self) -> Tabular {
        let workbooks: Vec<&Workbook> = self.checked().map(|c| &c.workbook).collect();
        forms_table(&workbooks, true)
    }

    pub fn indicators_table(&self) -> Tabular {
        let workbooks: Vec<&Workbook> = self.checked().map(|c| &c.workbook).collect();
        indicators_table(&workbooks, true)
    }

    pub fn summary_table(&self) -> Tabular {
        rollup_table(self.checked().flat_map(|c| c.rollups.iter()))
    }

    /// The whole report for pipelines: summary counts, findings, and the files that failed.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.json()).unwrap_or_default()
    }

    /// [`Report::to_json`] for writing out: the findings are made into JSON as they are written.
    pub fn json(&self) -> ReportJson {
        let counts = self.counts();
        let failures: Vec<serde_json::Value> = self
            .failures()
            .map(|(path, e)| json!({"file": path.display().to_string(), "kind": e.kind(), "message": e.message(self.settings.lang)}))
            .collect();
        let summary = json!({
            "files": counts.files,
            "unreadable": counts.unreadable,
            "errors": counts.errors,
            "warnings": counts.warnings,
            "infos": counts.infos,
            "hidden_infos": counts.hidden_infos,
            "exit_code": self.exit_code(),
        });
        ReportJson { summary, findings: self.findings_table(), failures }
    }
}

/// See [`Report::json`].
pub struct ReportJson {
    summary: serde_json::Value,
    findings: Tabular,
    failures: Vec<serde_json::Value>,
}

impl serde::Serialize for ReportJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut report = serializer.serialize_map(Some(3))?;
        report.serialize_entry("summary", &self.summary)?;
        report.serialize_entry("findings", &self.findings.json_rows())?;
        report.serialize_entry("failures", &self.failures)?;
        report.end()
    }
}
