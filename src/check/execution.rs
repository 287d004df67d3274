//! E001–E003: how the budget was spent: above budget, low without a reason, heavily adjusted.

use rust_decimal::Decimal;

use crate::model::interval::{percent, round_shown};
use crate::check::{shown, Sink};
use crate::model::{ListRow, ListTable};

/// Extra columns in which a unit explains a deviation.
const REASON_COLUMNS: [&str; 2] = ["deviation_reason", "remarks"];

pub fn check(table: &ListTable, sink: &mut Sink) {
    let has_reason_column = REASON_COLUMNS.iter().any(|name| table.has_extra(name));
    for row in table.projects() {
        above_budget(table, row, sink);
        if has_reason_column {
            low_without_reason(table, row, sink);
        }
        heavily_adjusted(table, row, sink);
    }
}

/// E001: actual spending above the adjusted budget.
fn above_budget(table: &ListTable, row: &ListRow, sink: &mut Sink) {
    let (Some(adjusted), Some(actual)) = (row.budget_adjusted.figure(), row.actual.figure()) else { return };
    if actual.value <= adjusted.value {
        return;
    }
    let label = row.label(sink.lang);
    let message = sink.say(
        format!("{label}：实际支出 {} 超过调整后预算 {}", shown(actual), shown(adjusted)),
        format!("{label}: actual spending {} exceeds the adjusted budget {}", shown(actual), shown(adjusted)),
    );
    sink.at("E001", table, Some(row), Some(actual.cell))
        .found(shown(actual))
        .expected(format!("≤ {}", shown(adjusted)))
        .emit(message);
}

/// E002: execution below the threshold with the reason column left empty.
fn low_without_reason(table: &ListTable, row: &ListRow, sink: &mut Sink) {
    let (Some(adjusted), Some(actual)) = (row.budget_adjusted.figure(), row.actual.figure()) else { return };
    if adjusted.value <= Decimal::ZERO || REASON_COLUMNS.iter().any(|name| row.extra(table, name).is_some()) {
        return;
    }
    let Some(execution) = row.ratio.value().or_else(|| percent(actual.value, adjusted.value)) else { return };
    let threshold = sink.settings.thresholds.low_execution_percent;
    if execution >= threshold {
        return;
    }
    let label = row.label(sink.lang);
    let shown_execution = round_shown(execution, Some(2));
    let message = sink.say(
        format!("{label}：执行率 {shown_execution}% 低于 {threshold}%，但未填写偏差原因"),
        format!("{label}: execution {shown_execution} % is below {threshold} % and no 偏差原因 is given"),
    );
    let cell = row.ratio.cell().unwrap_or(actual.cell);
    sink.at("E002", table, Some(row), Some(cell))
        .found(format!("{shown_execution}%"))
        .expected(format!("≥ {threshold}%"))
        .inputs(format!("{} ÷ {}", shown(actual), shown(adjusted)))
        .emit(message);
}

/// E003: the adjusted budget differs from the initial one by more than the threshold.
fn heavily_adjusted(table: &ListTable, row: &ListRow, sink: &mut Sink) {
    let (Some(initial), Some(adjusted)) = (row.budget_initial.figure(), row.budget_adjusted.figure()) else { return };
    // Texts only for a finding: this runs on every row.
    let label = || row.label(sink.lang);
    let inputs = || format!("{} → {}", shown(initial), shown(adjusted));
    if initial.value.is_zero() {
        if !adjusted.value.is_zero() {
            let (label, inputs) = (label(), inputs());
            let message = sink.say(
                format!("{label}：年初无预算，年中安排 {}", shown(adjusted)),
                format!("{label}: no initial budget; {} was added during the year", shown(adjusted)),
            );
            sink.at("E003", table, Some(row), Some(adjusted.cell)).found(shown(adjusted)).inputs(inputs).emit(message);
        }
        return;
    }
    let threshold = sink.settings.thresholds.budget_adjustment_percent;
    // The quotient is wanted only for a finding: compared as products, most rows skip a division.
    let moved = adjusted.value - initial.value;
    match (moved.abs().checked_mul(Decimal::ONE_HUNDRED), threshold.checked_mul(initial.value.abs())) {
        (Some(moved), Some(limit)) if moved <= limit => return,
        // A limit past rust_decimal's range is past any change.
        (_, None) => return,
        _ => {}
    }
    let Some(change) = percent(moved, initial.value.abs()) else { return };
    let (label, inputs) = (label(), inputs());
    let change = round_shown(change, Some(2));
    let message = sink.say(
        format!("{label}：预算调整幅度 {change}%（{inputs}），超过 {threshold}%"),
        format!("{label}: the budget moved by {change} % ({inputs}), more than {threshold} %"),
    );
    sink.at("E003", table, Some(row), Some(adjusted.cell))
        .found(format!("{change}%"))
        .expected(format!("±{threshold}%"))
        .inputs(inputs)
        .emit(message);
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_in, findings_of, workbook_of, TableBuilder};
    use crate::settings::Settings;

    #[test]
    fn e001_fires_above_budget_only() {
        let above = TableBuilder::new().project("甲", "100.00", "100.00", "120.00", "120.00").build();
        assert_eq!(findings_of(&above, "E001").len(), 1);
        let within = TableBuilder::new().project("甲", "100.00", "100.00", "100.00", "100.00").build();
        assert!(findings_of(&within, "E001").is_empty());
    }

    #[test]
    fn e002_fires_below_the_threshold_without_a_reason() {
        let table = TableBuilder::new()
            .extra("deviation_reason")
            .project_with("宣传经费", ["146.00", "110.40", "67.00", "60.69"], &[""])
            .project_with("社区基层党组织活动经费", ["216.00", "86.00", "59.41", "69.09"], &["受疫情影响活动取消"])
            .project_with("社区工作者人员经费", ["5000.00", "5000.00", "5000.00", "100.00"], &[""])
            .build();
        let findings = findings_of(&table, "E002");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].project.as_deref(), Some("宣传经费"));
    }

    #[test]
    fn e002_is_silent_where_the_table_has_no_reason_column_and_follows_its_threshold() {
        let no_column = TableBuilder::new().project("宣传经费", "146.00", "110.40", "67.00", "60.69").build();
        assert!(findings_of(&no_column, "E002").is_empty());
        let table = TableBuilder::new().extra("remarks").project_with("宣传经费", ["146.00", "110.40", "67.00", "60.69"], &[]).build();
        let mut lenient = Settings::default();
        lenient.set_threshold("low_execution_percent", "60").unwrap();
        assert!(findings_in(&workbook_of(vec![table]), "E002", &lenient).is_empty());
    }

    #[test]
    fn e003_fires_beyond_the_adjustment_threshold() {
        let table = TableBuilder::new()
            .project("城市体检项目经费", "80.00", "12.70", "12.70", "100.00")
            .project("疫情防控卡口安保服务", "0.00", "1328.75", "1328.75", "100.00")
            .project("地区安全生产经费", "100.00", "129.00", "129.00", "100.00")
            .build();
        let findings = findings_of(&table, "E003");
        let projects: Vec<_> = findings.iter().map(|f| f.project.clone().unwrap()).collect();
        assert_eq!(projects, vec!["城市体检项目经费", "疫情防控卡口安保服务"]);
        assert_eq!(findings[0].found.as_deref(), Some("-84.13%"));
    }

    #[test]
    fn a_list_in_yuan_is_spoken_of_in_yuan() {
        use crate::read::grid::{Grid, Value};
        let text = |t: &str| if t.is_empty() { Value::Empty } else { Value::Text(t.into()) };
        let rows = [
            vec!["单位名称：月坛街道", "", "", "", "", "单位：元"],
            vec!["项目名称", "年初预算数", "调整后预算数", "实际支出数", "预算执行率"],
            vec!["城市体检项目经费", "800,000.00", "127,000.00", "127,000.00", "100.00%"],
            vec!["宣传经费", "100,000.00", "100,000.00", "120,000.00", "120.00%"],
        ];
        let grid = Grid::from_values("附件1", rows.iter().map(|r| r.iter().map(|t| text(t)).collect()).collect());
        let workbook = crate::read::workbook_from_grids(std::path::Path::new("yuan.xlsx"), &[grid]);
        let settings = Settings { show_info: true, ..Settings::default() };
        let message = |rule: &str| findings_in(&workbook, rule, &settings).iter().map(|f| f.message.clone()).collect::<Vec<_>>();
        assert_eq!(message("E003"), vec!["城市体检项目经费：预算调整幅度 -84.13%（800000.00 → 127000.00），超过 30%".to_string()]);
        let e001 = findings_in(&workbook, "E001", &settings);
        assert_eq!((e001[0].found.as_deref(), e001[0].expected.as_deref()), (Some("120000.00"), Some("≤ 100000.00")));
    }
}
