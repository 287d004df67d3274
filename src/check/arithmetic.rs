//! A001–A005: ratios, 合计 and 小计 recomputed on rounding intervals.

use rust_decimal::Decimal;

use crate::model::interval::{percent, round_shown, rounding_variance_x3, sqrt, Interval};
use crate::check::{shown, shown_like, Place, Sink};
use crate::model::{Amount, Field, Figure, ListRow, ListTable, RowKind};

pub fn check(table: &ListTable, sink: &mut Sink) {
    for row in &table.rows {
        check_ratio(table, row, sink);
    }
    check_totals(table, sink);
    check_subtotals(table, sink);
}

/// A001 / A004 / A005 on one row's ratio.
fn check_ratio(table: &ListTable, row: &ListRow, sink: &mut Sink) {
    let (Some(ratio), Some(adjusted), Some(actual)) = (row.ratio.figure(), row.budget_adjusted.figure(), row.actual.figure()) else {
        return;
    };
    let lang = sink.lang;
    let label = || row.label(lang);
    let names = RatioNames { ratio: lang.pick("预算支出比例", "the ratio"), divisor: lang.pick("调整后预算", "the adjusted budget") };
    judge_ratio(sink, Place::List(table, Some(row)), &label, names, ratio, actual, adjusted);
}

/// What a ratio and its divisor are called in messages.
pub struct RatioNames<'n> {
    pub ratio: &'n str,
    pub divisor: &'n str,
}

/// A001 / A004 / A005: a stated ratio against `dividend ÷ divisor`, wherever it stands.
pub fn judge_ratio(sink: &mut Sink, place: Place, label: &dyn Fn() -> String, names: RatioNames, ratio: &Figure, dividend: &Figure, divisor: &Figure) {
    let what = names.ratio;
    if divisor.value.is_zero() {
        // A dash over a zero budget says "no ratio", which is what A004 asks for.
        if ratio.decimals.is_none() {
            return;
        }
        let (label, divisor) = (label(), names.divisor);
        let message = sink.say(
            format!("{label}：{divisor}为 0，比例无法计算，但填了 {}%", shown(ratio)),
            format!("{label}: {divisor} is 0, so no ratio can be computed, yet {} % is shown", shown(ratio)),
        );
        sink.at_place("A004", place, Some(ratio.cell)).found(format!("{}%", shown(ratio))).emit(message);
        return;
    }
    let Some(possible) = Interval::of(dividend).percent_of(Interval::of(divisor)) else { return };
    let Some(point) = percent(dividend.value, divisor.value) else { return };
    // Texts only for a finding: this runs on every row.
    let expected = || shown_like(point, ratio);
    let inputs = || format!("{} ÷ {}", shown(dividend), shown(divisor));
    if !possible.meets(Interval::of(ratio)) {
        let (label, expected, inputs) = (label(), expected(), inputs());
        let message = sink.say(
            format!("{label}：{what}填 {}%，按 {inputs} 应为 {expected}%", shown(ratio)),
            format!("{label}: {what} reads {} %, but {inputs} gives {expected} %", shown(ratio)),
        );
        sink.at_place("A001", place, Some(ratio.cell))
            .found(format!("{}%", shown(ratio)))
            .expected(format!("{expected}%"))
            .inputs(inputs)
            .emit(message);
    } else if round_shown(point, ratio.decimals()) != round_shown(ratio.value, ratio.decimals()) {
        remainder(sink, place, &label(), ratio, format!("{}%", expected()), format!("{}%", shown(ratio)), inputs());
    }
}

/// A005: consistent within rounding, but not what the shown figures give.
fn remainder(sink: &mut Sink, place: Place, label: &str, at: &Figure, expected: String, found: String, inputs: String) {
    let message = sink.say(
        format!("{label}：填 {found}，按显示数字计算为 {expected}，差异在四舍五入范围内（尾差）"),
        format!("{label}: {found} is stated, the shown figures give {expected}; the difference is within rounding"),
    );
    sink.at_place("A005", place, Some(at.cell)).found(found).expected(expected).inputs(inputs).emit(message);
}

/// A002: every 合计 against the sum of all project rows.
fn check_totals(table: &ListTable, sink: &mut Sink) {
    let projects: Vec<&ListRow> = table.projects().collect();
    for total in table.rows.iter().filter(|r| r.kind == RowKind::Total) {
        compare_sum(table, total, &projects, "A002", sink);
    }
}

/// A003: every 小计 against the project rows since the previous 小计 or 合计.
fn check_subtotals(table: &ListTable, sink: &mut Sink) {
    if subtotals_lead(table) {
        check_subtotal_blocks(table, table.rows.iter().rev(), true, sink);
    } else {
        check_subtotal_blocks(table, table.rows.iter(), false, sink);
    }
}

/// Whether the list's 小计 rows stand above their departments' rows rather than below: its first
/// 小计 comes before any project (a 合计 written first aside).
fn subtotals_lead(table: &ListTable) -> bool {
    let mut projects_before = false;
    for row in &table.rows {
        match row.kind {
            RowKind::Project => projects_before = true,
            RowKind::Total => projects_before = false,
            RowKind::Subtotal => return !projects_before,
            RowKind::Level | RowKind::Breakdown => {}
        }
    }
    false
}

/// A003: each 小计 against the projects met since the last 小计 or 合计, walking `rows` (backwards,
/// `reversed`, when the 小计 lead their rows).
fn check_subtotal_blocks<'t>(table: &'t ListTable, rows: impl Iterator<Item = &'t ListRow>, reversed: bool, sink: &mut Sink) {
    let mut block: Vec<&ListRow> = Vec::new();
    for row in rows {
        match row.kind {
            RowKind::Project => block.push(row),
            RowKind::Subtotal => {
                if reversed {
                    block.reverse();
                }
                compare_sum(table, row, &block, "A003", sink);
                block.clear();
            }
            RowKind::Total => block.clear(),
            RowKind::Level | RowKind::Breakdown => {}
        }
    }
}

/// A002 / A003 (and, for a level row, A003): a stated aggregate against the sum of its rows, in every
/// amount column; A007 when it is within the worst case of rounding but not plausibly rounding.
pub fn compare_sum(table: &ListTable, stated_row: &ListRow, terms: &[&ListRow], rule_id: &'static str, sink: &mut Sink) {
    if terms.is_empty() {
        return;
    }
    for amount in table.amounts() {
        let Some(stated) = stated_row.amount(amount).figure() else { continue };
        let Some(sum) = SumOf::rows(terms, amount) else { continue };
        let expected = shown_like(sum.point, stated);
        let what = table.amount_label(amount, sink.lang);
        let label = stated_row.label(sink.lang);
        let count = terms.len();
        if !sum.interval.meets(Interval::of(stated)) {
            let message = sink.say(
                format!("{label}{what}填 {}，{count} 项之和为 {expected}", shown(stated)),
                format!("{label} {what} reads {}, the sum of its {count} rows is {expected}", shown(stated)),
            );
            sink.at(rule_id, table, Some(stated_row), Some(stated.cell))
                .found(shown(stated))
                .expected(expected)
                .inputs(sum.inputs)
                .emit(message);
        } else if let Some(sigmas) = implausible_sigmas(&sum, stated, terms, amount) {
            let message = sink.say(
                format!("{label}{what}填 {}，{count} 项之和为 {expected}：差异虽在最坏舍入范围内，但偏离 {sigmas} 个标准差，不像是四舍五入所致", shown(stated)),
                format!("{label} {what} reads {}, its {count} rows add up to {expected}: within the worst case of rounding, but {sigmas} standard deviations off, which rounding does not plausibly explain", shown(stated)),
            );
            sink.at("A007", table, Some(stated_row), Some(stated.cell))
                .found(shown(stated))
                .expected(expected)
                .inputs(format!("{} (σ {sigmas})", sum.inputs))
                .emit(message);
        } else if round_shown(sum.point, stated.decimals()) != round_shown(stated.value, stated.decimals()) {
            remainder(sink, Place::List(table, Some(stated_row)), &label, stated, expected, shown(stated), sum.inputs);
        }
    }
}

/// How many standard deviations of independent rounding (FORMATS.md §4) the stated figure is from the
/// sum of the shown terms, when that is more than [`PLAUSIBLE_SIGMAS`].
fn implausible_sigmas(sum: &SumOf, stated: &Figure, terms: &[&ListRow], amount: Amount) -> Option<Decimal> {
    let shown_sum = (sum.interval.lo + sum.interval.hi) / Decimal::TWO;
    let gap = (Interval::of(stated).lo + Interval::of(stated).hi) / Decimal::TWO - shown_sum;
    if gap.is_zero() {
        return None;
    }
    let figures = terms.iter().filter_map(|r| r.amount(amount).figure()).chain([stated]);
    let variance_x3 = rounding_variance_x3(figures);
    let limit = Decimal::from(PLAUSIBLE_SIGMAS * PLAUSIBLE_SIGMAS);
    let beyond = gap.checked_mul(gap)?.checked_mul(Decimal::from(3))? > limit.checked_mul(variance_x3)?;
    beyond.then(|| (gap.abs() / sqrt(variance_x3 / Decimal::from(3))).round_dp(1))
}

/// Beyond this many standard deviations a difference is not plausibly rounding (FORMATS.md §4).
const PLAUSIBLE_SIGMAS: u32 = 4;

/// A recomputed sum: its point value, its rounding interval and how it was made.
pub struct SumOf {
    pub point: Decimal,
    pub interval: Interval,
    pub inputs: String,
}

impl SumOf {
    /// The sum of one amount over rows; `None` when a term is not a number (V002 reports it).
    /// A blank term counts as an exact zero (V001 reports it).
    pub fn rows(rows: &[&ListRow], amount: Amount) -> Option<SumOf> {
        if rows.iter().any(|row| matches!(row.amount(amount), Field::Invalid { .. } | Field::Uncomputed(_))) {
            return None;
        }
        // Summed from the rows where they are: a total over a million rows would copy 36 MB of figures.
        Some(SumOf::figures(rows.iter().filter_map(|row| row.amount(amount).figure())))
    }

    pub fn figures<'a>(figures: impl IntoIterator<Item = &'a Figure, IntoIter: Clone>) -> SumOf {
        let figures = figures.into_iter();
        let point = figures.clone().map(|f| f.value).sum();
        let interval = Interval::sum_of(figures.clone());
        SumOf { point, interval, inputs: sum_inputs(figures) }
    }
}

/// `405.81 + 80.00 + … + 636.00（52 项）`: the first and last terms, so the sum can be followed.
fn sum_inputs<'a>(figures: impl Iterator<Item = &'a Figure> + Clone) -> String {
    const SHOWN: usize = 4;
    let count = figures.clone().count();
    let terms: Vec<String> = match figures.clone().last() {
        Some(last) if count > SHOWN + 1 => figures.take(SHOWN).map(shown).chain(["…".to_string(), shown(last)]).collect(),
        _ => figures.map(shown).collect(),
    };
    format!("{} ({count} 项)", terms.join(" + "))
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_of, TableBuilder};

    #[test]
    fn a001_fires_on_a_ratio_no_rounding_explains() {
        let table = TableBuilder::new().project("残疾人两项补贴", "380.00", "270.00", "266.47", "100.00").build();
        let findings = findings_of(&table, "A001");
        assert_eq!(findings.len(), 1);
        let f = &findings[0];
        assert_eq!(f.found.as_deref(), Some("100.00%"));
        assert_eq!(f.expected.as_deref(), Some("98.69%"));
        assert_eq!(f.inputs.as_deref(), Some("266.47 ÷ 270.00"));
        assert_eq!(f.cell.unwrap().to_string(), "G2");
        assert!(f.message.contains("残疾人两项补贴"), "{}", f.message);
    }

    #[test]
    fn a001_is_silent_on_a_ratio_rounding_explains_and_a005_notes_it() {
        let table = TableBuilder::new().project("学区理事会工作经费", "74.00", "25.00", "19.98", "79.94").build();
        assert!(findings_of(&table, "A001").is_empty());
        let remainders = findings_of(&table, "A005");
        assert_eq!(remainders.len(), 1);
        assert_eq!(remainders[0].expected.as_deref(), Some("79.92%"));
    }

    #[test]
    fn a005_is_silent_when_the_point_value_matches() {
        let table = TableBuilder::new().project("街区环境综合整治", "400.00", "347.00", "293.08", "84.46").build();
        assert!(findings_of(&table, "A005").is_empty());
        assert!(findings_of(&table, "A001").is_empty());
    }

    #[test]
    fn a004_fires_on_a_ratio_over_a_zero_budget_and_only_then() {
        let zero = TableBuilder::new().project("在乡及伤残人员全年经费", "230.00", "0.00", "0.00", "0.00").build();
        assert_eq!(findings_of(&zero, "A004").len(), 1);
        assert!(findings_of(&zero, "A001").is_empty());
        let blank_ratio = TableBuilder::new().project("在乡及伤残人员全年经费", "230.00", "0.00", "0.00", "").build();
        assert!(findings_of(&blank_ratio, "A004").is_empty());
        let dash_ratio = TableBuilder::new().project("在乡及伤残人员全年经费", "230.00", "0.00", "0.00", "—").build();
        assert!(findings_of(&dash_ratio, "A004").is_empty());
        assert!(findings_of(&dash_ratio, "A001").is_empty());
    }

    #[test]
    fn a002_fires_on_a_total_beyond_rounding() {
        let table = TableBuilder::new()
            .project("甲", "100.00", "100.00", "100.00", "100.00")
            .project("乙", "200.00", "200.00", "200.00", "100.00")
            .total("300.00", "310.00", "300.00", "")
            .build();
        let findings = findings_of(&table, "A002");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].found.as_deref(), Some("310.00"));
        assert_eq!(findings[0].expected.as_deref(), Some("300.00"));
        assert_eq!(findings[0].cell.unwrap().to_string(), "E4");
        assert_eq!(findings[0].inputs.as_deref(), Some("100.00 + 200.00 (2 项)"));
    }

    /// The seed's 表2: six rows whose 年初预算 add up to 1,411.65.
    fn seed_table2_rows() -> TableBuilder {
        let mut builder = TableBuilder::new();
        for (name, initial) in [("a", "405.81"), ("b", "80.00"), ("c", "103.97"), ("d", "174.20"), ("e", "110.00"), ("f", "537.67")] {
            builder = builder.project(name, initial, "1.00", "1.00", "100.00");
        }
        builder
    }

    #[test]
    fn a002_names_the_first_and_last_terms_of_a_long_sum() {
        let findings = findings_of(&seed_table2_rows().total("1421.64", "6.00", "6.00", "100.00").build(), "A002");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].inputs.as_deref(), Some("405.81 + 80.00 + 103.97 + 174.20 + … + 537.67 (6 项)"));
    }

    #[test]
    fn a002_is_silent_within_the_rounding_of_its_terms() {
        // The seed's 表2: the six rows add up to 1,411.65 while 1,411.64 is shown; ±0.03 explains it.
        let table = seed_table2_rows().total("1411.64", "6.00", "6.00", "100.00").build();
        assert!(findings_of(&table, "A002").is_empty());
        assert_eq!(findings_of(&table, "A005").len(), 1);
    }

    #[test]
    fn a003_fires_on_a_wrong_subtotal_and_is_silent_on_a_right_one() {
        let table = TableBuilder::new()
            .dept_project("综合办公室", "甲", "10.00", "10.00", "10.00", "100.00")
            .dept_project("综合办公室", "乙", "20.00", "20.00", "20.00", "100.00")
            .subtotal("30.00", "31.00", "30.00", "")
            .dept_project("城市管理办公室", "丙", "5.00", "5.00", "5.00", "100.00")
            .subtotal("5.00", "5.00", "5.00", "")
            .build();
        let findings = findings_of(&table, "A003");
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].expected.as_deref(), Some("30.00"));
        assert_eq!(findings[0].department.as_deref(), Some("综合办公室"));
    }

    #[test]
    fn a003_sums_the_rows_below_a_subtotal_that_leads_them() {
        let leading = |first: &str| {
            TableBuilder::new()
                .total("35.00", "35.00", "35.00", "")
                .subtotal(first, "30.00", "30.00", "")
                .dept_project("综合办公室", "甲", "10.00", "10.00", "10.00", "100.00")
                .dept_project("综合办公室", "乙", "20.00", "20.00", "20.00", "100.00")
                .subtotal("5.00", "5.00", "5.00", "")
                .dept_project("城市管理办公室", "丙", "5.00", "5.00", "5.00", "100.00")
                .build()
        };
        assert!(findings_of(&leading("30.00"), "A003").is_empty());
        let findings = findings_of(&leading("31.00"), "A003");
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert_eq!((findings[0].found.as_deref(), findings[0].expected.as_deref()), (Some("31.00"), Some("30.00")));
        assert_eq!(findings[0].inputs.as_deref(), Some("10.00 + 20.00 (2 项)"), "in sheet order");
    }
}
