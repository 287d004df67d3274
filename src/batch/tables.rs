//! The consolidated tables of a batch: every finding (OUT/findings.csv, .parquet and a sheet of
//! OUT/findings.xlsx), every input's status (OUT/status.csv and a sheet), and in the workbook a summary
//! per unit and one per rule.
//!
//! The records are streamed (from the batch's [`Spill`](crate::batch::record::Spill), in input order),
//! never all held: one pass sums up what the summaries and the column formats need, then each table is
//! written a chunk of rows at a time (the workbook's sheets in constant memory, the Parquet file a row
//! group per chunk), so what the tables cost does not grow with the inbox.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use polars::frame::chunk_df_for_writing;
use polars::prelude::ParquetWriter;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Url, Workbook, Worksheet, XlsxError};

use crate::batch::record::{Record, State, StoredFinding, RECORDS};
use crate::check::catalog::{rule, Severity};
use crate::error::{Error, Result};
use crate::model::Lang;
use crate::report::tabular::{at_scale, csv_field, neutralised};
use crate::report::{findings_table, Finding, Tabular, Values};
use crate::settings::Settings;
use crate::write::write_atomically;

/// Excel's rows per sheet, and the hyperlinks it takes on one sheet.
const EXCEL_ROWS: usize = 1_048_576;
const EXCEL_LINKS: usize = 65_530;

/// Rows of the findings table built at a time (a Parquet row group each), and of the status table.
const FINDINGS_CHUNK: usize = 4096;
const STATUS_CHUNK: usize = 1024;

/// A Parquet row group at most (as polars writes a whole frame).
const ROW_GROUP: usize = 512 * 512;

/// What went wrong writing a table, in words.
pub type Fallible<T = ()> = std::result::Result<T, String>;

/// The records of a batch, in input order, visited as often as the tables need them.
pub trait Records {
    fn each(&self, visit: &mut dyn FnMut(Record) -> Fallible) -> Fallible;
}

impl Records for Vec<Record> {
    fn each(&self, visit: &mut dyn FnMut(Record) -> Fallible) -> Fallible {
        self.iter().try_for_each(|record| visit(record.clone()))
    }
}

/// The shown findings of one record, in its order.
fn shown<'a>(record: &'a Record, settings: &'a Settings) -> impl Iterator<Item = Finding> + 'a {
    record.findings.iter().filter_map(StoredFinding::finding).filter(|f| settings.shows(f.severity))
}

/// The shown findings of every record, in input order.
pub fn shown_findings(records: &[Record], settings: &Settings) -> Vec<Finding> {
    records.iter().flat_map(|r| shown(r, settings)).collect()
}

fn text(values: impl IntoIterator<Item = Option<String>>) -> Values {
    Values::Text(values.into_iter().collect())
}

fn int(values: impl IntoIterator<Item = Option<i64>>) -> Values {
    Values::Int(values.into_iter().collect())
}

fn severity_index(severity: Severity) -> usize {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// Shown findings by severity of one record.
fn counts(record: &Record, settings: &Settings) -> [i64; 3] {
    let mut counts = [0; 3];
    for finding in &record.findings {
        let Some(severity) = Severity::parse(&finding.severity) else { continue };
        if settings.shows(severity) {
            counts[severity_index(severity)] += 1;
        }
    }
    counts
}

/// A record's time taken, as the status table gives it (skipped inputs take none).
fn seconds(record: &Record) -> Option<Decimal> {
    (record.state != State::Skipped).then(|| Decimal::from_f64_retain(record.seconds).unwrap_or_default().round_dp(3))
}

/// One row per input, checked or not (the rows of `records`: the status table is written a chunk at a time).
pub fn status_table(records: &[Record], settings: &Settings) -> Tabular {
    let counts: Vec<[i64; 3]> = records.iter().map(|r| counts(r, settings)).collect();
    let mut t = Tabular::default();
    t.push("file", text(records.iter().map(|r| Some(r.file.clone()))));
    t.push("relative", text(records.iter().map(|r| Some(r.relative.clone()))));
    t.push("status", text(records.iter().map(|r| Some(r.state.as_str().to_string()))));
    t.push("kind", text(records.iter().map(|r| r.kind.clone())));
    t.push("reason", text(records.iter().map(|r| r.reason.clone())));
    t.push("unit", text(records.iter().map(|r| (!r.units.is_empty()).then(|| r.units.join("；")))));
    t.push("group_unit", text(records.iter().map(|r| r.group_unit.clone())));
    t.push("group_files", int(records.iter().map(|r| (!r.group.is_empty()).then_some(r.group.len() as i64))));
    t.push("lists", int(records.iter().map(|r| r.survey.as_ref().map(|s| s.lists as i64))));
    t.push("forms", int(records.iter().map(|r| r.survey.as_ref().map(|s| s.forms as i64))));
    t.push("projects", int(records.iter().map(|r| (r.state != State::Skipped && r.survey.is_some()).then_some(r.projects as i64))));
    t.push("errors", int(counts.iter().zip(records).map(|(c, r)| has_findings(r).then_some(c[0]))));
    t.push("warnings", int(counts.iter().zip(records).map(|(c, r)| has_findings(r).then_some(c[1]))));
    t.push("infos", int(counts.iter().zip(records).map(|(c, r)| has_findings(r).then_some(c[2]))));
    t.push("seconds", Values::Decimal(records.iter().map(seconds).collect()));
    t.push("resumed", text(records.iter().map(|r| Some(r.resumed.to_string()))));
    t.push("annotated", text(records.iter().map(|r| r.annotated.clone())));
    t
}

fn has_findings(record: &Record) -> bool {
    matches!(record.state, State::Checked | State::Failed)
}

/// The summary by unit, summed up a record at a time: one line per unit, its files (by the units of
/// their documents; an unreadable file by the unit its name or folder names), what they hold and the
/// shown findings about the unit. Units in the order their files come, then those only findings name.
struct Units {
    unknown: String,
    lines: Vec<UnitLine>,
    at: HashMap<String, usize>,
    /// Units met so far through files, and through findings only.
    by_files: usize,
    by_findings: usize,
}

#[derive(Default)]
struct UnitLine {
    unit: String,
    /// The unit's place among those met through files, else among those met through findings only.
    file_order: Option<usize>,
    finding_order: usize,
    files: i64,
    unreadable: i64,
    lists: i64,
    forms: i64,
    projects: i64,
    severities: [i64; 3],
    rules: Vec<(&'static str, i64)>,
}

impl Units {
    fn new(lang: Lang) -> Units {
        Units { unknown: lang.pick("（未识别单位）", "(no unit)").to_string(), lines: Vec::new(), at: HashMap::new(), by_files: 0, by_findings: 0 }
    }

    fn line(&mut self, unit: &str, through_files: bool) -> &mut UnitLine {
        let index = match self.at.get(unit) {
            Some(&i) => i,
            None => {
                self.lines.push(UnitLine { unit: unit.to_string(), finding_order: self.by_findings, ..UnitLine::default() });
                self.by_findings += 1;
                self.at.insert(unit.to_string(), self.lines.len() - 1);
                self.lines.len() - 1
            }
        };
        let line = &mut self.lines[index];
        if through_files && line.file_order.is_none() {
            line.file_order = Some(self.by_files);
            self.by_files += 1;
        }
        line
    }

    fn add_record(&mut self, record: &Record) {
        if record.state == State::Skipped {
            return;
        }
        let units: Vec<String> = if record.units.is_empty() {
            vec![record.group_unit.clone().unwrap_or_else(|| self.unknown.clone())]
        } else {
            record.units.clone()
        };
        for unit in units {
            let line = self.line(&unit, true);
            line.files += 1;
            if record.state == State::Unreadable {
                line.unreadable += 1;
            }
            if let Some(survey) = &record.survey {
                line.lists += survey.lists as i64;
                line.forms += survey.forms as i64;
            }
            line.projects += record.projects as i64;
        }
    }

    fn add_finding(&mut self, finding: &Finding) {
        let unit = finding.unit.clone().unwrap_or_else(|| self.unknown.clone());
        let line = self.line(&unit, false);
        line.severities[severity_index(finding.severity)] += 1;
        match line.rules.iter_mut().find(|(id, _)| *id == finding.rule) {
            Some((_, n)) => *n += 1,
            None => line.rules.push((finding.rule, 1)),
        }
    }

    fn table(mut self) -> Tabular {
        self.lines.sort_by_key(|l| (l.file_order.is_none(), l.file_order.unwrap_or(l.finding_order)));
        let lines = &self.lines;
        let mut t = Tabular::default();
        t.push("unit", text(lines.iter().map(|l| Some(l.unit.clone()))));
        t.push("files", int(lines.iter().map(|l| Some(l.files))));
        t.push("unreadable", int(lines.iter().map(|l| Some(l.unreadable))));
        t.push("lists", int(lines.iter().map(|l| Some(l.lists))));
        t.push("forms", int(lines.iter().map(|l| Some(l.forms))));
        t.push("projects", int(lines.iter().map(|l| Some(l.projects))));
        t.push("errors", int(lines.iter().map(|l| Some(l.severities[0]))));
        t.push("warnings", int(lines.iter().map(|l| Some(l.severities[1]))));
        t.push("infos", int(lines.iter().map(|l| Some(l.severities[2]))));
        t.push(
            "rules",
            text(lines.iter().map(|l| {
                let mut rules = l.rules.clone();
                rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                (!rules.is_empty()).then(|| rules.iter().map(|(id, n)| format!("{id}×{n}")).collect::<Vec<_>>().join(" "))
            })),
        );
        t
    }
}

/// The summary by rule, summed up a finding at a time: one line per rule that found something, how
/// often, in how many files and units.
#[derive(Default)]
struct Rules {
    lines: Vec<RuleLine>,
}

struct RuleLine {
    rule: &'static str,
    severity: Severity,
    findings: i64,
    files: HashSet<String>,
    units: HashSet<String>,
}

impl Rules {
    fn add(&mut self, f: &Finding) {
        let index = match self.lines.iter().position(|l| l.rule == f.rule && l.severity == f.severity) {
            Some(i) => i,
            None => {
                self.lines.push(RuleLine { rule: f.rule, severity: f.severity, findings: 0, files: HashSet::new(), units: HashSet::new() });
                self.lines.len() - 1
            }
        };
        let line = &mut self.lines[index];
        line.findings += 1;
        if !line.files.contains(&f.file) {
            line.files.insert(f.file.clone());
        }
        if let Some(unit) = &f.unit {
            if !line.units.contains(unit) {
                line.units.insert(unit.clone());
            }
        }
    }

    fn table(mut self, lang: Lang) -> Tabular {
        self.lines.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.findings.cmp(&a.findings)).then(a.rule.cmp(b.rule)));
        let lines = &self.lines;
        let mut t = Tabular::default();
        t.push("rule", text(lines.iter().map(|l| Some(l.rule.to_string()))));
        t.push("severity", text(lines.iter().map(|l| Some(l.severity.as_str().to_string()))));
        t.push("title", text(lines.iter().map(|l| rule(l.rule).map(|r| r.title.get(lang).to_string()))));
        t.push("findings", int(lines.iter().map(|l| Some(l.findings))));
        t.push("files", int(lines.iter().map(|l| Some(l.files.len() as i64))));
        t.push("units", int(lines.iter().map(|l| Some(l.units.len() as i64))));
        t
    }
}

/// What one pass over the records gives before any table is written.
struct Summary {
    units: Tabular,
    rules: Tabular,
    /// The decimals of the status table's `seconds` column (as [`Tabular::write_csv`] gives a whole column).
    seconds_scale: u32,
    /// The annotated copies of the files that findings of another file's record are about.
    foreign_links: HashMap<String, String>,
}

impl Summary {
    fn of(records: &dyn Records, settings: &Settings) -> Fallible<Summary> {
        let mut units = Units::new(settings.lang);
        let mut rules = Rules::default();
        let (mut decimals, mut integer_digits) = (None::<u32>, None::<u32>);
        let mut foreign: HashSet<String> = HashSet::new();
        records.each(&mut |record| {
            units.add_record(&record);
            for finding in shown(&record, settings) {
                units.add_finding(&finding);
                rules.add(&finding);
                if finding.file != record.file {
                    foreign.insert(finding.file);
                }
            }
            if let Some(d) = seconds(&record) {
                decimals = decimals.max(Some(d.normalize().scale()));
                integer_digits = integer_digits.max(Some(digits_before_point(d)));
            }
            Ok(())
        })?;
        let mut foreign_links = HashMap::new();
        if !foreign.is_empty() {
            records.each(&mut |record| {
                if let (true, Some(annotated)) = (foreign.contains(&record.file), record.annotated) {
                    foreign_links.insert(record.file, annotated);
                }
                Ok(())
            })?;
        }
        let seconds_scale = decimals.unwrap_or(0).max(2).min(DECIMAL_PRECISION.saturating_sub(integer_digits.unwrap_or(1)));
        Ok(Summary { units: units.table(), rules: rules.table(settings.lang), seconds_scale, foreign_links })
    }

    /// The annotated copy a finding's cell links to.
    fn link(&self, finding: &Finding, record: &Record) -> Option<String> {
        if finding.file == record.file {
            record.annotated.clone()
        } else {
            self.foreign_links.get(&finding.file).cloned()
        }
    }
}

/// The digits of a polars Decimal, as the tables give a decimal column.
const DECIMAL_PRECISION: u32 = 38;

fn digits_before_point(d: Decimal) -> u32 {
    d.trunc().mantissa().unsigned_abs().checked_ilog10().map_or(1, |log| log + 1)
}

/// What is done with each chunk of findings (and the annotated copy each one's cell links to).
type FindingsVisit<'a> = dyn FnMut(&[Finding], &[Option<String>]) -> Fallible + 'a;

/// Calls `visit` with the shown findings of every record, in input order, `FINDINGS_CHUNK` at a time,
/// each with the annotated copy its cell links to; once with none when there are none.
fn each_findings_chunk(
    records: &dyn Records,
    settings: &Settings,
    summary: &Summary,
    visit: &mut FindingsVisit<'_>,
) -> Fallible {
    let (mut chunk, mut links) = (Vec::new(), Vec::new());
    let mut visited = false;
    records.each(&mut |record| {
        for finding in shown(&record, settings) {
            links.push(summary.link(&finding, &record));
            chunk.push(finding);
            if chunk.len() == FINDINGS_CHUNK {
                visit(&chunk, &links)?;
                chunk.clear();
                links.clear();
                visited = true;
            }
        }
        Ok(())
    })?;
    if !chunk.is_empty() || !visited {
        visit(&chunk, &links)?;
    }
    Ok(())
}

/// Calls `visit` with the status table of every record, in input order, `STATUS_CHUNK` rows at a time.
fn each_status_chunk(records: &dyn Records, settings: &Settings, visit: &mut dyn FnMut(&Tabular) -> Fallible) -> Fallible {
    let mut chunk = Vec::new();
    records.each(&mut |record| {
        chunk.push(record);
        if chunk.len() == STATUS_CHUNK {
            visit(&status_table(&chunk, settings))?;
            chunk.clear();
        }
        Ok(())
    })?;
    if !chunk.is_empty() {
        visit(&status_table(&chunk, settings))?;
    }
    Ok(())
}

/// Writes findings.csv, findings.parquet, status.csv and findings.xlsx into `out_dir`.
///
/// # Errors
/// [`Error::Write`] when a table cannot be written, or the records cannot be read back.
pub fn write_tables(out_dir: &Path, records: &dyn Records, settings: &Settings) -> Result<()> {
    let summary = Summary::of(records, settings).map_err(|detail| Error::Write { path: out_dir.join(RECORDS), detail })?;
    write_atomically(&out_dir.join("findings.csv"), &[], |w| {
        write_csv_header(w, &findings_table(&[])).map_err(|e| e.to_string())?;
        each_findings_chunk(records, settings, &summary, &mut |chunk, _| write_csv_rows(w, &findings_table(chunk), &[]).map_err(|e| e.to_string()))
    })?;
    write_atomically(&out_dir.join("findings.parquet"), &[], |w| findings_parquet(w, records, settings, &summary))?;
    write_atomically(&out_dir.join("status.csv"), &[], |w| {
        let columns = status_table(&[], settings);
        let scales: Vec<u32> = columns.columns.iter().map(|c| if c.name == "seconds" { summary.seconds_scale } else { 0 }).collect();
        write_csv_header(w, &columns).map_err(|e| e.to_string())?;
        each_status_chunk(records, settings, &mut |chunk| write_csv_rows(w, chunk, &scales).map_err(|e| e.to_string()))
    })?;
    write_atomically(&out_dir.join("findings.xlsx"), &[], |w| workbook(w, records, &summary, settings))
}

fn xlsx_error(e: XlsxError) -> String {
    e.to_string()
}

fn polars_error(e: polars::prelude::PolarsError) -> String {
    e.to_string()
}

/// findings.parquet as polars writes the whole frame (a row group per chunk of findings).
fn findings_parquet(w: &mut impl Write, records: &dyn Records, settings: &Settings, summary: &Summary) -> Fallible {
    let empty = findings_table(&[]).to_polars().map_err(polars_error)?;
    let mut writer = ParquetWriter::new(w).batched(empty.schema()).map_err(polars_error)?;
    each_findings_chunk(records, settings, summary, &mut |chunk, _| {
        let mut frame = findings_table(chunk).to_polars().map_err(polars_error)?;
        let frame = chunk_df_for_writing(&mut frame, ROW_GROUP).map_err(polars_error)?;
        writer.write_batch(&frame).map_err(polars_error)
    })?;
    writer.finish().map_err(polars_error)?;
    Ok(())
}

fn workbook(w: &mut (impl Write + Send), records: &dyn Records, summary: &Summary, settings: &Settings) -> Fallible {
    let lang = settings.lang;
    let mut book = Workbook::new();
    for (name, table) in [(lang.pick("按单位汇总", "by unit"), &summary.units), (lang.pick("按规则汇总", "by rule"), &summary.rules)] {
        let sheet = new_sheet(&mut book, name).map_err(xlsx_error)?;
        start_sheet(sheet, table, lang).map_err(xlsx_error)?;
        let height = write_rows(sheet, table, 0, None, lang).map_err(xlsx_error)?;
        finish_sheet(sheet, table, height).map_err(xlsx_error)?;
    }
    let sheet = new_sheet(&mut book, lang.pick("问题清单", "findings")).map_err(xlsx_error)?;
    let columns = findings_table(&[]);
    start_sheet(sheet, &columns, lang).map_err(xlsx_error)?;
    let mut height = 0;
    each_findings_chunk(records, settings, summary, &mut |chunk, links| {
        height += write_rows(sheet, &findings_table(chunk), height, Some(links), lang).map_err(xlsx_error)?;
        Ok(())
    })?;
    finish_sheet(sheet, &columns, height).map_err(xlsx_error)?;
    let sheet = new_sheet(&mut book, lang.pick("文件状态", "status")).map_err(xlsx_error)?;
    let columns = status_table(&[], settings);
    start_sheet(sheet, &columns, lang).map_err(xlsx_error)?;
    let mut height = 0;
    each_status_chunk(records, settings, &mut |chunk| {
        height += write_rows(sheet, chunk, height, None, lang).map_err(xlsx_error)?;
        Ok(())
    })?;
    finish_sheet(sheet, &columns, height).map_err(xlsx_error)?;
    book.save_to_writer(w).map_err(xlsx_error)
}

fn new_sheet<'a>(book: &'a mut Workbook, name: &str) -> std::result::Result<&'a mut Worksheet, XlsxError> {
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(name)?;
    Ok(sheet)
}

/// The header labels of the workbook's sheets in Chinese (CSV and Parquet keep the column names).
fn label(name: &str, lang: Lang) -> &str {
    if lang == Lang::En {
        return name;
    }
    match name {
        "file" => "文件",
        "relative" => "相对路径",
        "sheet" => "工作表",
        "cell" => "单元格",
        "rule" => "规则",
        "severity" => "级别",
        "message" => "说明",
        "found" => "填报值",
        "expected" => "重算值",
        "inputs" => "计算依据",
        "unit" => "单位",
        "table" => "表",
        "form" => "绩效表序号",
        "row" => "行",
        "department" => "部门",
        "project" => "项目",
        "status" => "状态",
        "kind" => "类别",
        "reason" => "原因",
        "group_unit" => "合并核对的单位",
        "group_files" => "合并核对的文件数",
        "lists" => "清单数",
        "forms" => "绩效表数",
        "projects" => "项目数",
        "errors" => "错误",
        "warnings" => "警告",
        "infos" => "提示",
        "seconds" => "用时（秒）",
        "resumed" => "沿用上次结果",
        "annotated" => "标注工作簿",
        "files" => "文件数",
        "unreadable" => "无法读取",
        "rules" => "规则（次数）",
        "title" => "规则说明",
        "findings" => "问题数",
        "units" => "单位数",
        other => other,
    }
}

/// A value as shown in the workbook: severities and states in the reader's language.
fn shown_value<'a>(column: &str, value: &'a str, lang: Lang) -> std::borrow::Cow<'a, str> {
    match column {
        "severity" => Severity::parse(value).map_or(value.into(), |s| s.label(lang).into()),
        "status" if lang == Lang::Zh => match value {
            "checked" => "已检查".into(),
            "unreadable" => "无法读取".into(),
            "failed" => "未完成".into(),
            "skipped" => "已跳过".into(),
            other => other.into(),
        },
        _ => value.into(),
    }
}

/// The column widths and the header row of a sheet of `table`'s columns.
fn start_sheet(sheet: &mut Worksheet, table: &Tabular, lang: Lang) -> std::result::Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (col, column) in table.columns.iter().enumerate() {
        let width = match column.name.as_str() {
            "message" | "reason" => 60.0,
            "file" | "relative" | "annotated" | "unit" | "group_unit" | "project" | "title" => 30.0,
            "rules" => 40.0,
            _ => 12.0,
        };
        sheet.set_column_width(col as u16, width)?;
    }
    for (col, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, label(&column.name, lang), &bold)?;
    }
    Ok(())
}

/// Writes `table`'s rows below the `before` rows already there (as many as Excel takes), each finding's
/// cell linked to the same cell of its file's annotated copy (`links`, by row). Returns the rows written.
fn write_rows(
    sheet: &mut Worksheet,
    table: &Tabular,
    before: usize,
    links: Option<&[Option<String>]>,
    lang: Lang,
) -> std::result::Result<usize, XlsxError> {
    let height = table.height().min((EXCEL_ROWS - 1).saturating_sub(before));
    let sheet_column = table.column("sheet");
    for row in 0..height {
        let at = before + row;
        for (col, column) in table.columns.iter().enumerate() {
            let (r, c) = (at as u32 + 1, col as u16);
            match &column.values {
                Values::Text(v) => {
                    let Some(value) = v[row].as_deref() else { continue };
                    let link = (column.name == "cell" && at < EXCEL_LINKS).then(|| cell_link(links?[row].as_deref()?, sheet_column?, row, value)).flatten();
                    match link {
                        Some(url) => sheet.write_url_with_text(r, c, url, value)?,
                        None => sheet.write_string(r, c, shown_value(&column.name, value, lang))?,
                    };
                }
                Values::Int(v) => {
                    if let Some(n) = v[row] {
                        sheet.write_number(r, c, n as f64)?;
                    }
                }
                Values::Decimal(v) => {
                    if let Some(d) = v[row] {
                        sheet.write_number(r, c, d.to_string().parse::<f64>().unwrap_or_default())?;
                    }
                }
            }
        }
    }
    Ok(height)
}

/// The header row frozen and filtered over the `height` rows written.
fn finish_sheet(sheet: &mut Worksheet, table: &Tabular, height: usize) -> std::result::Result<(), XlsxError> {
    if !table.columns.is_empty() {
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, height.max(1) as u32, table.columns.len() as u16 - 1)?;
    }
    Ok(())
}

/// A link from a finding's cell to the same cell of its file's annotated copy (`target`, relative to OUT).
fn cell_link(target: &str, sheet: &Values, row: usize, cell: &str) -> Option<Url> {
    let Values::Text(sheets) = sheet else { return None };
    let sheet = sheets[row].as_deref()?.replace('\'', "''");
    Some(Url::new(format!("file:///{}#'{sheet}'!{cell}", target.replace('\\', "/"))))
}

// ---------------------------------------------------------------------------------------------
// CSV a chunk at a time, exactly as `Tabular::write_csv` writes a whole table: the byte-order mark and
// the header once, then the rows, each decimal column at the scale of the whole column (given).

fn write_csv_header(out: &mut impl Write, table: &Tabular) -> std::io::Result<()> {
    out.write_all("\u{FEFF}".as_bytes())?;
    let names: Vec<String> = table.columns.iter().map(|c| csv_field(&c.name)).collect();
    writeln!(out, "{}", names.join(","))
}

/// `table`'s rows; `scales[i]` the decimals of column i when it holds decimals.
fn write_csv_rows(out: &mut impl Write, table: &Tabular, scales: &[u32]) -> std::io::Result<()> {
    for row in 0..table.height() {
        let fields: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let value = match &column.values {
                    Values::Text(v) => v[row].as_deref().map(|t| neutralised(t).into_owned()),
                    Values::Int(v) => v[row].map(|n| n.to_string()),
                    Values::Decimal(v) => v[row].map(|d| at_scale(d, scales.get(i).copied().unwrap_or(2)).to_string()),
                };
                value.map(|t| csv_field(&t)).unwrap_or_default()
            })
            .collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::group::Survey;
    use crate::model::CellRef;
    use polars::prelude::SerReader;

    /// The tables as they were made before they were streamed: every record and finding in memory.
    mod whole {
        use super::super::*;

        pub fn unit_table(records: &[Record], findings: &[Finding], lang: Lang) -> Tabular {
            let unknown = lang.pick("（未识别单位）", "(no unit)").to_string();
            #[derive(Default)]
            struct Line {
                files: i64,
                unreadable: i64,
                lists: i64,
                forms: i64,
                projects: i64,
                severities: [i64; 3],
                rules: Vec<(&'static str, i64)>,
            }
            let mut order: Vec<String> = Vec::new();
            let mut lines: Vec<Line> = Vec::new();
            let mut at: HashMap<String, usize> = HashMap::new();
            let mut index = |unit: &str, lines: &mut Vec<Line>| -> usize {
                *at.entry(unit.to_string()).or_insert_with(|| {
                    order.push(unit.to_string());
                    lines.push(Line::default());
                    lines.len() - 1
                })
            };
            for record in records.iter().filter(|r| r.state != State::Skipped) {
                let units: Vec<&str> = if record.units.is_empty() { vec![record.group_unit.as_deref().unwrap_or(&unknown)] } else { record.units.iter().map(String::as_str).collect() };
                for unit in units {
                    let i = index(unit, &mut lines);
                    let line = &mut lines[i];
                    line.files += 1;
                    if record.state == State::Unreadable {
                        line.unreadable += 1;
                    }
                    if let Some(survey) = &record.survey {
                        line.lists += survey.lists as i64;
                        line.forms += survey.forms as i64;
                    }
                    line.projects += record.projects as i64;
                }
            }
            for finding in findings {
                let unit = finding.unit.as_deref().unwrap_or(&unknown);
                let i = index(unit, &mut lines);
                let line = &mut lines[i];
                line.severities[severity_index(finding.severity)] += 1;
                match line.rules.iter_mut().find(|(id, _)| *id == finding.rule) {
                    Some((_, n)) => *n += 1,
                    None => line.rules.push((finding.rule, 1)),
                }
            }
            let rows: Vec<(&String, &Line)> = order.iter().zip(&lines).collect();
            let mut t = Tabular::default();
            t.push("unit", text(rows.iter().map(|(u, _)| Some(u.to_string()))));
            t.push("files", int(rows.iter().map(|(_, l)| Some(l.files))));
            t.push("unreadable", int(rows.iter().map(|(_, l)| Some(l.unreadable))));
            t.push("lists", int(rows.iter().map(|(_, l)| Some(l.lists))));
            t.push("forms", int(rows.iter().map(|(_, l)| Some(l.forms))));
            t.push("projects", int(rows.iter().map(|(_, l)| Some(l.projects))));
            t.push("errors", int(rows.iter().map(|(_, l)| Some(l.severities[0]))));
            t.push("warnings", int(rows.iter().map(|(_, l)| Some(l.severities[1]))));
            t.push("infos", int(rows.iter().map(|(_, l)| Some(l.severities[2]))));
            t.push(
                "rules",
                text(rows.iter().map(|(_, l)| {
                    let mut rules = l.rules.clone();
                    rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                    (!rules.is_empty()).then(|| rules.iter().map(|(id, n)| format!("{id}×{n}")).collect::<Vec<_>>().join(" "))
                })),
            );
            t
        }

        pub fn rule_table(findings: &[Finding], lang: Lang) -> Tabular {
            struct Line<'a> {
                rule: &'static str,
                severity: Severity,
                findings: i64,
                files: HashSet<&'a str>,
                units: HashSet<&'a str>,
            }
            let mut lines: Vec<Line> = Vec::new();
            for f in findings {
                let index = match lines.iter().position(|l| l.rule == f.rule && l.severity == f.severity) {
                    Some(i) => i,
                    None => {
                        lines.push(Line { rule: f.rule, severity: f.severity, findings: 0, files: HashSet::new(), units: HashSet::new() });
                        lines.len() - 1
                    }
                };
                let line = &mut lines[index];
                line.findings += 1;
                line.files.insert(f.file.as_str());
                if let Some(unit) = &f.unit {
                    line.units.insert(unit.as_str());
                }
            }
            lines.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.findings.cmp(&a.findings)).then(a.rule.cmp(b.rule)));
            let mut t = Tabular::default();
            t.push("rule", text(lines.iter().map(|l| Some(l.rule.to_string()))));
            t.push("severity", text(lines.iter().map(|l| Some(l.severity.as_str().to_string()))));
            t.push("title", text(lines.iter().map(|l| rule(l.rule).map(|r| r.title.get(lang).to_string()))));
            t.push("findings", int(lines.iter().map(|l| Some(l.findings))));
            t.push("files", int(lines.iter().map(|l| Some(l.files.len() as i64))));
            t.push("units", int(lines.iter().map(|l| Some(l.units.len() as i64))));
            t
        }
    }

    fn finding(file: &str, i: usize, unit: Option<&str>, rule: &'static str, severity: Severity) -> Finding {
        Finding {
            file: file.into(),
            sheet: if i.is_multiple_of(7) { "O'Brien 表".into() } else { "附件1".into() },
            cell: (!i.is_multiple_of(11)).then(|| CellRef::new(4 + i as u32 % 50, 6)),
            rule,
            severity,
            message: if i.is_multiple_of(5) { "=SUM(A1), \"quoted\"\nline".into() } else { format!("第 {i} 个") },
            found: Some(if i.is_multiple_of(3) { "-12.50".into() } else { "+1+cmd".into() }),
            expected: (i.is_multiple_of(2)).then(|| "100.00%".into()),
            inputs: None,
            unit: unit.map(str::to_string),
            table: Some("表1".into()),
            form: (i.is_multiple_of(4)).then_some(i),
            row: Some(i as u32),
            department: None,
            project: Some(format!("项目{i}")),
        }
    }

    /// Records enough for several chunks of findings and of status rows: units only findings name,
    /// findings about another record's file, unreadable, failed and skipped inputs, hidden infos.
    fn records() -> Vec<Record> {
        let mut out = Vec::new();
        for i in 0..STATUS_CHUNK + 150 {
            let file = format!("/in/单位{}/附件{i}.xlsx", i % 37);
            let state = match i % 53 {
                0 => State::Unreadable,
                1 => State::Failed,
                2 => State::Skipped,
                _ => State::Checked,
            };
            let mut findings = Vec::new();
            if matches!(state, State::Checked | State::Failed) {
                for j in 0..(i % 15) {
                    let k = i * 10 + j;
                    let (rule, severity) = [("X002", Severity::Error), ("A001", Severity::Warning), ("B003", Severity::Info), ("my_rule", Severity::Warning)][k % 4];
                    let unit = match k % 13 {
                        0 => None,
                        1 => Some(format!("只在问题中的单位{}", k % 3)),
                        _ => Some(format!("单位{}", i % 37)),
                    };
                    let about = if k % 17 == 0 { format!("/in/单位{}/附件{}.xlsx", i % 37, (i + 1) % 100) } else { file.clone() };
                    findings.push(StoredFinding::of(&finding(&about, k, unit.as_deref(), rule, severity)));
                }
            }
            out.push(Record {
                version: env!("CARGO_PKG_VERSION").into(),
                settings: String::new(),
                file: file.clone(),
                relative: file.trim_start_matches("/in/").into(),
                size: Some(i as u64),
                modified: None,
                state,
                kind: (state != State::Checked).then(|| "Kind".into()),
                reason: (state != State::Checked).then(|| format!("-原因, {i}")),
                survey: (state != State::Skipped && state != State::Unreadable).then(|| Survey { units: vec![format!("单位{}", i % 37)], lists: 1, forms: i % 3 }),
                group: if state == State::Skipped { vec![] } else { vec![file.clone()] },
                group_unit: (i % 5 != 0).then(|| format!("单位{}", i % 37)),
                units: if i % 6 == 0 { vec![] } else { vec![format!("单位{}", i % 37), format!("单位{}", (i + 1) % 37)] },
                projects: i % 40,
                hidden: 0,
                seconds: if i == 3 { 0.25 } else { i as f64 / 7.0 },
                annotated: (state == State::Checked).then(|| format!("单位{}/附件{i}.checked.xlsx", i % 37)),
                annotated_size: None,
                resumed: i % 2 == 0,
                findings,
            });
        }
        out
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("budgetlint-tables-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn streamed_tables_equal_the_tables_made_whole() {
        for show_info in [false, true] {
            let settings = Settings { show_info, ..Settings::default() };
            let records = records();
            let findings = shown_findings(&records, &settings);
            assert!(findings.len() > FINDINGS_CHUNK, "several chunks of findings: {}", findings.len());
            let dir = scratch(if show_info { "info" } else { "plain" });
            write_tables(&dir, &records, &settings).unwrap();

            let mut csv = Vec::new();
            findings_table(&findings).write_csv(&mut csv).unwrap();
            assert_eq!(String::from_utf8(std::fs::read(dir.join("findings.csv")).unwrap()).unwrap(), String::from_utf8(csv).unwrap());
            let mut csv = Vec::new();
            status_table(&records, &settings).write_csv(&mut csv).unwrap();
            assert_eq!(String::from_utf8(std::fs::read(dir.join("status.csv")).unwrap()).unwrap(), String::from_utf8(csv).unwrap());

            let file = std::fs::File::open(dir.join("findings.parquet")).unwrap();
            let read = polars::prelude::ParquetReader::new(file).finish().unwrap();
            assert!(read.equals_missing(&findings_table(&findings).to_polars().unwrap()));

            let summary = Summary::of(&records, &settings).unwrap();
            assert_eq!(summary.units, whole::unit_table(&records, &findings, settings.lang));
            assert_eq!(summary.rules, whole::rule_table(&findings, settings.lang));

            use calamine::Reader;
            let mut book: calamine::Xlsx<_> = calamine::open_workbook(dir.join("findings.xlsx")).unwrap();
            assert_eq!(book.sheet_names(), ["按单位汇总", "按规则汇总", "问题清单", "文件状态"]);
            let rows = |book: &mut calamine::Xlsx<_>, name: &str| book.worksheet_range(name).unwrap().rows().count() - 1;
            assert_eq!(rows(&mut book, "按单位汇总"), summary.units.height());
            assert_eq!(rows(&mut book, "问题清单"), findings.len());
            assert_eq!(rows(&mut book, "文件状态"), records.len());
            let status = book.worksheet_range("文件状态").unwrap();
            let last = status.rows().next_back().unwrap();
            assert_eq!(last[0].to_string(), records.last().unwrap().file);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn csv_rows_a_chunk_at_a_time_equal_the_whole_csv() {
        let settings = Settings::default();
        let records = records();
        let whole_table = status_table(&records, &settings);
        let mut whole_csv = Vec::new();
        whole_table.write_csv(&mut whole_csv).unwrap();
        let mut chunked = Vec::new();
        write_csv_header(&mut chunked, &status_table(&[], &settings)).unwrap();
        let summary = Summary::of(&records, &settings).unwrap();
        let scales: Vec<u32> = whole_table.columns.iter().map(|c| if c.name == "seconds" { summary.seconds_scale } else { 0 }).collect();
        for chunk in records.chunks(3) {
            write_csv_rows(&mut chunked, &status_table(chunk, &settings), &scales).unwrap();
        }
        assert_eq!(String::from_utf8(chunked).unwrap(), String::from_utf8(whole_csv).unwrap());
    }

    #[test]
    fn a_record_that_cannot_be_read_back_fails_the_tables() {
        struct Broken;
        impl Records for Broken {
            fn each(&self, _: &mut dyn FnMut(Record) -> Fallible) -> Fallible {
                Err("records file lost".into())
            }
        }
        let dir = scratch("broken");
        let error = write_tables(&dir, &Broken, &Settings::default()).unwrap_err();
        assert!(matches!(error, Error::Write { .. }), "{error:?}");
        assert!(!dir.join("findings.xlsx").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
