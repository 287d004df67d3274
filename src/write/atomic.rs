//! Outputs appear whole or not at all: written to a temporary file beside the target, then renamed.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `path` through `fill`, refusing to overwrite any of `inputs`.
///
/// # Errors
/// [`Error::Write`] when the target is an input, the folder is missing, or writing fails;
/// the temporary file is removed and the target left as it was.
pub fn write_atomically(
    path: &Path,
    inputs: &[PathBuf],
    fill: impl FnOnce(&mut BufWriter<File>) -> std::result::Result<(), String>,
) -> Result<()> {
    let write_error = |detail: String| Error::Write { path: path.to_path_buf(), detail };
    if inputs.iter().any(|input| same_file(input, path)) {
        return Err(write_error("这是输入文件之一，不会覆盖输入（refusing to overwrite an input）".into()));
    }
    remove_stale_temporaries(path);
    let temporary = temporary_path(path);
    let result = File::create(&temporary)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            let mut writer = BufWriter::new(file);
            fill(&mut writer)?;
            let file = writer.into_inner().map_err(|e| e.to_string())?;
            file.sync_all().map_err(|e| e.to_string())
        })
        .and_then(|()| fs::rename(&temporary, path).map_err(|e| e.to_string()));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(write_error)
}

/// The temporary files of `path` that a killed run left beside it (its process is gone).
fn remove_stale_temporaries(path: &Path) {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else { return };
    let folder = if folder.as_os_str().is_empty() { Path::new(".") } else { folder };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let pid = entry_name.strip_prefix(&prefix).and_then(|_| leftover_pid(&entry_name));
        if pid.is_some_and(|pid| !is_running(pid)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// The process id in `.<name>.<pid>.tmp`.
pub(crate) fn leftover_pid(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = inner.rsplit_once('.')?;
    pid.parse().ok()
}

/// Whether process `pid` is another one still running (this one's own files are its own business).
pub(crate) fn is_running(pid: u32) -> bool {
    pid != std::process::id() && Path::new(&format!("/proc/{pid}")).exists()
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn write_bytes(path: &Path, inputs: &[PathBuf], bytes: &[u8]) -> Result<()> {
        write_atomically(path, inputs, |w| w.write_all(bytes).map_err(|e| e.to_string()))
    }

    #[test]
    fn a_failed_write_leaves_the_target_untouched() {
        let dir = std::env::temp_dir().join(format!("budgetlint-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.csv");
        fs::write(&target, "old").unwrap();
        let err = write_atomically(&target, &[], |w| {
            w.write_all(b"half").unwrap();
            Err("disk full".into())
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left behind");
        write_bytes(&target, &[], b"new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
        assert!(write_bytes(&target, std::slice::from_ref(&target), b"x").is_err());
        // A killed run's temporary file (its process gone) goes at the next write of the same target.
        let stale = dir.join(".out.csv.4194304.tmp");
        fs::write(&stale, "").unwrap();
        write_bytes(&target, &[], b"again").unwrap();
        assert!(!stale.exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
