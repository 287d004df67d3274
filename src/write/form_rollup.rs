//! The forms section of 重算汇总: for each form its 年度资金总额 figures as links to the copied cells,
//! its 执行率, 执行率得分 and 总分 recomputed as live formulas, with the exactly recomputed values cached
//! for viewers that do not recalculate.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Formula, Worksheet, XlsxError};

use crate::model::interval::{percent, round_shown};
use crate::model::{CellRef, Field, Form, Lang};
use crate::write::annotated::within_excel;

/// Where the section's columns are, left to right.
const TITLES: [(&str, &str); 10] = [
    ("表单", "form"),
    ("项目", "project"),
    ("工作表", "sheet"),
    ("年初预算数", "initial budget"),
    ("调整后（全年）预算数", "adjusted budget"),
    ("执行数", "actual"),
    ("执行率（重算）", "execution (recomputed)"),
    ("分值", "maximum"),
    ("执行率得分（重算）", "execution score (recomputed)"),
    ("总分（重算）", "total score (recomputed)"),
];

/// Writes the section from `top` down; returns the first row after it. `sheet_name` gives a form's
/// sheet as named in the output workbook.
pub fn write_forms_section(
    sheet: &mut Worksheet,
    forms: &[Form],
    top: u32,
    lang: Lang,
    sheet_name: &dyn Fn(&str) -> String,
    header: &Format,
) -> Result<u32, XlsxError> {
    if forms.is_empty() {
        return Ok(top);
    }
    for (col, (zh, en)) in TITLES.iter().enumerate() {
        sheet.write_string_with_format(top, col as u16, lang.pick(zh, en), header)?;
    }
    let amount = Format::new().set_num_format("#,##0.00");
    let percent_format = Format::new().set_num_format("0.00%");
    let mut row = top + 1;
    for form in forms {
        write_form_line(sheet, form, row, lang, &sheet_name(&form.sheet), &amount, &percent_format)?;
        row += 1;
    }
    Ok(row)
}

fn write_form_line(sheet: &mut Worksheet, form: &Form, row: u32, lang: Lang, source: &str, amount: &Format, percent_format: &Format) -> Result<(), XlsxError> {
    sheet.write_string(row, 0, form.kind.label(lang))?;
    sheet.write_string(row, 1, within_excel(form.project_name().unwrap_or_default()))?;
    sheet.write_string(row, 2, within_excel(&form.sheet))?;
    let Some(line) = form.fund_total() else { return Ok(()) };
    let divisor = form.execution_budget(line);
    for (col, field) in [(3u16, &line.initial), (4, &line.adjusted), (5, &line.actual), (7, &line.score_max)] {
        link(sheet, row, col, field, source, amount)?;
    }
    let r = row + 1;
    let divisor_col = if form.fund_columns.adjusted { "E" } else { "D" };
    let ratio = match (line.actual.value(), divisor.value()) {
        (Some(actual), Some(divisor)) => percent(actual, divisor).map(|p| p / Decimal::ONE_HUNDRED),
        _ => None,
    };
    let cached = |value: Option<Decimal>| value.map(|v| round_shown(v, Some(6)).normalize().to_string()).unwrap_or_default();
    let ratio_formula = format!("=IF(N({divisor_col}{r})=0,\"\",F{r}/{divisor_col}{r})");
    sheet.write_formula_with_format(row, 6, Formula::new(ratio_formula).set_result(cached(ratio)), percent_format)?;
    if let Some(max) = line.score_max.value() {
        let score = ratio.map(|ratio| (max * ratio).min(max));
        let formula = format!("=IF(G{r}=\"\",\"\",MIN(H{r},H{r}*G{r}))");
        sheet.write_formula_with_format(row, 8, Formula::new(formula).set_result(cached(score)), amount)?;
    }
    total_score(sheet, form, row, source, amount)
}

/// A link to the copied cell of a figure, caching its value.
fn link(sheet: &mut Worksheet, row: u32, col: u16, field: &Field, source: &str, format: &Format) -> Result<(), XlsxError> {
    let Field::Value(figure) = field else { return Ok(()) };
    let formula = format!("=N({source}!{})", figure.cell);
    sheet.write_formula_with_format(row, col, Formula::new(formula).set_result(figure.value.normalize().to_string()), format)?;
    Ok(())
}

/// 总分 recomputed: the sum of the 得分 cells of the fund line and the indicators.
fn total_score(sheet: &mut Worksheet, form: &Form, row: u32, source: &str, format: &Format) -> Result<(), XlsxError> {
    let scores: Vec<(CellRef, Decimal)> = form
        .fund
        .iter()
        .filter(|l| l.is_total)
        .map(|l| &l.score)
        .chain(form.indicators.iter().map(|i| &i.score))
        .filter_map(|f| f.figure().map(|fig| (fig.cell, fig.value)))
        .collect();
    if scores.is_empty() {
        return Ok(());
    }
    let cells: Vec<String> = scores.iter().map(|(cell, _)| format!("{source}!{cell}")).collect();
    let formula = format!("=SUM({})", cells.join(","));
    if formula.len() > 8000 {
        return Ok(());
    }
    let total: Decimal = scores.iter().map(|(_, v)| *v).sum();
    sheet.write_formula_with_format(row, 9, Formula::new(formula).set_result(total.normalize().to_string()), format)?;
    Ok(())
}
