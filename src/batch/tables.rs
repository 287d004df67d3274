//! The consolidated tables of a batch: every finding (OUT/findings.csv, .parquet and a sheet of
//! OUT/findings.xlsx), every input's status (OUT/status.csv and a sheet), and in the workbook a summary
//! per unit and one per rule.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Url, Workbook, XlsxError};

use crate::batch::record::{Record, State};
use crate::check::catalog::{rule, Severity};
use crate::error::{Error, Result};
use crate::model::Lang;
use crate::report::{findings_table, Finding, Tabular, Values};
use crate::settings::Settings;
use crate::write::write_atomically;

/// Excel's rows per sheet, and the hyperlinks it takes on one sheet.
const EXCEL_ROWS: usize = 1_048_576;
const EXCEL_LINKS: usize = 65_530;

/// The shown findings of every record, in input order.
pub fn shown_findings(records: &[Record], settings: &Settings) -> Vec<Finding> {
    records
        .iter()
        .flat_map(|r| r.findings.iter().filter_map(|f| f.finding()))
        .filter(|f| settings.shows(f.severity))
        .collect()
}

fn text(values: impl IntoIterator<Item = Option<String>>) -> Values {
    Values::Text(values.into_iter().collect())
}

fn int(values: impl IntoIterator<Item = Option<i64>>) -> Values {
    Values::Int(values.into_iter().collect())
}

/// Shown findings by severity of one record.
fn counts(record: &Record, settings: &Settings) -> [i64; 3] {
    let mut counts = [0; 3];
    for finding in &record.findings {
        let Some(severity) = Severity::parse(&finding.severity) else { continue };
        if !settings.shows(severity) {
            continue;
        }
        counts[match severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
    }
    counts
}

/// One row per input, checked or not.
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
    t.push("seconds", Values::Decimal(records.iter().map(|r| (r.state != State::Skipped).then(|| Decimal::from_f64_retain(r.seconds).unwrap_or_default().round_dp(3))).collect()));
    t.push("resumed", text(records.iter().map(|r| Some(r.resumed.to_string()))));
    t.push("annotated", text(records.iter().map(|r| r.annotated.clone())));
    t
}

fn has_findings(record: &Record) -> bool {
    matches!(record.state, State::Checked | State::Failed)
}

/// One row per unit: its files (by the units of their documents; an unreadable file by the unit its
/// name or folder names), what they hold and the shown findings about the unit.
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
        line.severities[match finding.severity {
            Severity::Error => 0,
            Severity::Warning => 1,
            Severity::Info => 2,
        }] += 1;
        match line.rules.iter_mut().find(|(id, _)| *id == finding.rule) {
            Some((_, n)) => *n += 1,
            None => line.rules.push((finding.rule, 1)),
        }
    }
    drop(index);
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

/// One row per rule that found something: how often, in how many files and units.
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

/// Writes findings.csv, findings.parquet, status.csv and findings.xlsx into `out_dir`.
pub fn write_tables(out_dir: &Path, records: &[Record], settings: &Settings) -> Result<()> {
    let findings = shown_findings(records, settings);
    let table = findings_table(&findings);
    let status = status_table(records, settings);
    write_atomically(&out_dir.join("findings.csv"), &[], |w| table.write_csv(w).map_err(|e| e.to_string()))?;
    write_atomically(&out_dir.join("findings.parquet"), &[], |w| table.write_parquet(w).map_err(|e| e.to_string()))?;
    write_atomically(&out_dir.join("status.csv"), &[], |w| status.write_csv(w).map_err(|e| e.to_string()))?;
    let path = out_dir.join("findings.xlsx");
    let links: HashMap<&str, &str> = records.iter().filter_map(|r| Some((r.file.as_str(), r.annotated.as_deref()?))).collect();
    let bytes = workbook(records, &findings, &table, &status, &links, settings.lang).map_err(|e| Error::Write { path: path.clone(), detail: e.to_string() })?;
    write_atomically(&path, &[], |w| std::io::Write::write_all(w, &bytes).map_err(|e| e.to_string()))
}

fn workbook(
    records: &[Record],
    findings: &[Finding],
    table: &Tabular,
    status: &Tabular,
    links: &HashMap<&str, &str>,
    lang: Lang,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let sheets = [
        (lang.pick("按单位汇总", "by unit"), unit_table(records, findings, lang), false),
        (lang.pick("按规则汇总", "by rule"), rule_table(findings, lang), false),
        (lang.pick("问题清单", "findings"), table.clone(), true),
        (lang.pick("文件状态", "status"), status.clone(), false),
    ];
    for (name, tabular, linked) in &sheets {
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(*name)?;
        write_sheet(sheet, tabular, if *linked { Some(links) } else { None }, lang)?;
    }
    book.save_to_buffer()
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
fn shown<'a>(column: &str, value: &'a str, lang: Lang) -> std::borrow::Cow<'a, str> {
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

fn write_sheet(
    sheet: &mut rust_xlsxwriter::Worksheet,
    table: &Tabular,
    links: Option<&HashMap<&str, &str>>,
    lang: Lang,
) -> std::result::Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let widths: Vec<f64> = table
        .columns
        .iter()
        .map(|c| match c.name.as_str() {
            "message" | "reason" => 60.0,
            "file" | "relative" | "annotated" | "unit" | "group_unit" | "project" | "title" => 30.0,
            "rules" => 40.0,
            _ => 12.0,
        })
        .collect();
    for (col, width) in widths.iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    for (col, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, label(&column.name, lang), &bold)?;
    }
    let height = table.height().min(EXCEL_ROWS - 1);
    let file = table.column("file");
    let sheet_column = table.column("sheet");
    for row in 0..height {
        for (col, column) in table.columns.iter().enumerate() {
            let (r, c) = (row as u32 + 1, col as u16);
            match &column.values {
                Values::Text(v) => {
                    let Some(value) = v[row].as_deref() else { continue };
                    let link = (column.name == "cell" && row < EXCEL_LINKS).then(|| cell_link(links?, file?, sheet_column?, row, value)).flatten();
                    match link {
                        Some(url) => sheet.write_url_with_text(r, c, url, value)?,
                        None => sheet.write_string(r, c, shown(&column.name, value, lang))?,
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
    if !table.columns.is_empty() {
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, height.max(1) as u32, table.columns.len() as u16 - 1)?;
    }
    Ok(())
}

/// A link from a finding's cell to the same cell of its file's annotated copy.
fn cell_link(links: &HashMap<&str, &str>, file: &Values, sheet: &Values, row: usize, cell: &str) -> Option<Url> {
    let (Values::Text(files), Values::Text(sheets)) = (file, sheet) else { return None };
    let target = links.get(files[row].as_deref()?)?;
    let sheet = sheets[row].as_deref()?.replace('\'', "''");
    Some(Url::new(format!("file:///{}#'{sheet}'!{cell}", target.replace('\\', "/"))))
}
