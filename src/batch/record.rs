//! What the batch keeps of each input: its status and findings, on disk beside its annotated copy
//! (`OUT/.budgetlint/<relative>.findings.json`) so that `--resume` can skip it and still rebuild the
//! tables, and in the run's [`Spill`] until the consolidated tables are written (not in memory: the
//! batch's memory stays that of the files in flight, however many the inbox holds).
//!
//! Outputs appear whole or not at all: each is written to `.<name>.<pid>.tmp` beside its target and
//! renamed. The per-input outputs are not flushed to the disk one by one (3–4 ms each, a third of the
//! work of a small file); a record names its annotated copy's size, so a copy that a power cut left
//! short is taken for missing by `--resume`. The consolidated tables go through
//! [`crate::write::write_atomically`], flushed.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::batch::group::Survey;
use crate::check::catalog::{rule, Severity};
use crate::error::{Error, Result};
use crate::model::CellRef;
use crate::write::atomic::{is_running, leftover_pid};
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

/// The records of a run, written as they arrive to one file, `OUT/.budgetlint/.records.<pid>.tmp` (an
/// interrupted run's is removed as any leftover), and read back in input order, as often as the
/// consolidated tables need them: what stays in memory for an input is where its record is. A record
/// that cannot be written there (no room on the disk) is kept in memory instead; the file is removed
/// when the spill is dropped.
pub struct Spill {
    path: PathBuf,
    inner: Mutex<SpillInner>,
}

struct SpillInner {
    /// None when the file could not be made: every record is kept in memory.
    file: Option<fs::File>,
    /// Where the next record goes (after a write that failed half-way, over what it left).
    end: u64,
    entries: Vec<Option<Spilled>>,
}

enum Spilled {
    /// `len` bytes of JSON at `offset`, with what the JSON does not keep (exactly).
    Disk { offset: u64, len: u32, seconds: f64, resumed: bool },
    Memory(Box<Record>),
}

impl Spill {
    /// A spill for `count` records (by input index) under `out_dir`.
    pub fn new(out_dir: &Path, count: usize) -> Spill {
        let folder = out_dir.join(RECORDS);
        let path = folder.join(format!(".records.{}.tmp", std::process::id()));
        let file = fs::create_dir_all(&folder)
            .and_then(|()| fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path))
            .ok();
        Spill::with_file(path, file, count)
    }

    fn with_file(path: PathBuf, file: Option<fs::File>, count: usize) -> Spill {
        let entries = (0..count).map(|_| None).collect();
        Spill { path, inner: Mutex::new(SpillInner { file, end: 0, entries }) }
    }

    /// Keeps the record of input `index` (in memory when the file cannot take it).
    pub fn put(&self, index: usize, record: Record) {
        // Made before the lock is taken: the other workers go on meanwhile.
        let json = serde_json::to_vec(&record);
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = inner.end;
        let written = match (&mut inner.file, json) {
            (Some(file), Ok(json)) if u32::try_from(json.len()).is_ok() => {
                file.seek(SeekFrom::Start(at)).and_then(|_| file.write_all(&json)).map(|()| json.len()).ok()
            }
            _ => None,
        };
        inner.entries[index] = Some(match written {
            Some(len) => {
                inner.end = at + len as u64;
                Spilled::Disk { offset: at, len: len as u32, seconds: record.seconds, resumed: record.resumed }
            }
            None => Spilled::Memory(Box::new(record)),
        });
    }

    /// The record of input `index`; None when none was put. An error when the file lost it.
    pub fn get(&self, index: usize) -> Result<Option<Record>> {
        let mut inner = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let SpillInner { file, entries, .. } = &mut *inner;
        let (offset, len, seconds, resumed) = match entries.get(index) {
            Some(Some(Spilled::Disk { offset, len, seconds, resumed })) => (*offset, *len, *seconds, *resumed),
            Some(Some(Spilled::Memory(record))) => return Ok(Some((**record).clone())),
            _ => return Ok(None),
        };
        let error = |detail: String| Error::Write { path: self.path.clone(), detail };
        let file = file.as_mut().ok_or_else(|| error("records file closed".into()))?;
        let mut json = vec![0; len as usize];
        file.seek(SeekFrom::Start(offset)).and_then(|_| file.read_exact(&mut json)).map_err(|e| error(e.to_string()))?;
        drop(inner);
        let mut record: Record = serde_json::from_slice(&json).map_err(|e| error(e.to_string()))?;
        record.seconds = seconds;
        record.resumed = resumed;
        Ok(Some(record))
    }

    /// How many inputs the spill is for.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        if inner.file.take().is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
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
        } else if leftover_pid(&name).is_some_and(|pid| !is_running(pid)) && fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
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

    fn record(i: usize) -> Record {
        Record {
            version: env!("CARGO_PKG_VERSION").into(),
            settings: "Settings { .. }".into(),
            file: format!("/in/附件{i}.xlsx"),
            relative: format!("附件{i}.xlsx"),
            size: Some(i as u64),
            modified: Some(1_700_000_000_123_456_789),
            state: if i.is_multiple_of(3) { State::Unreadable } else { State::Checked },
            kind: None,
            reason: i.is_multiple_of(3).then(|| "坏了".into()),
            survey: Some(Survey { units: vec!["月坛街道".into()], lists: 1, forms: i }),
            group: vec![format!("附件{i}.xlsx")],
            group_unit: Some("月坛街道".into()),
            units: vec!["月坛街道".into()],
            projects: i,
            // Not every f64 survives JSON as it was: the spill keeps the seconds themselves.
            seconds: 0.1 + 0.2 * i as f64 + 1e-13 / 3.0,
            annotated: Some(format!("附件{i}.checked.xlsx")),
            annotated_size: Some(42),
            resumed: i % 2 == 1,
            findings: vec![],
            hidden: i,
        }
    }

    fn same(a: &Record, b: &Record) -> bool {
        serde_json::to_value(a).unwrap() == serde_json::to_value(b).unwrap() && a.seconds.to_bits() == b.seconds.to_bits() && a.resumed == b.resumed
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("budgetlint-spill-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_spill_gives_the_records_back_in_input_order_and_is_removed() {
        let dir = scratch("order");
        let spill = Spill::new(&dir, 6);
        let path = dir.join(RECORDS).join(format!(".records.{}.tmp", std::process::id()));
        assert!(path.is_file());
        assert_eq!(leftover_pid(&path.file_name().unwrap().to_string_lossy()), Some(std::process::id()), "a leftover of a killed run is removed");
        for i in [4, 0, 5, 2, 1] {
            spill.put(i, record(i));
        }
        let back: Vec<Record> = (0..spill.len()).filter_map(|i| spill.get(i).unwrap()).collect();
        let expected: Vec<Record> = [0, 1, 2, 4, 5].into_iter().map(record).collect();
        assert_eq!(back.len(), expected.len());
        assert!(back.iter().zip(&expected).all(|(a, b)| same(a, b)));
        assert!(spill.get(3).unwrap().is_none());
        assert!(fs::metadata(&path).unwrap().len() > 0, "on disk, not in memory");
        drop(spill);
        assert!(!path.exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_record_the_spill_cannot_write_stays_in_memory() {
        let dir = scratch("full");
        // A file that takes no writes (as a full disk), and no file at all.
        let path = dir.join("spill");
        fs::write(&path, b"").unwrap();
        let read_only = fs::File::open(&path).unwrap();
        for file in [Some(read_only), None] {
            let spill = Spill::with_file(path.clone(), file, 3);
            spill.put(2, record(2));
            spill.put(0, record(0));
            let back: Vec<Record> = (0..3).filter_map(|i| spill.get(i).unwrap()).collect();
            assert!(same(&back[0], &record(0)) && same(&back[1], &record(2)));
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_spill_cut_short_is_an_error_not_a_wrong_record() {
        let dir = scratch("short");
        let spill = Spill::new(&dir, 2);
        spill.put(0, record(0));
        spill.put(1, record(1));
        let path = dir.join(RECORDS).join(format!(".records.{}.tmp", std::process::id()));
        let length = fs::metadata(&path).unwrap().len();
        fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(length - 5).unwrap();
        assert!(spill.get(0).unwrap().is_some());
        assert!(matches!(spill.get(1), Err(Error::Write { .. })));
        drop(spill);
        let _ = fs::remove_dir_all(&dir);
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
