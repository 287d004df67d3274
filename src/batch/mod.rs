//! `budgetlint batch`: a period's inbox of submissions checked on every core, each unit's files
//! reconciled together, each input's annotated copy written under OUT in the inputs' own tree, and one
//! findings table and one status table for the lot. A bad file never stops the batch; an interrupted
//! batch leaves no half-written output, and `--resume` takes over what the last run finished.
//!
//! The work, in order:
//! 1. [`inputs::discover`]: every workbook `check` would find, where its outputs go, the other files met.
//! 2. With `--resume`, the [`record`] of each input whose annotated copy is newer than it (same size,
//!    same time, same settings): such inputs are not read again.
//! 3. [`work::survey`] (in parallel): each other input read once for the units it names.
//! 4. [`group::plan`]: the files of one unit grouped (named inside, by file name, by folder).
//! 5. In parallel, each group whose files are not all taken over: read with their layout, checked, the
//!    group reconciled ([`work::check_group`]), each file's annotated copy and record written.
//! 6. [`tables::write_tables`]: OUT/findings.xlsx, findings.parquet, findings.csv, status.csv.
//!
//! Memory stays flat in the number of files: each record goes to the run's [`Spill`] on disk as its
//! file is done (what is kept in memory per input is its place in the inbox, what grouping read and
//! where its record is), and the tables stream the records back in input order.

pub mod group;
pub mod inputs;
pub mod progress;
#[cfg(feature = "python")]
pub(crate) mod python;
pub mod record;
pub mod tables;
pub mod work;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;

use crate::batch::group::{Group, Member, Survey};
use crate::batch::inputs::{absolute, Input};
use crate::batch::progress::Progress;
use crate::batch::record::{nanos, record_path, write_whole, Record, Spill, State, StoredFinding};
use crate::batch::tables::{Fallible, Records};
use crate::check::catalog::Severity;
use crate::error::{Error, Result};
use crate::model::{Lang, Workbook};
use crate::report::{FileReport, Report};
use crate::settings::Settings;
use crate::write::annotated::annotated_workbook;

/// The consolidated outputs, in OUT.
pub const CONSOLIDATED: &[&str] = &["findings.xlsx", "findings.parquet", "findings.csv", "status.csv"];

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    /// Threads; all cores when None.
    pub jobs: Option<usize>,
    pub resume: bool,
    /// No progress on stderr.
    pub quiet: bool,
}

/// What a batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// 2 when an input could not be read or its outputs written; else 1 when a finding reaches `fail_on`; else 0.
    pub exit_code: i32,
    /// Inputs by what became of them, and how many were taken over from the last run.
    pub checked: usize,
    pub unreadable: usize,
    pub failed: usize,
    pub skipped: usize,
    pub resumed: usize,
}

/// Runs a batch (see the module's doc).
///
/// # Errors
/// [`Error::Usage`] when the inputs hold no workbook, [`Error::Write`] when OUT or a consolidated table
/// cannot be written. Inputs that cannot be read are no error: their status says why.
pub fn run(options: &Options, settings: &Settings) -> Result<Outcome> {
    let lang = settings.lang;
    let found = inputs::discover(&options.inputs, Some(&options.out_dir));
    if found.inputs.is_empty() {
        let given: Vec<String> = options.inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(Error::Usage(match lang {
            Lang::Zh => format!("{}：没有找到要检查的工作簿（.xlsx .xlsm .xls .ods .xlsb）", given.join("、")),
            Lang::En => format!("{}: no workbook to check (.xlsx .xlsm .xls .ods .xlsb)", given.join(", ")),
        }));
    }
    crate::memory::keep_memory_flat();
    let out_dir = absolute(&options.out_dir);
    std::fs::create_dir_all(&out_dir).map_err(|e| Error::Write { path: out_dir.clone(), detail: e.to_string() })?;
    record::remove_leftovers(&out_dir);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Usage(format!("--jobs: {e}")))?;
    let start = Instant::now();
    let spill = Spill::new(&out_dir, found.inputs.len());
    check_inputs(&found.inputs, &out_dir, options, settings, &spill, &pool);
    let records = Made { spill: &spill, skipped: &found.skipped, settings };
    tables::write_tables(&out_dir, &records, settings)?;
    let mut errors = Vec::new();
    let outcome = outcome(&records, settings, &mut errors).map_err(|detail| Error::Write { path: out_dir.join(record::RECORDS), detail })?;
    if !options.quiet {
        report_end(&outcome, &errors, &options.out_dir, start.elapsed().as_secs_f64(), lang);
    }
    Ok(outcome)
}

/// The records of a run: the inputs' from the spill, then the files skipped.
struct Made<'a> {
    spill: &'a Spill,
    skipped: &'a [inputs::Skipped],
    settings: &'a Settings,
}

impl Records for Made<'_> {
    fn each(&self, visit: &mut dyn FnMut(Record) -> Fallible) -> Fallible {
        let lang = self.settings.lang;
        for index in 0..self.spill.len() {
            if let Some(record) = self.spill.get(index).map_err(|e| e.message(lang))? {
                visit(record)?;
            }
        }
        self.skipped.iter().try_for_each(|skipped| visit(skipped_record(skipped, self.settings)))
    }
}

/// The counts and exit code of a run, and (in `errors`) the first 20 reasons an input was unreadable or
/// failed, in input order.
fn outcome(records: &dyn Records, settings: &Settings, errors: &mut Vec<String>) -> Fallible<Outcome> {
    let mut outcome = Outcome::default();
    let mut fails = false;
    records.each(&mut |record| {
        match record.state {
            State::Checked => outcome.checked += 1,
            State::Unreadable => outcome.unreadable += 1,
            State::Failed => outcome.failed += 1,
            State::Skipped => outcome.skipped += 1,
        }
        outcome.resumed += usize::from(record.resumed);
        if matches!(record.state, State::Unreadable | State::Failed) && errors.len() < 20 {
            errors.push(record.reason.unwrap_or(record.file));
        }
        fails |= record.findings.iter().any(|f: &StoredFinding| Severity::parse(&f.severity).is_some_and(|s| settings.fail_on.fails(s)));
        Ok(())
    })?;
    outcome.exit_code = if outcome.unreadable + outcome.failed > 0 {
        2
    } else if fails {
        1
    } else {
        0
    };
    Ok(outcome)
}

/// What a valid record of the last run says that grouping needs (the record itself is read again
/// when its group is taken over).
#[derive(Clone)]
struct Previous {
    survey: Survey,
    group: Vec<String>,
    group_unit: Option<String>,
}

/// Runs `work` on each of `items` in the pool, and hands each result to `keep` on this thread as it
/// comes, in no particular order.
///
/// `keep` copies what it keeps for the rest of the batch, and the worker's result is freed: a result
/// a worker allocated while it held a file's sheets sits above them in the worker's heap, and glibc
/// gives back no memory below a block still in use. A thousand such results (a few units' names
/// each) kept the heaps of the workers at the largest they had been and growing: the survey of
/// 1,334 files took 41 MiB where the survey of 334 took 21 MiB; copied here, both take 17 MiB.
fn gather<T: Send>(pool: &rayon::ThreadPool, items: &[usize], work: &(dyn Fn(usize) -> T + Sync), keep: &mut dyn FnMut(usize, T)) {
    let (sender, receiver) = std::sync::mpsc::channel::<(usize, T)>();
    pool.in_place_scope(|scope| {
        scope.spawn(move |_| {
            items.par_iter().with_max_len(1).for_each_with(sender, |sender, &i| {
                // The receiver only goes away when this thread panics.
                let _ = sender.send((i, work(i)));
            });
        });
        for (i, result) in receiver {
            keep(i, result);
        }
    });
}

/// Every input's record, into `spill`: taken over from the last run where it stands, else checked
/// (in `pool`). What is kept of the inputs until the end (their surveys) is made on this thread.
fn check_inputs(inputs: &[Input], out_dir: &Path, options: &Options, settings: &Settings, spill: &Spill, pool: &rayon::ThreadPool) {
    let fingerprint = format!("{settings:?}");
    let lang = settings.lang;
    let all: Vec<usize> = (0..inputs.len()).collect();
    let mut previous: Vec<Option<Previous>> = inputs.iter().map(|_| None).collect();
    if options.resume {
        let still = |i: usize| {
            still_valid(&inputs[i], out_dir, &fingerprint).map(|r| Previous { survey: r.survey.unwrap_or_default(), group: r.group, group_unit: r.group_unit })
        };
        gather(pool, &all, &still, &mut |i, found: Option<Previous>| previous[i] = found.clone());
    }
    let to_read: Vec<usize> = all.into_iter().filter(|&i| previous[i].is_none()).collect();
    if !options.quiet && to_read.len() > 1 {
        eprintln!("{}", match lang {
            Lang::Zh => format!("正在读取 {} 个文件以识别各单位的材料…", to_read.len()),
            Lang::En => format!("reading {} files to find each unit's submission…", to_read.len()),
        });
    }
    let progress = Progress::new(inputs.len(), lang, options.quiet);
    // What grouping read of each input (None: unreadable, its record made) and the seconds it took.
    let mut surveyed: Vec<(Option<Survey>, f64)> = previous.iter().map(|p| (p.as_ref().map(|p| p.survey.clone()), 0.0)).collect();
    let survey = |i: usize| {
        let start = Instant::now();
        (work::survey_within(&inputs[i].path, &settings.limits), start.elapsed().as_secs_f64())
    };
    gather(pool, &to_read, &survey, &mut |i, (survey, seconds): (Result<Survey>, f64)| {
        surveyed[i] = match &survey {
            Ok(survey) => (Some(survey.clone()), seconds),
            Err(error) => {
                // Done: unreadable.
                let record = unreadable_record(&inputs[i], error, seconds, &fingerprint, lang);
                progress.file_done(&record.relative, 0, 0);
                spill.put(i, record);
                (None, seconds)
            }
        };
    });
    let members: Vec<Member<'_>> =
        inputs.iter().zip(&surveyed).map(|(input, (survey, _))| Member { relative: &input.relative, survey: survey.as_ref() }).collect();
    let groups = group::plan(&members);
    let mut to_check: Vec<&Group> = Vec::new();
    for group in &groups {
        let names = group_names(inputs, group);
        let taken_over = group.members.iter().all(|&i| {
            previous[i].as_ref().is_some_and(|p| p.group == names && p.group_unit == group.unit)
        });
        // Read again: gone or changed since (another run on OUT), the group is checked.
        let records: Option<Vec<Record>> = if taken_over {
            group.members.iter().map(|&i| still_valid(&inputs[i], out_dir, &fingerprint).filter(|r| r.group == names && r.group_unit == group.unit)).collect()
        } else {
            None
        };
        let Some(records) = records else {
            to_check.push(group);
            continue;
        };
        for (&i, mut record) in group.members.iter().zip(records) {
            record.resumed = true;
            let [errors, warnings] = shown_counts(&record.findings, settings);
            progress.file_done(&record.relative, errors, warnings);
            spill.put(i, record);
        }
    }
    drop(previous);
    // Inputs that live inside OUT are never written over (a copy is never named like an input).
    let inputs_in_out: Vec<PathBuf> = inputs.iter().map(|i| absolute(&i.path)).filter(|p| p.starts_with(out_dir)).collect();
    let context = Context { inputs, out_dir, settings, fingerprint: &fingerprint, surveyed: &surveyed, progress: &progress, inputs_in_out: &inputs_in_out, spill };
    // Large groups first, so no core is left with one at the end.
    to_check.sort_by_key(|g| std::cmp::Reverse(g.members.len()));
    // One group per task (here and in every pool of this module): left to split as it likes, rayon
    // ran a quarter of the groups as one run no other core could take from, and one core did the
    // last 1.5 s of 11 alone.
    pool.install(|| to_check.par_iter().with_max_len(1).for_each(|group| check_and_write(group, &context)));
    progress.finish();
}

struct Context<'a> {
    inputs: &'a [Input],
    out_dir: &'a Path,
    settings: &'a Settings,
    fingerprint: &'a str,
    surveyed: &'a [(Option<Survey>, f64)],
    progress: &'a Progress,
    inputs_in_out: &'a [PathBuf],
    spill: &'a Spill,
}

/// The relative paths of a group's files, as records keep them.
fn group_names(inputs: &[Input], group: &Group) -> Vec<String> {
    group.members.iter().map(|&i| slashed(&inputs[i].relative)).collect()
}

fn slashed(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn shown_counts(findings: &[StoredFinding], settings: &Settings) -> [usize; 2] {
    let count = |level: Severity| findings.iter().filter(|f| Severity::parse(&f.severity) == Some(level) && settings.shows(level)).count();
    [count(Severity::Error), count(Severity::Warning)]
}

/// The record of an input from the last run, if its annotated copy is still its own: the input has
/// the size and time it had then, the copy is newer than it and whole, the settings are the same.
fn still_valid(input: &Input, out_dir: &Path, fingerprint: &str) -> Option<Record> {
    let record = record::load(&record_path(out_dir, &input.relative))?;
    let modified = input.modified.and_then(nanos);
    if record.state != State::Checked || record.settings != fingerprint || record.size != input.size || record.modified != modified {
        return None;
    }
    let copy = std::fs::metadata(out_dir.join(record.annotated.as_deref()?)).ok()?;
    let newer = match (copy.modified().ok(), input.modified) {
        (Some(copy), Some(input)) => copy >= input,
        _ => false,
    };
    (newer && Some(copy.len()) == record.annotated_size).then_some(record)
}

/// Checks one group, writes each file's annotated copy and record, and spills the records.
fn check_and_write(group: &Group, cx: &Context<'_>) {
    let paths: Vec<&Path> = group.members.iter().map(|&i| cx.inputs[i].path.as_path()).collect();
    let names = group_names(cx.inputs, group);
    let files = work::check_group(&paths, group.unit.as_deref(), cx.settings, true);
    for (&i, file) in group.members.iter().zip(files) {
        let input = &cx.inputs[i];
        let (survey, survey_seconds) = &cx.surveyed[i];
        let record = write_outputs(input, file, &names, group, (survey.as_ref(), *survey_seconds), cx);
        let [errors, warnings] = shown_counts(&record.findings, cx.settings);
        cx.progress.file_done(&record.relative, errors, warnings);
        cx.spill.put(i, record);
    }
}

fn write_outputs(input: &Input, file: work::CheckedFile, names: &[String], group: &Group, surveyed: (Option<&Survey>, f64), cx: &Context<'_>) -> Record {
    let (survey, survey_seconds) = surveyed;
    let start = Instant::now();
    let lang = cx.settings.lang;
    let mut record = base_record(input, cx.fingerprint);
    record.group = names.to_vec();
    record.group_unit = group.unit.clone();
    let checked = match file.report.outcome {
        Ok(checked) => checked,
        Err(error) => {
            let mut record = unreadable_record(input, &error, file.elapsed.as_secs_f64() + survey_seconds, cx.fingerprint, lang);
            record.group = names.to_vec();
            record.group_unit = group.unit.clone();
            return record;
        }
    };
    // What grouping read (before the group's unit was given): what grouping reads again on --resume.
    record.survey = Some(survey.cloned().unwrap_or_else(|| group::survey_workbook(&checked.workbook)));
    record.units = units_of(&checked.workbook);
    record.projects = checked.workbook.tables.iter().map(|t| t.projects().count()).sum();
    // Only what the settings show: a hidden info finding is in no output (nor the exit code), and a form
    // alone can carry hundreds; other settings make other records anyway.
    record.findings = checked.findings.iter().filter(|f| cx.settings.shows(f.severity)).map(StoredFinding::of).collect();
    record.hidden = checked.findings.len() - record.findings.len() + checked.hidden;
    let target = cx.out_dir.join(&input.annotated);
    let written = crate::report::contain_panic(&input.path, || {
        let bytes = annotated_workbook(&file.grids, &checked, cx.settings).map_err(|e| Error::Write { path: target.clone(), detail: e.to_string() })?;
        write_whole(&target, &bytes, cx.inputs_in_out)?;
        Ok(bytes.len() as u64)
    });
    drop(file.grids);
    record.seconds = file.elapsed.as_secs_f64() + survey_seconds + start.elapsed().as_secs_f64();
    match (written, file.rule_error) {
        (Ok(size), None) => {
            record.state = State::Checked;
            record.annotated = Some(slashed(&input.annotated));
            record.annotated_size = Some(size);
            // The record last: it is what says the copy is done.
            if let Ok(json) = serde_json::to_vec(&record) {
                if let Err(error) = write_whole(&record_path(cx.out_dir, &input.relative), &json, cx.inputs_in_out) {
                    eprintln!("{} {}", lang.pick("警告：", "warning:"), error.message(lang));
                }
            }
        }
        (Err(error), _) => {
            record.state = State::Failed;
            record.kind = Some(error.kind().to_string());
            record.reason = Some(error.message(lang));
        }
        (Ok(_), Some(rule_error)) => {
            let _ = std::fs::remove_file(&target);
            record.state = State::Failed;
            record.kind = Some("ConfigError".into());
            record.reason = Some(rule_error);
        }
    }
    record
}

/// The units a workbook's documents belong to, each once, in order.
fn units_of(workbook: &Workbook) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    let mut add = |unit: &str| {
        if !unit.is_empty() && !units.iter().any(|u| u == unit) {
            units.push(unit.to_string());
        }
    };
    for table in &workbook.tables {
        if table.lists_units() {
            table.rows.iter().for_each(|r| add(table.unit_of(r)));
        } else {
            add(&table.unit);
        }
    }
    workbook.forms.iter().for_each(|f| add(&f.unit));
    units
}

fn base_record(input: &Input, fingerprint: &str) -> Record {
    Record {
        version: env!("CARGO_PKG_VERSION").to_string(),
        settings: fingerprint.to_string(),
        file: input.path.display().to_string(),
        relative: slashed(&input.relative),
        size: input.size,
        modified: input.modified.and_then(nanos),
        state: State::Checked,
        kind: None,
        reason: None,
        survey: None,
        group: Vec::new(),
        group_unit: None,
        units: Vec::new(),
        projects: 0,
        hidden: 0,
        seconds: 0.0,
        annotated: None,
        annotated_size: None,
        resumed: false,
        findings: Vec::new(),
    }
}

fn unreadable_record(input: &Input, error: &Error, seconds: f64, fingerprint: &str, lang: Lang) -> Record {
    let mut record = base_record(input, fingerprint);
    record.state = State::Unreadable;
    record.kind = Some(error.kind().to_string());
    record.reason = Some(error.message(lang));
    record.seconds = seconds;
    // The unit its name or folder names, so the summary by unit can say whose file it is.
    let paths = [input.relative.clone()];
    let none = Survey::default();
    let members = [Member { relative: &paths[0], survey: Some(&none) }];
    record.group_unit = group::plan(&members).pop().and_then(|g| g.unit);
    record
}

fn skipped_record(skipped: &inputs::Skipped, settings: &Settings) -> Record {
    let input = Input { path: skipped.path.clone(), relative: skipped.relative.clone(), annotated: PathBuf::new(), size: None, modified: None };
    let mut record = base_record(&input, "");
    record.state = State::Skipped;
    record.kind = Some(skipped.why.code().to_string());
    record.reason = Some(skipped.why.reason(settings.lang));
    record
}

/// The closing lines on stderr: what was done, what failed (the first `errors`), where the tables are.
fn report_end(outcome: &Outcome, errors: &[String], out_dir: &Path, seconds: f64, lang: Lang) {
    let Outcome { checked, unreadable, failed, skipped, resumed, .. } = *outcome;
    for reason in errors {
        eprintln!("{} {}", lang.pick("错误：", "error:"), reason);
    }
    if unreadable + failed > 20 {
        eprintln!("{}", match lang {
            Lang::Zh => format!("……另有 {} 个，见 status.csv", unreadable + failed - 20),
            Lang::En => format!("… and {} more, see status.csv", unreadable + failed - 20),
        });
    }
    let rate = (checked + failed) as f64 / seconds.max(1e-9);
    eprintln!("{}", match lang {
        Lang::Zh => format!(
            "已检查 {checked} 个文件（其中 {resumed} 个沿用上次结果），无法读取 {unreadable} 个，未完成 {failed} 个，跳过 {skipped} 个；用时 {seconds:.1} 秒（{rate:.1} 个/秒）。结果见 {}",
            out_dir.join("findings.xlsx").display()
        ),
        Lang::En => format!(
            "{checked} files checked ({resumed} taken from the last run), {unreadable} unreadable, {failed} failed, {skipped} skipped in {seconds:.1} s ({rate:.1} files/s); the tables are in {}",
            out_dir.join("findings.xlsx").display()
        ),
    });
}

/// The engine without outputs, for Python's `check_many`: every file checked with its group, the
/// report's files in input order. `jobs` threads (all cores when None).
pub fn check_many(paths: &[PathBuf], jobs: Option<usize>, settings: Settings) -> Result<Report> {
    let found = inputs::discover(paths, None);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.unwrap_or(0)).build().map_err(|e| Error::Usage(format!("jobs: {e}")))?;
    let files = pool.install(|| {
        let surveys: Vec<Result<Survey>> = found.inputs.par_iter().with_max_len(1).map(|input| work::survey_within(&input.path, &settings.limits)).collect();
        let members: Vec<Member<'_>> =
            found.inputs.iter().zip(&surveys).map(|(input, survey)| Member { relative: &input.relative, survey: survey.as_ref().ok() }).collect();
        let groups = group::plan(&members);
        let mut files: Vec<Option<FileReport>> = (0..found.inputs.len()).map(|_| None).collect();
        let checked: Vec<(usize, FileReport)> = groups
            .par_iter()
            .with_max_len(1)
            .flat_map_iter(|group| {
                let paths: Vec<&Path> = group.members.iter().map(|&i| found.inputs[i].path.as_path()).collect();
                let reports = work::check_group(&paths, group.unit.as_deref(), &settings, false);
                group.members.clone().into_iter().zip(reports.into_iter().map(|f| f.report)).collect::<Vec<_>>()
            })
            .collect();
        for (i, report) in checked {
            files[i] = Some(report);
        }
        for (i, survey) in surveys.into_iter().enumerate() {
            if let Err(error) = survey {
                files[i] = Some(FileReport { path: found.inputs[i].path.clone(), outcome: Err(error) });
            }
        }
        files.into_iter().flatten().collect()
    });
    Ok(Report { files, settings })
}

/// [`group::plan`] over relative paths, with unreadable files (no survey) as groups of their own.
pub fn plan_relatives(relatives: &[&Path], surveys: &[Option<Survey>]) -> Vec<(Vec<usize>, Option<String>)> {
    let members: Vec<Member<'_>> = relatives.iter().zip(surveys).map(|(relative, survey)| Member { relative, survey: survey.as_ref() }).collect();
    let mut groups: Vec<(Vec<usize>, Option<String>)> = group::plan(&members).into_iter().map(|g| (g.members, g.unit)).collect();
    groups.extend(surveys.iter().enumerate().filter(|(_, s)| s.is_none()).map(|(i, _)| (vec![i], None)));
    groups.sort_by_key(|(members, _)| members[0]);
    groups
}
