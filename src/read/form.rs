//! From a form's region of a sheet to a [`Form`]: the key–value head, the fund block and the
//! indicator table (FORMATS.md §2). Labels are matched squashed (spaces, line breaks and
//! full-width forms folded, a trailing colon dropped), since exports pad them (`  年度资金总额：`).

use std::ops::Range;

use crate::model::{CellRef, Field, Form, FormKind, FundColumns, FundLine, Half, Indicator, MoneyUnit, ScoreTotal, Written};
use crate::read::grid::{Grid, GridCell, Value};
use crate::read::table::{amount_column, ratio_column};
use crate::read::text::{squash, to_half_width};
use crate::read::unit::sheet_names_unit;

/// The kind a title names: `…绩效跟踪分析表`, `…执行监控表`, `…自评表`, `…绩效目标申报表` / `…绩效目标表`.
pub fn kind_titled(text: &str) -> Option<FormKind> {
    // Every kind's title ends in 表, which squashing neither makes nor folds; most texts are not titles.
    if !text.contains('表') {
        return None;
    }
    let squashed = squash(text);
    if squashed.chars().count() > 40 {
        return None;
    }
    // `…自评表（2019年度）`, `…分析表(样表)`: what follows the name in brackets is no part of it.
    let mut title: &str = &squashed;
    while let Some(open) = title.strip_suffix(')').and_then(|t| t.rfind('(')) {
        title = &title[..open];
    }
    let kinds = [
        ("跟踪分析表", FormKind::Tracking),
        ("执行监控表", FormKind::Monitoring),
        ("自评表", FormKind::SelfEvaluation),
        ("绩效目标申报表", FormKind::Declaration),
        ("绩效目标表", FormKind::Declaration),
    ];
    kinds.iter().find(|(word, _)| title.ends_with(word)).map(|(_, kind)| *kind)
}

/// Each form title on the sheet: (row, col, kind, title text).
pub fn titles_in(grid: &Grid) -> Vec<(u32, u32, FormKind, String)> {
    let mut titles = Vec::new();
    for row in 0..grid.height() {
        let found = (0..grid.width(row)).find_map(|col| {
            let Value::Text(text) = &grid.cell(row, col).value else { return None };
            kind_titled(text).map(|kind| (row, col, kind, text.trim().to_string()))
        });
        titles.extend(found);
    }
    titles
}

/// Reads the form titled at `title` whose region ends before row `end`.
pub fn read_form(grid: &Grid, title: &(u32, u32, FormKind, String), end: u32, index: usize) -> Form {
    let (row, col, kind, text) = title;
    let region = *row..end;
    let head = read_head(grid, region.clone());
    let indicator_header = find_indicator_header(grid, region.clone());
    let fund_end = indicator_header.as_ref().map_or(end, |h| h.row);
    let (fund, fund_columns) = read_fund(grid, region.start..fund_end, *kind);
    let (indicators, total) = match &indicator_header {
        Some(header) => read_indicators(grid, header, header.data_start..end),
        None => (Vec::new(), None),
    };
    let unit = form_unit(&head);
    let mut form = Form {
        sheet: grid.name.clone(),
        index,
        kind: *kind,
        title: text.clone(),
        title_cell: CellRef::new(*row, *col),
        year: year_in(grid, *row..(*row + 3).min(end)),
        project: head.project,
        department: head.department,
        implementer: head.implementer,
        unit,
        fund,
        fund_columns,
        indicators,
        indicator_header_row: indicator_header.as_ref().map(|h| h.row),
        total,
        rows: (region.start, region.end),
    };
    settle_scores(grid, &mut form);
    form
}

/// The 得分 of the fund line, the indicators and 总分 are one column of a scored form (often one
/// sheet column too): a General `10` beside `7.5` shows 10.0, not anything in [9.5, 10.5).
fn settle_scores(grid: &Grid, form: &mut Form) {
    let fund = form.fund.iter_mut().map(|l| &mut l.score);
    let indicators = form.indicators.iter_mut().map(|i| &mut i.score);
    let mut scores: Vec<&mut Field> =
        fund.chain(indicators).chain(form.total.iter_mut().map(|t| &mut t.score)).filter(|f| f.cell().is_some()).collect();
    let cells: Vec<CellRef> = scores.iter().filter_map(|f| f.cell()).collect();
    for (field, settled) in scores.iter_mut().zip(amount_column(grid, &cells, MoneyUnit::TenThousandYuan)) {
        **field = settled;
    }
}

/// The label of a cell, squashed and without its colon; empty cells and numbers give `None`.
fn label_at(grid: &Grid, row: u32, col: u32) -> Option<String> {
    match &grid.cell(row, col).value {
        Value::Text(text) => {
            let label = squash(text).trim_end_matches(':').to_string();
            (!label.is_empty()).then_some(label)
        }
        _ => None,
    }
}

/// What a cell shows, as text: a number in a % format as a percentage (`98%`).
fn shown_text(cell: &GridCell) -> Option<String> {
    match (&cell.value, cell.format) {
        (Value::Number(n), Some(format)) if format.percent => {
            let percent = crate::read::text::decimal_from_f64(*n)?.0 * rust_decimal::Decimal::ONE_HUNDRED;
            Some(format!("{}%", percent.round_dp(u32::from(format.decimals)).normalize()))
        }
        (value, _) => value.display().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()),
    }
}

/// The first filled cell right of `col` (past the label's own merge), as written.
fn value_right_of(grid: &Grid, row: u32, col: u32) -> Option<Written> {
    let start = grid.merge_at(row, col).map_or(col, |m| m.last_col) + 1;
    (start..grid.width(row).max(start)).find_map(|c| {
        let text = shown_text(grid.cell(row, c))?;
        Some(Written { text: text.split_whitespace().collect::<Vec<_>>().join(" "), cell: CellRef::new(row, c) })
    })
}

#[derive(Default)]
struct Head {
    project: Option<Written>,
    department: Option<Written>,
    implementer: Option<Written>,
}

fn read_head(grid: &Grid, rows: Range<u32>) -> Head {
    let mut head = Head::default();
    for row in rows {
        for col in 0..grid.width(row) {
            let Some(label) = label_at(grid, row, col) else { continue };
            let slot = match label.as_str() {
                "项目名称" => &mut head.project,
                "主管部门" | "主管部门及代码" | "主管部门名称" => &mut head.department,
                "实施单位" | "实施单位名称" | "项目实施单位" => &mut head.implementer,
                _ => continue,
            };
            if slot.is_none() {
                *slot = value_right_of(grid, row, col);
            }
        }
        if head.project.is_some() && head.department.is_some() && head.implementer.is_some() {
            break;
        }
    }
    head
}

/// The budget unit of a form: its 实施单位 where that names a unit (北京大学, 月坛街道办事处), else
/// its 主管部门 (附件2 names the unit there and a department as 实施单位); the workbook settles the rest.
fn form_unit(head: &Head) -> String {
    let implementer = head.implementer.as_ref().map(|w| squash(&w.text).into_owned());
    let department = head.department.as_ref().map(|w| without_code(&squash(&w.text)).to_string());
    implementer.filter(|i| sheet_names_unit(i).is_some()).or(department).or_else(|| head.implementer.as_ref().map(|w| w.text.clone())).unwrap_or_default()
}

/// `[105]教育部` → `教育部`.
fn without_code(text: &str) -> &str {
    match text.strip_prefix('[').and_then(|rest| rest.split_once(']')) {
        Some((code, name)) if code.chars().all(|c| c.is_ascii_digit()) => name,
        _ => text,
    }
}

/// `( 2019年度)` / `（2020年度）` / `2019年` in the lines under the title.
fn year_in(grid: &Grid, rows: Range<u32>) -> Option<i32> {
    rows.flat_map(|row| (0..grid.width(row)).map(move |col| (row, col))).find_map(|(row, col)| {
        let text: String = grid.cell(row, col).value.display()?.chars().map(to_half_width).collect();
        let at = text.find('年')?;
        let digits: String = text[..at].chars().rev().take_while(|c| c.is_ascii_digit() || *c == ' ').filter(|c| c.is_ascii_digit()).collect();
        let year: String = digits.chars().rev().collect();
        (year.len() == 4).then(|| year.parse().ok()).flatten()
    })
}

/// What a fund block column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FundRole {
    Initial,
    Adjusted,
    Actual,
    Ratio,
    Projected,
    ScoreMax,
    Score,
    Reason,
}

fn fund_role(label: &str) -> Option<FundRole> {
    let period = label.strip_suffix("执行数").or_else(|| label.strip_suffix("执行率")).is_some_and(is_period);
    Some(match label {
        "年初预算数" | "年初预算" | "年初预算金额" | "年初批复数" => FundRole::Initial,
        "调整后预算数" | "调整后预算" | "调整后预算金额" | "全年预算数" | "全年预算" | "预算调整数" => FundRole::Adjusted,
        "实际支出数" | "实际支出金额" | "全年执行数" | "执行数" | "实际执行数" | "实际支出" => FundRole::Actual,
        "预算执行率" | "执行率" | "全年执行率" | "预算支出比例" => FundRole::Ratio,
        "全年预计执行数" | "预计全年执行数" | "全年预计支出数" => FundRole::Projected,
        "分值" => FundRole::ScoreMax,
        "得分" => FundRole::Score,
        "偏差原因" | "偏差原因分析" => FundRole::Reason,
        _ if period && label.ends_with("执行数") => FundRole::Actual,
        _ if period && label.ends_with("执行率") => FundRole::Ratio,
        _ => return None,
    })
}

/// `1-7月`, `1—6月`, `1至8月`.
fn is_period(text: &str) -> bool {
    let Some(months) = text.strip_suffix('月') else { return false };
    let parts: Vec<&str> = months.split(['-', '—', '–', '~', '至', '－']).collect();
    parts.len() == 2 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// Labels that open the parts of a form after its fund block.
fn opens_section(label: &str) -> bool {
    ["年度总体目标", "总体目标", "年度目标", "中期目标", "绩效指标", "一级指标", "绩效目标"].iter().any(|s| label.starts_with(s))
}

/// The fund block: a header row of roles over its lines, or (a 申报表) label–value pairs.
fn read_fund(grid: &Grid, rows: Range<u32>, kind: FormKind) -> (Vec<FundLine>, FundColumns) {
    let header = rows.clone().find_map(|row| {
        let roles: Vec<(u32, FundRole)> = (0..grid.width(row)).filter_map(|col| Some((col, fund_role(&label_at(grid, row, col)?)?))).collect();
        let amounts = roles.iter().filter(|(_, r)| matches!(r, FundRole::Initial | FundRole::Adjusted | FundRole::Actual | FundRole::Ratio)).count();
        (amounts >= 2).then_some((row, roles))
    });
    match header {
        Some((row, roles)) => read_fund_lines(grid, row + 1..rows.end, &roles, kind),
        None => (read_fund_pairs(grid, rows), FundColumns::default()),
    }
}

fn read_fund_lines(grid: &Grid, rows: Range<u32>, roles: &[(u32, FundRole)], kind: FormKind) -> (Vec<FundLine>, FundColumns) {
    let first_figure = roles.iter().map(|(c, _)| *c).min().unwrap_or(0);
    let figure_cols: Vec<u32> = roles.iter().filter(|(_, r)| *r != FundRole::Reason).map(|(c, _)| *c).collect();
    let mut lines: Vec<(u32, String)> = Vec::new();
    for row in rows {
        let label: String = (0..first_figure).filter(|c| !grid.is_merged_from_above(row, *c)).filter_map(|c| label_at(grid, row, c)).filter(|l| !l.starts_with("项目资金")).collect();
        let has_figures = figure_cols.iter().any(|c| !grid.cell(row, *c).value.is_empty());
        if opens_section(&label) || !has_figures {
            break;
        }
        lines.push((row, label));
    }
    let column = |role: FundRole| roles.iter().find(|(_, r)| *r == role).map(|(c, _)| *c);
    let cells = |col: Option<u32>| -> Option<Vec<CellRef>> { col.map(|c| lines.iter().map(|(row, _)| CellRef::new(*row, c)).collect()) };
    let amounts = |role: FundRole| cells(column(role)).map_or_else(|| vec![Field::Absent; lines.len()], |c| amount_column(grid, &c, MoneyUnit::TenThousandYuan));
    let [initial, adjusted, actual, projected, score_max, score] =
        [FundRole::Initial, FundRole::Adjusted, FundRole::Actual, FundRole::Projected, FundRole::ScoreMax, FundRole::Score].map(amounts);
    let ratio = cells(column(FundRole::Ratio)).map_or_else(|| vec![Field::Absent; lines.len()], |c| ratio_column(grid, &c));
    let reason_col = column(FundRole::Reason);
    let fund = lines
        .iter()
        .enumerate()
        .map(|(i, (row, label))| FundLine {
            label: label.clone(),
            row: *row,
            is_total: i == 0 || label.contains("资金总额") || label == "合计",
            half: Half::Annual,
            initial: initial[i].clone(),
            adjusted: adjusted[i].clone(),
            actual: actual[i].clone(),
            ratio: ratio[i].clone(),
            projected: projected[i].clone(),
            score_max: score_max[i].clone(),
            score: score[i].clone(),
            reason: reason_col.and_then(|c| shown_text(grid.cell(*row, c))),
        })
        .collect();
    let period = roles.iter().find_map(|(c, r)| (*r == FundRole::Actual).then(|| label_at(grid, lines.first().map_or(0, |l| l.0).saturating_sub(1), *c)).flatten());
    let columns = FundColumns {
        adjusted: column(FundRole::Adjusted).is_some(),
        reason: reason_col.is_some() && kind == FormKind::Tracking,
        score: column(FundRole::Score).is_some(),
        period: period.and_then(|p| p.strip_suffix("执行数").filter(|p| is_period(p)).map(str::to_string)),
    };
    (fund, columns)
}

/// A 申报表's fund block: `中期资金总额：` value `年度资金总额：` value, then the 其中 rows of each half.
fn read_fund_pairs(grid: &Grid, rows: Range<u32>) -> Vec<FundLine> {
    let mut halves: Vec<(u32, Half)> = Vec::new();
    let mut cells: Vec<(u32, String, Half, bool, CellRef)> = Vec::new();
    for row in rows {
        if !halves.is_empty() && (0..grid.width(row)).filter_map(|c| label_at(grid, row, c)).any(|l| opens_section(&l)) {
            break;
        }
        for col in 0..grid.width(row) {
            let Some(label) = label_at(grid, row, col) else { continue };
            let is_total = label.contains("资金总额");
            let half = if is_total {
                let half = if label.contains("中期") { Half::MidTerm } else { Half::Annual };
                halves.push((col, half));
                half
            } else if let Some((_, half)) = halves.iter().find(|(c, _)| *c == col) {
                *half
            } else {
                continue;
            };
            if let Some(value) = value_right_of(grid, row, col) {
                cells.push((row, label, half, is_total, value.cell));
            }
        }
    }
    let amounts = amount_column(grid, &cells.iter().map(|c| c.4).collect::<Vec<_>>(), MoneyUnit::TenThousandYuan);
    cells
        .into_iter()
        .zip(amounts)
        .map(|((row, label, half, is_total, _), initial)| FundLine {
            label,
            row,
            is_total,
            half,
            initial,
            adjusted: Field::Absent,
            actual: Field::Absent,
            ratio: Field::Absent,
            projected: Field::Absent,
            score_max: Field::Absent,
            score: Field::Absent,
            reason: None,
        })
        .collect()
}

/// Where the indicator table's columns are; a 申报表 has two halves of 二级/三级/指标值.
struct IndicatorHeader {
    row: u32,
    data_start: u32,
    level1: Option<u32>,
    halves: Vec<(Half, IndicatorColumns)>,
    actual: Option<u32>,
    projected: Option<u32>,
    score_max: Option<u32>,
    score: Option<u32>,
    causes: Vec<u32>,
    ticks: Vec<(u32, String)>,
}

#[derive(Default, Clone, Copy)]
struct IndicatorColumns {
    level2: Option<u32>,
    level3: Option<u32>,
    target: Option<u32>,
}

const CAUSE_TICKS: &[&str] = &["经费保障", "制度保障", "人员保障", "硬件条件保障", "其他"];

fn find_indicator_header(grid: &Grid, rows: Range<u32>) -> Option<IndicatorHeader> {
    let row = rows.clone().find(|row| {
        let labels: Vec<String> = (0..grid.width(*row)).filter_map(|c| label_at(grid, *row, c)).collect();
        labels.iter().any(|l| l == "三级指标") && labels.iter().any(|l| l == "二级指标" || l == "一级指标")
    })?;
    let mut header = IndicatorHeader {
        row,
        data_start: row + 1,
        level1: None,
        halves: Vec::new(),
        actual: None,
        projected: None,
        score_max: None,
        score: None,
        causes: Vec::new(),
        ticks: Vec::new(),
    };
    for col in 0..grid.width(row) {
        let Some(label) = label_at(grid, row, col) else { continue };
        map_indicator_column(&mut header, &label, col);
    }
    read_tick_row(grid, &mut header);
    let count = header.halves.len();
    for (i, (half, _)) in header.halves.iter_mut().enumerate() {
        *half = if count == 2 && i == 0 { Half::MidTerm } else { Half::Annual };
    }
    Some(header)
}

fn map_indicator_column(header: &mut IndicatorHeader, label: &str, col: u32) {
    let half_needing = |header: &mut IndicatorHeader, done: fn(&IndicatorColumns) -> bool| -> usize {
        match header.halves.iter().position(|(_, c)| !done(c)) {
            Some(at) => at,
            None => {
                header.halves.push((Half::Annual, IndicatorColumns::default()));
                header.halves.len() - 1
            }
        }
    };
    match label {
        "一级指标" => header.level1 = header.level1.or(Some(col)),
        "二级指标" => {
            let at = half_needing(header, |c| c.level2.is_some());
            header.halves[at].1.level2 = Some(col);
        }
        "三级指标" => {
            let at = half_needing(header, |c| c.level3.is_some());
            header.halves[at].1.level3 = Some(col);
        }
        "年度指标值" | "指标值" | "目标值" | "年度目标值" | "中期指标值" => {
            let at = half_needing(header, |c| c.target.is_some());
            header.halves[at].1.target = Some(col);
        }
        "实际完成值" | "全年实际完成值" | "实际完成情况" | "完成值" => header.actual = header.actual.or(Some(col)),
        "全年预计执行数" | "全年预计完成值" | "预计全年完成值" | "全年预计完成情况" => header.projected = header.projected.or(Some(col)),
        "分值" => header.score_max = header.score_max.or(Some(col)),
        "得分" => header.score = header.score.or(Some(col)),
        _ if label.starts_with("偏差原因") || label.starts_with("改进措施") || label == "原因说明" || label == "原因分析" => header.causes.push(col),
        _ if label.ends_with("执行数") || label.ends_with("执行情况") || label.ends_with("完成值") => header.actual = header.actual.or(Some(col)),
        _ => {}
    }
}

/// A monitoring form's second header row: tick-box columns under 偏差原因分析 and 原因说明.
fn read_tick_row(grid: &Grid, header: &mut IndicatorHeader) {
    let below = header.row + 1;
    let labels: Vec<(u32, String)> = (0..grid.width(below)).filter_map(|c| Some((c, label_at(grid, below, c)?))).collect();
    let is_tick_row = labels.iter().any(|(_, l)| CAUSE_TICKS.contains(&l.as_str()) || l == "原因说明" || l == "确定能");
    if !is_tick_row {
        return;
    }
    header.data_start = below + 1;
    for (col, label) in labels {
        if CAUSE_TICKS.contains(&label.as_str()) {
            header.ticks.push((col, label));
        } else if label == "原因说明" {
            header.causes.push(col);
        }
    }
    // The group cell over the ticks is no text column of its own.
    header.causes.retain(|c| !header.ticks.iter().any(|(t, _)| t == c));
}

/// Words that end an indicator table.
fn closes_table(label: &str) -> bool {
    ["跟踪结论", "是否偏离", "评价结论", "自评结论", "填报人", "填表人", "审核人", "联系人", "联系电话", "说明", "备注:"].iter().any(|w| label.starts_with(w))
}

fn read_indicators(grid: &Grid, header: &IndicatorHeader, rows: Range<u32>) -> (Vec<Indicator>, Option<ScoreTotal>) {
    let mut raw: Vec<RawIndicator> = Vec::new();
    let mut total_row = None;
    let mut level1: Option<String> = None;
    let mut level2: Vec<Option<String>> = vec![None; header.halves.len()];
    for row in rows {
        let labels: Vec<String> = (0..grid.width(row)).filter_map(|c| label_at(grid, row, c)).collect();
        if labels.iter().any(|l| l == "总分" || l == "合计" || l == "总计") {
            total_row = Some(row);
            break;
        }
        if labels.first().is_some_and(|l| closes_table(l)) {
            break;
        }
        let text = |col: Option<u32>| col.and_then(|c| shown_text(grid.visible(row, c))).map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "));
        if let Some(l1) = text(header.level1).filter(|t| t != "绩效指标") {
            level1 = Some(l1);
        }
        for (i, (half, columns)) in header.halves.iter().enumerate() {
            if let Some(l2) = text(columns.level2) {
                level2[i] = Some(l2);
            }
            let (level3, target) = (text(columns.level3), text(columns.target));
            if level3.is_none() && target.is_none() {
                continue;
            }
            raw.push(RawIndicator { row, half: *half, level1: level1.clone(), level2: level2[i].clone(), level3, target, target_col: columns.target });
        }
    }
    let indicators = settle_indicators(grid, header, raw);
    let total = total_row.map(|row| {
        let score_of = |col: Option<u32>| col.map_or(Field::Absent, |c| amount_column(grid, &[CellRef::new(row, c)], MoneyUnit::TenThousandYuan).remove(0));
        ScoreTotal { row, score_max: score_of(header.score_max), score: score_of(header.score) }
    });
    (indicators, total)
}

struct RawIndicator {
    row: u32,
    half: Half,
    level1: Option<String>,
    level2: Option<String>,
    level3: Option<String>,
    target: Option<String>,
    target_col: Option<u32>,
}

fn settle_indicators(grid: &Grid, header: &IndicatorHeader, raw: Vec<RawIndicator>) -> Vec<Indicator> {
    let scores = |col: Option<u32>| -> Vec<Field> {
        match col {
            Some(c) => amount_column(grid, &raw.iter().map(|r| CellRef::new(r.row, c)).collect::<Vec<_>>(), MoneyUnit::TenThousandYuan),
            None => vec![Field::Absent; raw.len()],
        }
    };
    let (score_max, score) = (scores(header.score_max), scores(header.score));
    let annual = |r: &RawIndicator| r.half == Half::Annual;
    raw.iter()
        .enumerate()
        .map(|(i, r)| {
            let written = |col: Option<u32>| col.filter(|_| annual(r)).and_then(|c| shown_text(grid.cell(r.row, c)));
            let cause: Vec<String> = header.causes.iter().filter_map(|c| shown_text(grid.cell(r.row, *c))).collect();
            Indicator {
                row: r.row,
                half: r.half,
                level1: r.level1.clone(),
                level2: r.level2.clone(),
                level3: r.level3.clone(),
                target: r.target.clone(),
                target_cell: CellRef::new(r.row, r.target_col.unwrap_or(0)),
                actual: written(header.actual),
                actual_cell: header.actual.filter(|_| annual(r)).map(|c| CellRef::new(r.row, c)),
                projected: written(header.projected),
                projected_cell: header.projected.filter(|_| annual(r)).map(|c| CellRef::new(r.row, c)),
                score_max: score_max[i].clone(),
                score: score[i].clone(),
                cause: (!cause.is_empty()).then(|| cause.join("；")),
                ticked_causes: header.ticks.iter().filter(|(c, _)| is_ticked(grid.cell(r.row, *c))).map(|(_, l)| l.clone()).collect(),
            }
        })
        .collect()
}

/// ✔ √ ☑ ✓ or any other mark in a tick-box cell.
fn is_ticked(cell: &GridCell) -> bool {
    match &cell.value {
        Value::Text(text) => !squash(text).is_empty() && !matches!(squash(text).as_ref(), "□" | "☐" | "×" | "否" | "无"),
        Value::Bool(b) => *b,
        Value::Number(n) => *n != 0.0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_name_their_kind_and_list_titles_do_not() {
        assert_eq!(kind_titled("西城区区级项目支出绩效跟踪分析表"), Some(FormKind::Tracking));
        assert_eq!(kind_titled("项目支出绩效目标执行监控表"), Some(FormKind::Monitoring));
        assert_eq!(kind_titled("项目支出绩效自评表"), Some(FormKind::SelfEvaluation));
        assert_eq!(kind_titled("项目支出绩效目标申报表"), Some(FormKind::Declaration));
        assert_eq!(kind_titled("项目支出绩效自评表（2019年度）"), Some(FormKind::SelfEvaluation));
        assert_eq!(kind_titled("附件2：西城区区级项目支出绩效跟踪分析表(样表)"), Some(FormKind::Tracking));
        assert_eq!(kind_titled("西城区区级项目支出绩效跟踪清单"), None);
        assert_eq!(kind_titled("表1  重点跟踪项目全年预算情况表"), None);
    }

    #[test]
    fn periods_and_codes_are_read() {
        assert!(is_period("1-7月") && is_period("1—6月") && !is_period("全年") && !is_period("7月"));
        assert_eq!(fund_role("1-7月执行数"), Some(FundRole::Actual));
        assert_eq!(fund_role("1-8月执行率"), Some(FundRole::Ratio));
        assert_eq!(without_code("[105]教育部"), "教育部");
        assert_eq!(without_code("北京市西城区人民政府月坛街道办事处"), "北京市西城区人民政府月坛街道办事处");
    }
}
