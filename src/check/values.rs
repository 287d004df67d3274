//! V001–V005: the figures themselves: missing, not numbers, negative, typed as text, in the wrong unit.

use rust_decimal::Decimal;

use crate::check::{shown, Sink};
use crate::model::{Amount, Field, Figure, ListRow, ListTable, RowKind, MoneyUnit};

pub fn check(table: &ListTable, sink: &mut Sink) {
    for row in &table.rows {
        // A heading or a part of a breakdown may leave figures blank; a project or a total may not.
        let must_be_filled = !matches!(row.kind, RowKind::Level | RowKind::Breakdown);
        for amount in Amount::ALL {
            let field = row.amount(amount);
            if must_be_filled {
                missing(table, row, field, amount.label(sink.lang), sink);
            }
            not_a_number(table, row, field, amount.label(sink.lang), sink);
            negative(table, row, field, amount.label(sink.lang), sink);
            typed_as_text(table, row, field, amount.label(sink.lang), sink);
        }
        // 追加（减） and 结余 are negative by right, and may be left blank.
        for amount in table.amounts().filter(|a| matches!(a, Amount::Extra(_))) {
            let field = row.amount(amount);
            not_a_number(table, row, field, table.amount_label(amount, sink.lang), sink);
            typed_as_text(table, row, field, table.amount_label(amount, sink.lang), sink);
        }
        let ratio_label = sink.lang.pick("预算支出比例", "ratio");
        not_a_number(table, row, &row.ratio, ratio_label, sink);
        typed_as_text(table, row, &row.ratio, ratio_label, sink);
    }
    for amount in Amount::ALL {
        unit_outliers(table, amount, sink);
    }
}

/// V001: a blank amount cell.
fn missing(table: &ListTable, row: &ListRow, field: &Field, what: &str, sink: &mut Sink) {
    let Field::Blank(cell) = field else { return };
    let label = row.label(sink.lang);
    let message = sink.say(format!("{label}：{what}未填写"), format!("{label}: {what} is missing"));
    sink.at("V001", table, Some(row), Some(*cell)).emit(message);
}

/// V002: text that is not a number, or an error value.
fn not_a_number(table: &ListTable, row: &ListRow, field: &Field, what: &str, sink: &mut Sink) {
    let Field::Invalid { cell, text, beyond_range } = field else { return };
    let label = row.label(sink.lang);
    let message = match beyond_range {
        true => sink.say(
            format!("{label}：{what} {text} 超出可核对的范围（绝对值应小于 10^15），疑似录入错误"),
            format!("{label}: {what} {text} is beyond any budget figure (it should be below 10^15 in magnitude); likely a typo"),
        ),
        false => sink.say(format!("{label}：{what}“{text}”不是数字"), format!("{label}: {what} '{text}' is not a number")),
    };
    sink.at("V002", table, Some(row), Some(*cell)).found(text.clone()).emit(message);
}

/// V003: a negative amount.
fn negative(table: &ListTable, row: &ListRow, field: &Field, what: &str, sink: &mut Sink) {
    let Some(figure) = field.figure().filter(|f| f.value.is_sign_negative() && !f.value.is_zero()) else { return };
    let label = row.label(sink.lang);
    let message = sink.say(format!("{label}：{what}为负数 {}", shown(figure)), format!("{label}: {what} is negative: {}", shown(figure)));
    sink.at("V003", table, Some(row), Some(figure.cell)).found(shown(figure)).emit(message);
}

/// V004: a number typed as text (a dash for zero is not one).
fn typed_as_text(table: &ListTable, row: &ListRow, field: &Field, what: &str, sink: &mut Sink) {
    let Some(figure) = field.figure().filter(|f| f.as_text && f.decimals.is_some()) else { return };
    let label = row.label(sink.lang);
    let message = sink.say(
        format!("{label}：{what} {} 以文本形式存储，Excel 求和时会漏算", shown(figure)),
        format!("{label}: {what} {} is stored as text; Excel's SUM skips it", shown(figure)),
    );
    sink.at("V004", table, Some(row), Some(figure.cell)).found(shown(figure)).emit(message);
}

/// V005: a project amount a factor off its column's median, in the direction a unit mix-up goes:
/// too large in a 万元 table (元 typed in), too small in a 元 table (万元 typed in).
fn unit_outliers(table: &ListTable, amount: Amount, sink: &mut Sink) {
    let projects: Vec<(&ListRow, &Figure)> =
        table.projects().filter_map(|r| r.amount(amount).figure().map(|f| (r, f))).filter(|(_, f)| !f.value.is_zero()).collect();
    if projects.len() < 3 {
        return;
    }
    let Some(median) = median_magnitude(projects.iter().map(|(_, f)| f.value.abs())) else { return };
    let factor = sink.settings.thresholds.unit_mismatch_factor;
    for (row, figure) in projects {
        let magnitude = figure.value.abs();
        let suspicious = match table.source_unit {
            // A product past rust_decimal's range exceeds every figure, so it marks nothing.
            MoneyUnit::TenThousandYuan => median.checked_mul(factor).is_some_and(|limit| magnitude >= limit),
            MoneyUnit::Yuan => magnitude.checked_mul(factor).is_some_and(|scaled| scaled <= median),
        };
        if suspicious && row.kind == RowKind::Project {
            unit_finding(table, row, figure, amount, median, sink);
        }
    }
}

fn unit_finding(table: &ListTable, row: &ListRow, figure: &Figure, amount: Amount, median: Decimal, sink: &mut Sink) {
    let label = row.label(sink.lang);
    let what = amount.label(sink.lang);
    let (likely, stated) = match table.source_unit {
        MoneyUnit::TenThousandYuan => ("元", "万元"),
        MoneyUnit::Yuan => ("万元", "元"),
    };
    let median = median.round_dp(2).normalize();
    let message = sink.say(
        format!("{label}：{what} {}（万元）与同列中位数 {median} 相差悬殊，疑似以{likely}填入{stated}表", shown(figure)),
        format!("{label}: {what} {} (万元) is far off the column's median {median}; it looks like {likely} in a {stated} table", shown(figure)),
    );
    sink.at("V005", table, Some(row), Some(figure.cell)).found(shown(figure)).inputs(format!("median {median}")).emit(message);
}

fn median_magnitude(values: impl Iterator<Item = Decimal>) -> Option<Decimal> {
    let mut values: Vec<Decimal> = values.collect();
    let n = values.len();
    if n == 0 {
        return None;
    }
    // Selecting the middle is linear; sorting a large column was most of the V rules' time.
    let (below, &mut upper, _) = values.select_nth_unstable(n / 2);
    match n % 2 {
        1 => Some(upper),
        _ => below.iter().max().map(|lower| (*lower + upper) / Decimal::TWO),
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_of, TableBuilder};
    use crate::model::MoneyUnit;

    #[test]
    fn v001_fires_on_a_blank_amount_and_not_on_a_dash() {
        let blank = TableBuilder::new().project("甲", "10.00", "10.00", "", "").build();
        let findings = findings_of(&blank, "V001");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].cell.unwrap().to_string(), "F2");
        let dash = TableBuilder::new().project("甲", "—", "10.00", "10.00", "100.00").build();
        assert!(findings_of(&dash, "V001").is_empty());
    }

    #[test]
    fn v002_fires_on_text_and_error_values_only() {
        let table = TableBuilder::new().project("甲", "10.00", "10.00", "约300", "#DIV/0!").build();
        let cells: Vec<String> = findings_of(&table, "V002").iter().map(|f| f.cell.unwrap().to_string()).collect();
        assert_eq!(cells, vec!["F2", "G2"]);
        let clean = TableBuilder::new().project("甲", "10.00", "10.00", "10.00", "100.00").build();
        assert!(findings_of(&clean, "V002").is_empty());
    }

    #[test]
    fn v003_fires_on_a_negative_amount_only() {
        let table = TableBuilder::new().project("甲", "10.00", "-12.00", "0.00", "").build();
        let findings = findings_of(&table, "V003");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].found.as_deref(), Some("-12.00"));
        let zero = TableBuilder::new().project("甲", "0.00", "0.00", "0.00", "").build();
        assert!(findings_of(&zero, "V003").is_empty());
    }

    #[test]
    fn v004_fires_on_numbers_typed_as_text() {
        let mut table = TableBuilder::new().project("甲", "1,411.64", "10.00", "10.00", "100.00").build();
        assert!(findings_of(&table, "V004").is_empty(), "the builder writes numbers, not text");
        if let crate::model::Field::Value(f) = &mut table.rows[0].budget_initial {
            f.as_text = true;
        }
        let findings = findings_of(&table, "V004");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].found.as_deref(), Some("1411.64"));
    }

    #[test]
    fn v005_fires_on_yuan_in_a_wan_table_and_wan_in_a_yuan_table() {
        let wan = TableBuilder::new()
            .project("甲", "405.81", "395.41", "395.41", "100.00")
            .project("乙", "80.00", "12.70", "12.70", "100.00")
            .project("丙", "4058100.00", "103.97", "103.97", "100.00")
            .build();
        let findings = findings_of(&wan, "V005");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].cell.unwrap().to_string(), "D4");
        let yuan = TableBuilder::new()
            .unit(MoneyUnit::Yuan)
            .project("甲", "405.8100", "1.00", "1.00", "100.00")
            .project("乙", "80.0000", "1.00", "1.00", "100.00")
            .project("丙", "0.0405", "1.00", "1.00", "100.00")
            .build();
        assert_eq!(findings_of(&yuan, "V005").len(), 1);
    }

    #[test]
    fn v005_is_silent_on_ordinary_spread() {
        let table = TableBuilder::new()
            .project("甲", "5000.00", "5000.00", "5000.00", "100.00")
            .project("乙", "12.70", "12.70", "12.70", "100.00")
            .project("丙", "0.00", "1328.75", "1328.75", "100.00")
            .build();
        assert!(findings_of(&table, "V005").is_empty());
    }
}
