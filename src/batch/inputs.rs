//! The inputs of a batch: every workbook under the paths given (as `check` finds them), where each
//! one's outputs go, and the files met there that are not checked, with why.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use crate::cli::{expand_inputs, first_visit};

/// One workbook to check.
#[derive(Debug, Clone)]
pub struct Input {
    /// As found (the paths given, joined with what is below them): what findings name.
    pub path: PathBuf,
    /// Below the inputs' common folder: where its outputs go under OUT.
    pub relative: PathBuf,
    /// The annotated copy's path relative to OUT: `<relative folder>/<name>.checked.xlsx`.
    pub annotated: PathBuf,
    /// Size and modification time when found (None: missing or unreadable metadata).
    pub size: Option<u64>,
    pub modified: Option<SystemTime>,
}

/// A file met under an input folder that is not checked.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub relative: PathBuf,
    pub why: SkipWhy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipWhy {
    /// `~$附件1.xlsx`: Excel's lock file beside an open workbook.
    LockFile,
    /// `NAME.checked.xlsx`: budgetlint's own output.
    OwnOutput,
    /// Under the output folder.
    InOutput,
    /// Another extension (`.docx`, `.pdf`): the report itself, a scan.
    NotASpreadsheet,
    /// The same file reached twice (given as a file and inside a folder given).
    Duplicate(PathBuf),
}

impl SkipWhy {
    pub fn reason(&self, lang: crate::model::Lang) -> String {
        use crate::model::Lang::{En, Zh};
        match (self, lang) {
            (SkipWhy::LockFile, Zh) => "Excel 打开文件时留下的锁定文件（~$）".into(),
            (SkipWhy::LockFile, En) => "an Excel lock file (~$)".into(),
            (SkipWhy::OwnOutput, Zh) => "budgetlint 的标注输出（.checked.）".into(),
            (SkipWhy::OwnOutput, En) => "a budgetlint output (.checked.)".into(),
            (SkipWhy::InOutput, Zh) => "位于输出文件夹中".into(),
            (SkipWhy::InOutput, En) => "inside the output folder".into(),
            (SkipWhy::NotASpreadsheet, Zh) => "不是电子表格（.xlsx .xlsm .xls .ods .xlsb）".into(),
            (SkipWhy::NotASpreadsheet, En) => "not a spreadsheet (.xlsx .xlsm .xls .ods .xlsb)".into(),
            (SkipWhy::Duplicate(of), Zh) => format!("与 {} 是同一个文件", of.display()),
            (SkipWhy::Duplicate(of), En) => format!("the same file as {}", of.display()),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SkipWhy::LockFile => "lock_file",
            SkipWhy::OwnOutput => "own_output",
            SkipWhy::InOutput => "in_output",
            SkipWhy::NotASpreadsheet => "not_a_spreadsheet",
            SkipWhy::Duplicate(_) => "duplicate",
        }
    }
}

#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    pub skipped: Vec<Skipped>,
}

/// Every workbook `check` would find under `paths` (files as given, folders searched recursively),
/// less those under `out_dir` (when outputs have a folder of their own), each seen once; and the
/// other files of the folders given.
pub fn discover(paths: &[PathBuf], out_dir: Option<&Path>) -> Discovered {
    let out_dir = out_dir.map(absolute);
    let base = common_folder(paths);
    let relative = |path: &Path| -> PathBuf {
        let absolute = absolute(path);
        absolute.strip_prefix(&base).map(Path::to_path_buf).unwrap_or_else(|_| path.file_name().map(PathBuf::from).unwrap_or_default())
    };
    // An output folder inside the inputs holds nothing to check; one that holds the inputs, only its tables.
    let in_output = |absolute: &Path| {
        let Some(out_dir) = out_dir.as_deref() else { return false };
        let out_below = out_dir != base && out_dir.starts_with(&base);
        (out_below && absolute.starts_with(out_dir))
            || (absolute.parent() == Some(out_dir)
                && absolute.file_name().is_some_and(|n| super::CONSOLIDATED.iter().any(|c| n.to_string_lossy() == *c)))
    };
    let mut found = Discovered::default();
    let mut seen: HashMap<PathBuf, PathBuf> = HashMap::new();
    for path in expand_inputs(paths) {
        let absolute = absolute(&path);
        let rel = relative(&path);
        if in_output(&absolute) {
            found.skipped.push(Skipped { path, relative: rel, why: SkipWhy::InOutput });
            continue;
        }
        let identity = std::fs::canonicalize(&path).unwrap_or(absolute);
        if let Some(first) = seen.get(&identity) {
            found.skipped.push(Skipped { path, relative: rel, why: SkipWhy::Duplicate(first.clone()) });
            continue;
        }
        seen.insert(identity, path.clone());
        let metadata = std::fs::metadata(&path).ok();
        found.inputs.push(Input {
            annotated: PathBuf::new(),
            size: metadata.as_ref().map(|m| m.len()),
            modified: metadata.and_then(|m| m.modified().ok()),
            path,
            relative: rel,
        });
    }
    name_outputs(&mut found.inputs);
    // The files of the folders given that `check` passes over, so the status table can say why.
    let taken: HashSet<PathBuf> = found.inputs.iter().map(|i| absolute(&i.path)).chain(found.skipped.iter().map(|s| absolute(&s.path))).collect();
    // Our own outputs in the output folder are no news; elsewhere (a copy a unit sent back) they are.
    let skip_quietly =
        |p: &Path| in_output(p) || (out_dir.as_deref().is_some_and(|out| p.starts_with(out)) && p.to_string_lossy().contains(".checked."));
    let mut searched = HashSet::new();
    for dir in paths.iter().filter(|p| p.is_dir()) {
        let mut others = Vec::new();
        other_files(dir, &skip_quietly, &taken, &mut searched, &mut others);
        others.sort();
        for path in others {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let why = if name.starts_with("~$") {
                SkipWhy::LockFile
            } else if name.contains(".checked.") {
                SkipWhy::OwnOutput
            } else {
                SkipWhy::NotASpreadsheet
            };
            found.skipped.push(Skipped { relative: relative(&path), path, why });
        }
    }
    found
}

/// `NAME.checked.xlsx` beside where the input is below OUT; `NAME.xls.checked.xlsx` when two inputs of a
/// folder share their name but not their extension.
fn name_outputs(inputs: &mut [Input]) {
    let stem_of = |input: &Input| {
        let parent = input.relative.parent().map(Path::to_path_buf).unwrap_or_default();
        let stem = input.relative.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
        (parent, stem)
    };
    let mut counts: HashMap<(PathBuf, String), usize> = HashMap::new();
    for input in inputs.iter() {
        *counts.entry(stem_of(input)).or_default() += 1;
    }
    for input in inputs.iter_mut() {
        let clash = counts[&stem_of(input)] > 1;
        let name = if clash {
            input.relative.file_name().map(|s| s.to_string_lossy().into_owned())
        } else {
            input.relative.file_stem().map(|s| s.to_string_lossy().into_owned())
        }
        .unwrap_or_else(|| "workbook".into());
        input.annotated = input.relative.with_file_name(format!("{name}.checked.xlsx"));
    }
}

/// The files under `dir` that are not `taken`, each folder searched once, as `check` finds its inputs.
fn other_files(dir: &Path, in_output: &dyn Fn(&Path) -> bool, taken: &HashSet<PathBuf>, searched: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) {
    if !first_visit(dir, searched) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let absolute = absolute(&path);
        if in_output(&absolute) {
            continue;
        }
        if path.is_dir() {
            other_files(&path, in_output, taken, searched, out);
        } else if !taken.contains(&absolute) {
            out.push(path);
        }
    }
}

/// The path made absolute and tidied (`.` and `..` taken out) without touching the file system's links.
pub fn absolute(path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(path) };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The deepest folder holding everything given: a folder given alone is its own; a file, its folder's.
fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let folders: Vec<PathBuf> = paths
        .iter()
        .map(|p| {
            let a = absolute(p);
            if p.is_dir() {
                a
            } else {
                a.parent().map(Path::to_path_buf).unwrap_or(a)
            }
        })
        .collect();
    let Some(first) = folders.first() else { return PathBuf::new() };
    let mut common = first.clone();
    for folder in &folders[1..] {
        while !folder.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_of_one_name_in_two_formats_do_not_clash() {
        let input = |rel: &str| Input { path: rel.into(), relative: rel.into(), annotated: PathBuf::new(), size: None, modified: None };
        let mut inputs = vec![input("a/附件1.xlsx"), input("a/附件1.xls"), input("b/附件1.xlsx"), input("附件2.ods")];
        name_outputs(&mut inputs);
        let names: Vec<String> = inputs.iter().map(|i| i.annotated.display().to_string()).collect();
        assert_eq!(names, ["a/附件1.xlsx.checked.xlsx", "a/附件1.xls.checked.xlsx", "b/附件1.checked.xlsx", "附件2.checked.xlsx"]);
    }

    #[test]
    fn a_link_back_up_the_tree_is_searched_once() {
        let inbox = std::env::temp_dir().join(format!("budgetlint-inputs-{}", std::process::id())).join("inbox");
        std::fs::create_dir_all(inbox.join("sub")).unwrap();
        std::fs::write(inbox.join("附件1.xlsx"), b"").unwrap();
        std::fs::write(inbox.join("sub").join("说明.docx"), b"").unwrap();
        let link = inbox.join("sub").join("up");
        if !link.exists() {
            std::os::unix::fs::symlink("..", &link).unwrap();
        }
        let found = discover(std::slice::from_ref(&inbox), Some(&inbox.join("out")));
        let inputs: Vec<PathBuf> = found.inputs.iter().map(|i| i.relative.clone()).collect();
        let skipped: Vec<PathBuf> = found.skipped.iter().map(|s| s.relative.clone()).collect();
        assert_eq!((inputs, skipped), (vec![PathBuf::from("附件1.xlsx")], vec![PathBuf::from("sub/说明.docx")]));
    }
}
