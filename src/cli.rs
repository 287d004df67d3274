//! The command line, shared by the Rust binary and the `budgetlint` console script of the Python package.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::check::catalog::{rule, Severity};
use crate::error::{Error, Result};
use crate::model::{Lang, Workbook};
use crate::read::grid::{no_grids_if_empty, read_grids_with_layout_within, ReadLimits};
use crate::read::{read_documents_within, read_workbook_strict_within};
use crate::report::text::{render_explain, render_report, render_rules, Style};
use crate::report::{check_file, check_sheets, reconcile_alone, Previews, Sheets, contain_panic, forms_table, indicators_table, projects_table, reconcile, FileReport, Report, Tabular};
use crate::settings::{FailOn, Settings};
use crate::custom_rules::{apply_to_checked, apply_to_report};
use crate::write::{annotated_path, write_annotated_while, write_atomically, Keep};

#[derive(Debug, Parser)]
#[command(
    name = "budgetlint",
    version,
    about = "检查绩效跟踪报表（附件1 项目支出绩效跟踪清单、表1…表N）：精确重算比例与合计，逐格指出矛盾。\nChecks performance-tracking workbooks: recomputes ratios and totals exactly and points at each contradiction."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 读取附件1或绩效表，输出规范化数据 / read lists or forms into normalized rows
    #[command(override_usage = "budgetlint extract [OPTIONS] <FILES>...")]
    Extract {
        /// 工作簿或文件夹 / workbooks or folders (.xlsx .xlsm .xls .ods .xlsb)
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// 输出什么：项目（清单各行）、绩效表、绩效指标 / what to extract
        #[arg(long, value_enum, default_value = "projects")]
        what: What,
        /// 输出文件，按扩展名选择格式 / output file; .csv, .json or .parquet
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// 配置文件（默认读取当前目录的 budgetlint.toml；extract 只用其中的 [limits]）/ settings file (extract uses its [limits])
        #[arg(long)]
        config: Option<PathBuf>,
        /// 读取上限，如 max_cells_per_sheet=20000000（可重复）/ raise or lower a reading limit (repeatable)
        #[arg(long, value_name = "KEY=VALUE")]
        limit: Vec<String>,
    },
    /// 检查工作簿，报告每处不一致 / check workbooks and report each inconsistency
    #[command(override_usage = "budgetlint check [OPTIONS] <FILES>...")]
    Check {
        /// 工作簿或文件夹 / workbooks or folders
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
        #[command(flatten)]
        settings: SettingsArgs,
        /// 输出文件：.xlsx 为标注后的工作簿，.json .csv .parquet 为问题清单 / annotated workbook (.xlsx) or findings file
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// 为每个输入写出标注后的工作簿 NAME.checked.xlsx / write NAME.checked.xlsx for every input
        #[arg(long)]
        annotate: bool,
        /// --annotate 的输出文件夹（默认与输入同目录）/ folder for --annotate outputs
        #[arg(long, requires = "annotate")]
        out_dir: Option<PathBuf>,
    },
    /// 批量检查一期报送材料：按单位核对，逐文件写出标注工作簿，汇总问题与文件状态 / check a period's submissions: each unit's files reconciled, annotated copies, one findings table and one status table
    Batch {
        /// 工作簿或文件夹 / workbooks or folders
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// 输出文件夹：标注工作簿（按输入的目录结构）、findings.xlsx/.parquet/.csv、status.csv / output folder
        #[arg(long, required = true)]
        out_dir: PathBuf,
        /// 并行线程数（默认为全部核心）/ threads (all cores by default)
        #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// 跳过标注工作簿比输入更新的文件，沿用其结果 / skip inputs whose annotated copy is newer, reuse their findings
        #[arg(long)]
        resume: bool,
        #[command(flatten)]
        settings: SettingsArgs,
        /// 不显示进度 / no progress on stderr
        #[arg(long, short = 'q')]
        quiet: bool,
    },
    /// 列出全部规则 / list the rule catalog
    Rules {
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// 解释一条规则并举例 / explain one rule with an example
    #[command(override_usage = "budgetlint explain [OPTIONS] <RULE>")]
    Explain {
        rule: String,
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum What {
    /// 清单各行 / list rows
    Projects,
    /// 每张绩效表一行 / one row per form
    Forms,
    /// 每个绩效指标一行 / one row per indicator
    Indicators,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(lang: LangArg) -> Lang {
        match lang {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOnArg {
    Error,
    Warning,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(fail_on: FailOnArg) -> FailOn {
        match fail_on {
            FailOnArg::Error => FailOn::Error,
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

/// Runs the command line on `args` (program name first) and returns the exit code:
/// 0 clean, 1 findings reached `--fail-on`, 2 a file could not be read or the arguments are wrong.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let lang = cli.lang();
    match cli.command.run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{} {}", lang.pick("错误：", "error:"), error.message(lang));
            2
        }
    }
}

impl Cli {
    fn lang(&self) -> Lang {
        match &self.command {
            // Without --lang, the settings file's `lang` speaks for check's errors too.
            Command::Check { settings: SettingsArgs { lang: None, config, .. }, .. } => {
                Settings::load(config.as_deref()).map(|s| s.lang).unwrap_or_default()
            }
            Command::Check { settings: SettingsArgs { lang, .. }, .. } | Command::Batch { settings: SettingsArgs { lang, .. }, .. } => {
                lang.map(Lang::from).unwrap_or_default()
            }
            Command::Extract { lang, .. }
            | Command::Rules { lang }
            | Command::Explain { lang, .. } => lang.map(Lang::from).unwrap_or_default(),
        }
    }
}

impl Command {
    fn run(self) -> Result<i32> {
        match self {
            Command::Extract { files, what, output, lang, config, limit } => {
                let lang = lang.map(Lang::from).unwrap_or_default();
                let mut settings = Settings::load(config.as_deref())?;
                settings.lang = lang;
                apply_limits(&mut settings, &limit)?;
                extract(&files, what, output.as_deref(), lang, &settings.limits)
            }
            Command::Check { files, format, settings, output, annotate, out_dir } => {
                let outputs = Outputs { file: output, annotate, out_dir };
                check(&files, format, &outputs, settings.settings()?)
            }
            Command::Batch { inputs, out_dir, jobs, resume, settings, quiet } => {
                let settings = settings.settings()?;
                let options = crate::batch::Options { inputs, out_dir, jobs: jobs.map(usize::from), resume, quiet };
                Ok(crate::batch::run(&options, &settings)?.exit_code)
            }
            Command::Rules { lang } => {
                emit(&render_rules(lang.map(Lang::from).unwrap_or_default()));
                Ok(0)
            }
            Command::Explain { rule: id, lang } => {
                let lang = lang.map(Lang::from).unwrap_or_default();
                let info = rule(&id).ok_or_else(|| {
                    Error::Usage(match lang {
                        Lang::Zh => format!("未知规则 {id}；budgetlint rules 列出全部规则"),
                        Lang::En => format!("unknown rule {id}; budgetlint rules lists them all"),
                    })
                })?;
                emit(&render_explain(info, lang));
                Ok(0)
            }
        }
    }
}

/// The settings flags `check` and `batch` share; they go over the settings file.
#[derive(Debug, Args)]
struct SettingsArgs {
    /// 何种级别的问题使退出码为 1 / which findings make the exit code 1
    #[arg(long, value_enum)]
    fail_on: Option<FailOnArg>,
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// 配置文件（默认读取当前目录的 budgetlint.toml）/ settings file
    #[arg(long)]
    config: Option<PathBuf>,
    /// 显示提示级问题（如尾差）/ show info findings (rounding remainders and the like)
    #[arg(long)]
    show_info: bool,
    /// 关闭规则，如 V004,E003 / switch rules off
    #[arg(long, value_delimiter = ',')]
    disable: Vec<String>,
    /// 改变规则级别，如 E002=error / override a rule's severity
    #[arg(long, value_name = "RULE=LEVEL")]
    severity: Vec<String>,
    /// 设置阈值，如 low_execution_percent=85 / set a threshold
    #[arg(long, value_name = "NAME=VALUE")]
    threshold: Vec<String>,
    /// 读取上限，如 max_cells_per_sheet=20000000（可重复）/ raise or lower a reading limit (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    limit: Vec<String>,
}

impl SettingsArgs {
    /// The settings file (`--config`, else ./budgetlint.toml), with these flags over it.
    fn settings(self) -> Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref())?;
        apply_flags(&mut settings, self)?;
        Ok(settings)
    }
}

/// CLI flags go over the settings file.
fn apply_flags(settings: &mut Settings, flags: SettingsArgs) -> Result<()> {
    if let Some(fail_on) = flags.fail_on {
        settings.fail_on = fail_on.into();
    }
    if let Some(lang) = flags.lang {
        settings.lang = lang.into();
    }
    settings.show_info |= flags.show_info;
    for id in flags.disable.iter().filter(|id| !id.trim().is_empty()) {
        settings.disable(id.trim()).map_err(Error::Usage)?;
    }
    let lang = settings.lang;
    for pair in &flags.severity {
        let (id, level) = split_pair(pair, "--severity", lang)?;
        let level = Severity::parse(level).ok_or_else(|| {
            Error::Usage(match lang {
                Lang::Zh => format!("--severity {pair}：级别应为 error、warning 或 info"),
                Lang::En => format!("--severity {pair}: the level must be error, warning or info"),
            })
        })?;
        settings.set_severity(id, level).map_err(Error::Usage)?;
    }
    for pair in &flags.threshold {
        let (name, value) = split_pair(pair, "--threshold", lang)?;
        settings.set_threshold(name, value).map_err(Error::Usage)?;
    }
    apply_limits(settings, &flags.limit)
}

/// `--limit KEY=VALUE`, each over the settings file's `[limits]`; a mistake names the flag, the key
/// and what was expected.
fn apply_limits(settings: &mut Settings, pairs: &[String]) -> Result<()> {
    let lang = settings.lang;
    for pair in pairs {
        let (key, value) = split_pair(pair, "--limit", lang)?;
        settings.set_limit(key, value).map_err(|detail| {
            Error::Usage(match lang {
                Lang::Zh => format!("--limit {pair}：{detail}"),
                Lang::En => format!("--limit {pair}: {detail}"),
            })
        })?;
    }
    Ok(())
}

fn split_pair<'a>(pair: &'a str, flag: &str, lang: Lang) -> Result<(&'a str, &'a str)> {
    pair.split_once('=').map(|(a, b)| (a.trim(), b.trim())).ok_or_else(|| {
        Error::Usage(match lang {
            Lang::Zh => format!("{flag} {pair}：应写成 名称=值"),
            Lang::En => format!("{flag} {pair}: write it as NAME=VALUE"),
        })
    })
}

/// An output into a folder that does not exist is refused before any work, naming the folder.
fn refuse_missing_folder(output: &Path, lang: Lang) -> Result<()> {
    let folder = output.parent().filter(|p| !p.as_os_str().is_empty());
    match folder {
        Some(folder) if !folder.is_dir() => Err(Error::Usage(match lang {
            Lang::Zh => format!("-o {}：文件夹 {} 不存在，请先创建它", output.display(), folder.display()),
            Lang::En => format!("-o {}: the folder {} does not exist; create it first", output.display(), folder.display()),
        })),
        _ => Ok(()),
    }
}

const SPREADSHEET_EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xls", "ods", "xlsb"];

/// Files as given, folders replaced by the workbooks inside them (recursively, sorted);
/// Excel lock files and budgetlint's own `.checked.xlsx` outputs are skipped.
pub fn expand_inputs(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut searched = std::collections::HashSet::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            collect_workbooks(path, &mut searched, &mut found);
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    out
}

/// Whether `dir` is met for the first time, by its real path: a symbolic link back up the tree is not
/// a new folder to search.
pub fn first_visit(dir: &Path, searched: &mut std::collections::HashSet<PathBuf>) -> bool {
    searched.insert(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()))
}

fn collect_workbooks(dir: &Path, searched: &mut std::collections::HashSet<PathBuf>, out: &mut Vec<PathBuf>) {
    if !first_visit(dir, searched) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        // A folder that cannot be listed is an input that fails, with why, rather than nothing at all.
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return out.push(dir.to_path_buf()),
        Err(_) => return,
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("~$") || name.starts_with('.') || name.contains(".checked.") {
            continue;
        }
        if path.is_dir() {
            collect_workbooks(&path, searched, out);
        } else if path.extension().is_some_and(|e| SPREADSHEET_EXTENSIONS.contains(&e.to_string_lossy().to_lowercase().as_str())) {
            out.push(path);
        }
    }
}

fn extract(files: &[PathBuf], what: What, output: Option<&Path>, lang: Lang, limits: &ReadLimits) -> Result<i32> {
    if let Some(path) = output {
        // Refused before any work, as `check -o` is.
        table_extension(path, lang)?;
        refuse_missing_folder(path, lang)?;
    }
    let inputs = expand_inputs(files);
    let mut workbooks: Vec<Workbook> = Vec::new();
    let mut failed = 0;
    for path in &inputs {
        // Lists promise clean numbers (a figure that is not one is an error); forms are read as they are.
        let read = match what {
            What::Projects => read_workbook_strict_within(path, limits),
            What::Forms | What::Indicators => read_documents_within(path, limits),
        };
        match read {
            Ok(workbook) => workbooks.push(workbook),
            Err(error) => {
                failed += 1;
                eprintln!("{} {}", lang.pick("错误：", "error:"), error.message(lang));
            }
        }
    }
    let refs: Vec<&Workbook> = workbooks.iter().collect();
    let table = match what {
        What::Projects => projects_table(&refs, true),
        What::Forms => forms_table(&refs, true),
        What::Indicators => indicators_table(&refs, true),
    };
    match output {
        // An empty table would pass for "nothing in them" when nothing could be read.
        Some(path) if refs.is_empty() => {
            eprintln!("{} {}", lang.pick("未写出（没有可读取的输入）：", "not written (no input could be read):"), path.display());
        }
        Some(path) => {
            write_table(&table, path, &inputs, lang)?;
            let left_out = match failed {
                0 => String::new(),
                n => match lang {
                    Lang::Zh => format!("（{n} 个文件未能读取，不在其中）"),
                    Lang::En => format!(" ({n} unreadable files left out)"),
                },
            };
            eprintln!("{} {}{left_out}", lang.pick("已写出：", "written:"), path.display());
        }
        None if !refs.is_empty() => print_table(&table, what, lang),
        None => {}
    }
    // The process ends next: freeing a hundred thousand rows cell by cell is wasted time.
    std::mem::forget((table, workbooks));
    Ok(if failed > 0 { 2 } else { 0 })
}

/// Writes a table by the output's extension.
fn write_table(table: &Tabular, path: &Path, inputs: &[PathBuf], lang: Lang) -> Result<()> {
    match table_extension(path, lang)? {
        "csv" => write_atomically(path, inputs, |w| table.write_csv(w).map_err(|e| e.to_string())),
        "json" => write_json(&table.json_rows(), path, inputs),
        _ => write_atomically(path, inputs, |w| table.write_parquet(w).map_err(|e| e.to_string())),
    }
}

/// `csv`, `json` or `parquet`: the formats a table is written in.
fn table_extension(path: &Path, lang: Lang) -> Result<&'static str> {
    let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    ["csv", "json", "parquet"].into_iter().find(|e| *e == extension).ok_or_else(|| {
        Error::Usage(match lang {
            Lang::Zh => format!("{}：输出文件扩展名应为 .csv、.json 或 .parquet", path.display()),
            Lang::En => format!("{}: the output's extension must be .csv, .json or .parquet", path.display()),
        })
    })
}

fn write_json(value: &impl serde::Serialize, path: &Path, inputs: &[PathBuf]) -> Result<()> {
    write_atomically(path, inputs, |w| {
        serde_json::to_writer_pretty(&mut *w, value).map_err(|e| e.to_string())?;
        w.write_all(b"\n").map_err(|e| e.to_string())
    })
}

/// Writes to stdout; a reader that went away (`| head`) just ends the output, it is no error.
fn emit(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}

/// Writes JSON to stdout as it is made; as [`emit`], a reader that went away just ends it.
fn emit_json(value: &impl serde::Serialize) {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let _ = serde_json::to_writer_pretty(&mut stdout, value).map_err(std::io::Error::from).and_then(|()| stdout.write_all(b"\n")).and_then(|()| stdout.flush());
}

/// The normalized rows on a terminal: the columns a person reads, the rest via `-o`.
fn print_table(table: &Tabular, what: What, lang: Lang) {
    let shown: &[&str] = match what {
        What::Projects => &["sheet", "row", "kind", "department", "project", "budget_initial", "budget_adjusted", "actual", "ratio"],
        What::Forms => &["sheet", "kind", "year", "project", "unit", "budget_initial", "budget_adjusted", "actual", "ratio", "total_score"],
        What::Indicators => &["sheet", "project", "level2", "level3", "target", "actual", "verdict", "score"],
    };
    let mut compact = Tabular::default();
    for name in shown.iter().copied() {
        if let Some(values) = table.column(name) {
            compact.push(name, values.clone());
        }
    }
    match compact.to_polars() {
        Ok(frame) => {
            set_terminal_format_defaults();
            emit(&format!("{frame}\n"));
            emit(&match lang {
                Lang::Zh => format!("共 {} 行（金额单位：万元，比例单位：%）；完整列（含单元格出处）请用 -o out.csv / out.json / out.parquet\n", table.height()),
                Lang::En => format!("{} rows (amounts in 万元, ratios in %); every column (with the cells) with -o out.csv / out.json / out.parquet\n", table.height()),
            });
        }
        Err(e) => eprintln!("{e}"),
    }
}

/// polars reads its table width and row limit from the environment; the user's own settings win.
fn set_terminal_format_defaults() {
    let settings = [
        ("POLARS_FMT_MAX_ROWS", "40"),
        ("POLARS_FMT_MAX_COLS", "12"),
        ("POLARS_FMT_STR_LEN", "40"),
        ("POLARS_TABLE_WIDTH", "160"),
        ("POLARS_FMT_TABLE_HIDE_COLUMN_DATA_TYPES", "1"),
    ];
    for (key, value) in settings {
        if std::env::var_os(key).is_none() {
            std::env::set_var(key, value);
        }
    }
}

/// Checks `input` and writes its annotated copy to `target` from the same read of its sheets.
/// A copy that cannot be written gives its error beside the file's (still valid) report.
/// With `alone`, the checks across the workbook's own documents are made before the copy is marked
/// (a file given on its own); otherwise the report makes them across all files afterwards.
fn check_and_annotate(input: &Path, target: &Path, settings: &Settings, inputs: &[PathBuf], alone: bool) -> (FileReport, Option<Error>) {
    let grids = match no_grids_if_empty(read_grids_with_layout_within(input, &settings.limits)) {
        Ok(grids) => grids,
        Err(error) => return (FileReport { path: input.to_path_buf(), outcome: Err(error) }, None),
    };
    // The user's own rules are applied before the copy is marked, so their findings are marked too.
    let mut rule_error = None;
    let check = |sheets: Sheets<'_>| {
        let mut checked = check_sheets(input, sheets, settings);
        if alone {
            reconcile_alone(&mut checked, settings);
        }
        if let Err(error) = apply_to_checked(&settings.rules, &mut checked, settings.lang) {
            rule_error = Some(Error::Usage(error));
        }
        checked
    };
    // A file on its own reports only its findings afterwards; others are reconciled across files.
    let keep = if alone { Keep::FindingsOnly } else { Keep::Rows };
    let work = || Ok(write_annotated_while(grids, check, keep, settings, target, inputs));
    let (checked, written) = match contain_panic(input, work) {
        Ok(done) => done,
        Err(error) => return (FileReport { path: input.to_path_buf(), outcome: Err(error) }, None),
    };
    let written = match rule_error {
        Some(error) => Err(error),
        None => written,
    };
    (FileReport { path: input.to_path_buf(), outcome: Ok(checked) }, written.err())
}

/// Where `--annotate` writes each input's copy: as `batch` names them, so that no two inputs share one
/// (`a.xlsx` and `a.xlsm` of a folder, `a.xlsx` in two subfolders): beside the input, or under
/// `out_dir` mirroring the folders given.
fn annotated_copies(files: &[PathBuf], out_dir: Option<&Path>) -> std::collections::HashMap<PathBuf, PathBuf> {
    let found = crate::batch::inputs::discover(files, out_dir);
    let target = |input: &crate::batch::inputs::Input| match out_dir {
        Some(dir) => dir.join(&input.annotated),
        None => input.path.with_file_name(input.annotated.file_name().unwrap_or_default()),
    };
    found.inputs.iter().map(|input| (input.path.clone(), target(input))).collect()
}

/// The folder a mirrored copy goes into, made when missing.
fn make_parent(target: &Path) -> Result<()> {
    match target.parent().filter(|p| !p.as_os_str().is_empty() && !p.is_dir()) {
        Some(folder) => std::fs::create_dir_all(folder).map_err(|e| Error::Write { path: folder.to_path_buf(), detail: e.to_string() }),
        None => Ok(()),
    }
}

/// What `check` writes besides its report on stdout.
struct Outputs {
    file: Option<PathBuf>,
    annotate: bool,
    out_dir: Option<PathBuf>,
}

fn check(files: &[PathBuf], format: Format, outputs: &Outputs, settings: Settings) -> Result<i32> {
    let lang = settings.lang;
    let inputs = expand_inputs(files);
    if inputs.is_empty() {
        let given: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(Error::Usage(match lang {
            Lang::Zh => format!("{}：没有找到要检查的工作簿（.xlsx .xlsm .xls .ods .xlsb）", given.join("、")),
            Lang::En => format!("{}: no workbook to check (.xlsx .xlsm .xls .ods .xlsb)", given.join(", ")),
        }));
    }
    let extension = outputs.file.as_deref().map(|p| p.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default());
    if let (Some(path), Some(extension)) = (outputs.file.as_deref(), extension.as_deref()) {
        // Refused before any work: the checks of a large folder are not run for nothing.
        if !["csv", "json", "parquet", "xlsx"].contains(&extension) {
            return Err(Error::Usage(match lang {
                Lang::Zh => format!("{}：输出文件扩展名应为 .csv、.json、.parquet 或 .xlsx（标注工作簿）", path.display()),
                Lang::En => format!("{}: the output's extension must be .csv, .json, .parquet or .xlsx (the annotated workbook)", path.display()),
            }));
        }
        refuse_missing_folder(path, lang)?;
    }
    let wants_workbook = extension.as_deref() == Some("xlsx");
    if wants_workbook && inputs.len() != 1 {
        return Err(Error::Usage(
            lang.pick(
                "-o OUT.xlsx 只能用于一个输入文件；多个文件请用 --annotate [--out-dir DIR]",
                "-o OUT.xlsx takes one input file; for several use --annotate [--out-dir DIR]",
            )
            .into(),
        ));
    }
    let show_progress = inputs.len() > 1 && std::io::stderr().is_terminal();
    let copies = if outputs.annotate { annotated_copies(files, outputs.out_dir.as_deref()) } else { Default::default() };
    let annotated_target = |input: &Path| match outputs.file.as_deref() {
        Some(path) if wants_workbook => Some(path.to_path_buf()),
        _ if outputs.annotate => Some(copies.get(input).cloned().unwrap_or_else(|| annotated_path(input, outputs.out_dir.as_deref()))),
        _ => None,
    };
    if let Some(dir) = outputs.out_dir.as_deref().filter(|_| outputs.annotate) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Write { path: dir.to_path_buf(), detail: e.to_string() })?;
    }
    let mut write_errors = Vec::new();
    let mut files = Vec::with_capacity(inputs.len());
    for (done, input) in inputs.iter().enumerate() {
        let file = match annotated_target(input) {
            Some(target) => {
                let (file, write_error) = match make_parent(&target) {
                    Ok(()) => check_and_annotate(input, &target, &settings, &inputs, inputs.len() == 1),
                    Err(error) => (check_file(input, &settings, Previews::Skip), Some(error)),
                };
                if write_error.is_none() && file.outcome.is_ok() {
                    eprintln!("{} {}", settings.lang.pick("已写出标注工作簿：", "annotated workbook written:"), target.display());
                }
                write_errors.extend(write_error);
                file
            }
            None => check_file(input, &settings, Previews::Skip),
        };
        files.push(file);
        if show_progress {
            eprint!("\r\x1b[2K[{}/{}] {}", done + 1, inputs.len(), input.display());
            if done + 1 == inputs.len() {
                eprintln!();
            }
        }
    }
    if !(wants_workbook || (outputs.annotate && inputs.len() == 1)) {
        reconcile(&mut files, &settings);
    }
    let mut report = Report { files, settings };
    if !(wants_workbook || outputs.annotate) {
        // The annotated path applied them file by file, before marking each copy.
        let rules = std::mem::take(&mut report.settings.rules);
        apply_to_report(&rules, &mut report).map_err(Error::Usage)?;
        report.settings.rules = rules;
    }
    match format {
        Format::Text => {
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            emit(&render_report(&report, Style { colour }));
        }
        Format::Json => emit_json(&report.json()),
        Format::Csv => {
            let mut csv = Vec::new();
            let _ = report.findings_table().write_csv(&mut csv);
            emit(&String::from_utf8_lossy(&csv));
        }
    }
    if format != Format::Text {
        for (path, error) in report.failures() {
            eprintln!("{} {}: {}", report.settings.lang.pick("错误：", "error:"), path.display(), error.message(report.settings.lang));
        }
    }
    let mut code = report.exit_code();
    if let Some(path) = outputs.file.as_deref().filter(|_| !wants_workbook) {
        // A .json file holds what --format json prints: the summary, the findings and the failures.
        match table_extension(path, lang)? {
            "json" => write_json(&report.json(), path, &inputs)?,
            _ => write_table(&report.findings_table(), path, &inputs, lang)?,
        }
        eprintln!("{} {}", lang.pick("已写出问题清单：", "findings written:"), path.display());
    }
    for error in &write_errors {
        eprintln!("{} {}", report.settings.lang.pick("错误：", "error:"), error.message(report.settings.lang));
        code = 2;
    }
    std::mem::forget(report);
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings a command line gives, over an empty settings file (the working folder's is not read).
    fn settings_of(args: &[&str]) -> Result<Settings> {
        let config = std::env::temp_dir().join(format!("budgetlint-cli-{}.toml", std::process::id()));
        std::fs::write(&config, "").unwrap();
        let mut argv = vec!["budgetlint"];
        argv.extend_from_slice(args);
        argv.extend_from_slice(&["--config", config.to_str().unwrap()]);
        let cli = Cli::try_parse_from(argv).map_err(|e| Error::Usage(e.to_string()))?;
        match cli.command {
            Command::Check { settings, .. } | Command::Batch { settings, .. } => settings.settings(),
            Command::Extract { config, limit, .. } => {
                let mut settings = Settings::load(config.as_deref())?;
                apply_limits(&mut settings, &limit)?;
                Ok(settings)
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn limit_flags_set_the_reading_limits() {
        let settings = settings_of(&[
            "check",
            "a.xlsx",
            "--limit",
            "max_cells_per_sheet=20_000_000",
            "--limit",
            " max_sheets = 3 ",
        ])
        .unwrap();
        assert_eq!(settings.limits.max_cells_per_sheet, 20_000_000);
        assert_eq!(settings.limits.max_sheets, 3);
        assert_eq!(settings.limits.max_bytes, ReadLimits::default().max_bytes);
        assert_eq!(settings_of(&["check", "a.xlsx"]).unwrap().limits, ReadLimits::default());
        // Every subcommand that reads takes them.
        let batch = settings_of(&["batch", "in", "--out-dir", "out", "--limit", "max_bytes=1000000000"]).unwrap();
        assert_eq!(batch.limits.max_bytes, 1_000_000_000);
        let extract = settings_of(&["extract", "a.xlsx", "--limit", "max_cell_chars=100"]).unwrap();
        assert_eq!(extract.limits.max_cell_chars, 100);
        let annotate = settings_of(&["check", "a.xlsx", "--annotate", "--limit", "max_merged_cells_per_sheet=5"]).unwrap();
        assert_eq!(annotate.limits.max_merged_cells_per_sheet, 5);
    }

    #[test]
    fn bad_limit_flags_name_the_key_and_what_was_expected() {
        let message = |args: &[&str]| settings_of(args).unwrap_err().to_string();
        let zero = message(&["check", "a.xlsx", "--limit", "max_cells_per_sheet=0"]);
        assert_eq!(
            zero,
            "参数有误：--limit max_cells_per_sheet=0：读取上限 max_cells_per_sheet 应为大于 0 的整数（可用 _ 分隔，如 20_000_000），而不是 0"
        );
        assert!(message(&["check", "a.xlsx", "--limit", "max_sheets=-2"]).contains("max_sheets 应为大于 0 的整数"));
        assert!(message(&["check", "a.xlsx", "--limit", "max_sheets=lots"]).contains("而不是 lots"));
        let unknown = message(&["batch", "in", "--out-dir", "o", "--limit", "max_rows=5"]);
        assert!(unknown.contains("未知读取上限 max_rows") && unknown.contains("max_cells_per_sheet"), "{unknown}");
        assert!(message(&["check", "a.xlsx", "--limit", "max_sheets"]).contains("--limit max_sheets：应写成 名称=值"));
        assert!(message(&["extract", "a.xlsx", "--limit", "max_bytes=1.5"]).contains("max_bytes"));
        let english = settings_of(&["check", "a.xlsx", "--lang", "en", "--limit", "max_cell_chars=0"]).unwrap_err();
        assert_eq!(
            english.message(Lang::En),
            "invalid arguments: --limit max_cell_chars=0: limit max_cell_chars must be a whole number above 0 (`_` separators allowed, as in 20_000_000), not 0"
        );
    }
}
