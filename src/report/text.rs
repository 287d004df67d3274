//! The report as a person reads it on a terminal: grouped by file and sheet, one line a finding.

use std::fmt::Write;

use crate::check::catalog::{RuleInfo, Severity, RULES};
use crate::model::Lang;
use crate::read::unit::{same_unit, unit_key};
use crate::report::{Finding, Report};

/// ANSI colours, used only when writing to a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn severity(self, severity: Severity, lang: Lang) -> String {
        let code = match severity {
            Severity::Error => "1;31",
            Severity::Warning => "33",
            Severity::Info => "34",
        };
        self.paint(code, severity.label(lang))
    }
}

pub fn render_report(report: &Report, style: Style) -> String {
    let lang = report.settings.lang;
    let mut out = String::new();
    for file in &report.files {
        let _ = writeln!(out, "{}", style.paint("1", &file.path.display().to_string()));
        match &file.outcome {
            Err(error) => {
                let _ = writeln!(out, "  {} {}", style.severity(Severity::Error, lang), error.message(lang));
            }
            Ok(checked) => {
                let shown: Vec<&Finding> = checked.findings.iter().filter(|f| report.settings.shows(f.severity)).collect();
                render_findings(&mut out, &shown, style, lang);
            }
        }
    }
    let _ = writeln!(out, "{}", summary_line(report));
    out
}

/// A file's findings by sheet; by unit first when the file holds several units (a consolidation).
fn render_findings(out: &mut String, findings: &[&Finding], style: Style, lang: Lang) {
    if findings.is_empty() {
        let _ = writeln!(out, "  {}", lang.pick("未发现问题", "no findings"));
        return;
    }
    // One group per unit, however it is spelled (月坛街道 in a 汇总, its full name on its own sheet).
    let mut units: Vec<&str> = Vec::new();
    let group_of = |units: &[&str], unit: &str| units.iter().position(|u| same_unit(&unit_key(u), &unit_key(unit)));
    let mut groups: Vec<usize> = Vec::with_capacity(findings.len());
    for finding in findings {
        let unit = finding.unit.as_deref().unwrap_or("—");
        let group = group_of(&units, unit).unwrap_or_else(|| {
            units.push(unit);
            units.len() - 1
        });
        groups.push(group);
    }
    if units.len() < 2 {
        return render_by_sheet(out, findings, style, lang, "  ");
    }
    for (at, unit) in units.iter().enumerate() {
        let _ = writeln!(out, "  {} {unit}", lang.pick("单位", "unit"));
        let of_unit: Vec<&Finding> = findings.iter().zip(&groups).filter(|(_, g)| **g == at).map(|(f, _)| *f).collect();
        render_by_sheet(out, &of_unit, style, lang, "    ");
    }
}

/// By sheet, and within a sheet the findings of each form under its kind and project.
fn render_by_sheet(out: &mut String, findings: &[&Finding], style: Style, lang: Lang, indent: &str) {
    let mut sheet: Option<&str> = None;
    let mut form: Option<usize> = None;
    for finding in findings {
        if sheet != Some(finding.sheet.as_str()) {
            sheet = Some(finding.sheet.as_str());
            form = None;
            let _ = writeln!(out, "{indent}{} {}", lang.pick("工作表", "sheet"), finding.sheet);
        }
        if finding.form.is_some() && finding.form != form {
            form = finding.form;
            let kind = finding.table.as_deref().unwrap_or_default();
            let project = finding.project.as_deref().unwrap_or_default();
            let _ = writeln!(out, "{indent}  {kind}《{project}》");
        }
        let cell = finding.cell.map(|c| c.to_string()).unwrap_or_default();
        let pad = if form.is_some() && finding.form.is_some() { "  " } else { "" };
        let _ = writeln!(out, "{indent}  {pad}{cell:<6} {} {}  {}", style.severity(finding.severity, lang), finding.rule, finding.message);
    }
}

/// `共检查 3 个文件：2 个错误，1 个警告，0 个提示（另有 4 个提示未显示，--show-info 显示）`
pub fn summary_line(report: &Report) -> String {
    let c = report.counts();
    let lang = report.settings.lang;
    let mut line = match lang {
        Lang::Zh => format!("共检查 {} 个文件：{} 个错误，{} 个警告，{} 个提示", c.files, c.errors, c.warnings, c.infos),
        Lang::En => format!("{} file(s) checked: {} error(s), {} warning(s), {} info", c.files, c.errors, c.warnings, c.infos),
    };
    if c.hidden_infos > 0 {
        line += &match lang {
            Lang::Zh => format!("（另有 {} 个提示未显示，--show-info 显示）", c.hidden_infos),
            Lang::En => format!(" ({} info hidden; --show-info shows them)", c.hidden_infos),
        };
    }
    if c.unreadable > 0 {
        line += &match lang {
            Lang::Zh => format!("；{} 个文件无法读取", c.unreadable),
            Lang::En => format!("; {} file(s) could not be read", c.unreadable),
        };
    }
    line
}

/// `budgetlint rules`: one line a rule.
pub fn render_rules(lang: Lang) -> String {
    let mut out = String::new();
    for rule in RULES {
        let _ = writeln!(out, "{}  {:<7}  {}", rule.id, rule.severity.label(lang), rule.title.get(lang));
    }
    out
}

/// `budgetlint explain A001`: what the rule finds, why it matters, an example.
pub fn render_explain(rule: &RuleInfo, lang: Lang) -> String {
    let (why, example, severity) = match lang {
        Lang::Zh => ("说明", "示例", "严重程度"),
        Lang::En => ("Why it matters", "Example", "Severity"),
    };
    format!(
        "{id}  {title}\n\n{severity}{colon}{sev}\n\n{why}{colon}{why_text}\n\n{example}{colon}{example_text}\n",
        colon = lang.pick("：", ": "),
        id = rule.id,
        title = rule.title.get(lang),
        sev = rule.severity.label(lang),
        why_text = rule.why.get(lang),
        example_text = rule.example.get(lang),
    )
}
