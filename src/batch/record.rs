//! What the batch keeps of each input: its status and findings, in memory for the consolidated tables,
//! and on disk beside its annotated copy (`OUT/.budgetlint/<relative>.findings.json`) so that `--resume`
//! can skip it and still rebuild the tables.
//!
//! Outputs appear whole or not at all: each is written to `.<name>.<pid>.tmp` beside its target and
//! renamed. The per-input outputs are not flushed to the disk one by one (3–4 ms each, a third of the
//! work of a small file); a record names its annotated copy's size, so a copy that a power cut left
//! short is taken for missing by `--resume`. The consolidated tables go through
//! [`crate::write::write_atomically`], flushed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::batch::group::Survey;
use crate::check::catalog::{rule, Severity};
use crate::error::{Error, Result};
use crate::model::CellRef;
use crate::read::layout::parse_a1;
use crate::report::Finding;

/// The folder under OUT where the records are kept.
pub const RECORDS: &str = ".budgetlint";

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Read and checked; its annotated copy written.
    Checked,
    /// Could not be read (the reason says why).
    Unreadable,
    /// Read and checked, but its annotated copy could not be written, or a rule of the user's failed on it.
    Failed,
    /// Not checked (the reason says why).
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Checked => "checked",
            State::Unreadable => "unreadable",
            State::Failed => "failed",
            State::Skipped => "skipped",
        }
    }
}

/// One input's line of the status table, with its findings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub version: String,
    /// The settings the findings were made with (their Debug form): other settings, other findings.
    pub settings: String,
    pub file: String,
    pub relative: String,
    pub size: Option<u64>,
    /// Nanoseconds since 1970 of the input's modification time when it was checked.
    pub modified: Option<u128>,
    pub state: State,
    /// Why a file is unreadable, failed or skipped: the error's kind (`PasswordProtected` …) or the skip's.
    pub kind: Option<String>,
    pub reason: Option<String>,
    pub survey: Option<Survey>,
    /// The files checked together with this one (relative paths, this one included), and their unit.
    pub group: Vec<String>,
    pub group_unit: Option<String>,
    /// The units of its documents (after the group's unit was given to those naming none).
    pub units: Vec<String>,
    pub projects: usize,
    pub seconds: f64,
    /// The annotated copy, relative to OUT, and its size in bytes.
    pub annotated: Option<String>,
    pub annotated_size: Option<u64>,
    /// Taken from the record of an earlier run (`--resume`), not checked again.
    #[serde(skip)]
    pub resumed: bool,
    /// The findings the settings show.
    pub findings: Vec<StoredFinding>,
    /// How many info findings the settings hide (`--show-info` shows them).
    #[serde(default)]
    pub hidden: usize,
}

/// A [`Finding`] as kept on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFinding {
    pub file: String,
    pub sheet: String,
    pub cell: Option<String>,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub found: Option<String>,
    pub expected: Option<String>,
    pub inputs: Option<String>,
    pub unit: Option<String>,
    pub table: Option<String>,
    pub form: Option<usize>,
    pub row: Option<u32>,
    pub department: Option<String>,
    pub project: Option<String>,
}

impl StoredFinding {
    pub fn of(f: &Finding) -> StoredFinding {
        StoredFinding {
            file: f.file.clone(),
            sheet: f.sheet.clone(),
            cell: f.cell.map(|c| c.to_string()),
            rule: f.rule.to_string(),
            severity: f.severity.as_str().to_string(),
            message: f.message.clone(),
            found: f.found.clone(),
            expected: f.expected.clone(),
            inputs: f.inputs.clone(),
            unit: f.unit.clone(),
            table: f.table.clone(),
            form: f.form,
            row: f.row,
            department: f.department.clone(),
            project: f.project.clone(),
        }
    }

    /// The finding again; None when the record names a rule or severity this build does not know.
    pub fn finding(&self) -> Option<Finding> {
        let rule = match rule(&self.rule) {
            Some(info) => info.id,
            None => crate::custom_rules::intern(&self.rule),
        };
        let cell = match self.cell.as_deref() {
            Some(a1) => Some(parse_a1(a1).map(|(row, col)| CellRef::new(row, col))?),
            None => None,
        };
        Some(Finding {
            file: self.file.clone(),
            sheet: self.sheet.clone(),
            cell,
            rule,
            severity: Severity::parse(&self.severity)?,
            message: self.message.clone(),
            found: self.found.clone(),
            expected: self.expected.clone(),
            inputs: self.inputs.clone(),
            unit: self.unit.clone(),
            table: self.table.clone(),
            form: self.form,
            row: self.row,
            department: self.department.clone(),
            project: self.project.clone(),
        })
    }
}

pub fn nanos(time: SystemTime) -> Option<u128> {
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_nanos())
}

/// `OUT/.budgetlint/<relative>.findings.json`.
pub fn record_path(out_dir: &Path, relative: &Path) -> PathBuf {
    let name = relative.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    out_dir.join(RECORDS).join(relative.with_file_name(format!("{name}.findings.json")))
}

/// Writes `bytes` to `path` whole or not at all (see the module's doc), never over one of `inputs`.
pub fn write_whole(path: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<()> {
    let error = |detail: String| Error::Write { path: path.to_path_buf(), detail };
    if inputs.iter().any(|input| input == path) {
        return Err(error("这是输入文件之一，不会覆盖输入（refusing to overwrite an input）".into()));
    }
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder).map_err(|e| error(e.to_string()))?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| fs::rename(&temporary, path))
        .map_err(|e| error(e.to_string()));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

/// Reads a record; None when it is missing, cut short or from another version.
pub fn load(path: &Path) -> Option<Record> {
    let bytes = fs::read(path).ok()?;
    let record: Record = serde_json::from_slice(&bytes).ok()?;
    (record.version == env!("CARGO_PKG_VERSION")).then_some(record)
}

/// Removes the temporary files an interrupted run left under `dir` (`.<name>.<pid>.tmp`, of a process
/// that is no longer running). Returns how many.
pub fn remove_leftovers(dir: &Path) -> usize {
    let mut removed = 0;
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            removed += remove_leftovers(&path);
        } else if let Some(pid) = leftover_pid(&name) {
            let running = pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists();
            if !running && fs::remove_file(&path).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// The process id in `.<name>.<pid>.tmp`.
fn leftover_pid(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = inner.rsplit_once('.')?;
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leftovers_are_known_by_their_name() {
        assert_eq!(leftover_pid(".附件1.checked.xlsx.4242.tmp"), Some(4242));
        assert_eq!(leftover_pid("附件1.checked.xlsx"), None);
        assert_eq!(leftover_pid(".附件1.checked.xlsx.tmp"), None);
    }

    #[test]
    fn findings_survive_the_record() {
        let finding = Finding {
            file: "a.xlsx".into(),
            sheet: "附件1".into(),
            cell: Some(CellRef::new(4, 6)),
            rule: "A001",
            severity: Severity::Error,
            message: "m".into(),
            found: Some("100.00%".into()),
            expected: None,
            inputs: None,
            unit: Some("月坛街道".into()),
            table: None,
            form: Some(2),
            row: Some(5),
            department: None,
            project: Some("p".into()),
        };
        let stored = StoredFinding::of(&finding);
        let json = serde_json::to_string(&stored).unwrap();
        let back: StoredFinding = serde_json::from_str(&json).unwrap();
        assert_eq!(back.finding(), Some(finding));
    }
}
