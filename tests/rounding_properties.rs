//! The rounding model as properties (FORMATS.md §4): lists whose stated figures are the exact amounts
//! rounded for display — ratios, 小计 and 合计 computed from the exact values, then rounded — never
//! give an error; and one stated figure moved outside its rounding interval is reported, at its cell.

use std::path::Path;

use budgetlint::check::catalog::Severity;
use budgetlint::read::grid::{Grid, Value};
use budgetlint::report::{check_grids, Finding};
use budgetlint::settings::Settings;
use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

/// One project's exact amounts, in 万元 to 4 decimals: what a ledger holds before it is rounded for display.
#[derive(Debug, Clone)]
struct Exact {
    initial: Decimal,
    adjusted: Decimal,
    actual: Decimal,
}

fn project() -> impl Strategy<Value = Exact> {
    // Adjusted from 100.0000 to 50,000.0000; initial within ±30 %; actual 60–100 % of adjusted.
    (1_000_000i64..500_000_000, 70i64..130, 6_000i64..=10_000).prop_map(|(adjusted, initial_pct, actual_bp)| {
        let adjusted = Decimal::new(adjusted, 4);
        Exact {
            initial: (adjusted * Decimal::new(initial_pct, 2)).round_dp(4),
            adjusted,
            actual: (adjusted * Decimal::new(actual_bp, 4)).round_dp(4),
        }
    })
}

fn shown(value: Decimal) -> String {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).to_string()
}

fn ratio_of(actual: Decimal, adjusted: Decimal) -> Decimal {
    actual / adjusted * Decimal::ONE_HUNDRED
}

fn text(t: &str) -> Value {
    Value::Text(t.into())
}

/// A list of `groups` (each a department with its 小计), then 合计; every figure as the sheet shows it.
fn list(groups: &[Vec<Exact>]) -> Vec<Vec<Value>> {
    let mut rows = vec![["序号", "实施部室", "项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例"].map(text).to_vec()];
    let line = |seq: &str, dept: &str, name: &str, e: &Exact| {
        vec![text(seq), text(dept), text(name), text(&shown(e.initial)), text(&shown(e.adjusted)), text(&shown(e.actual)), text(&format!("{}%", shown(ratio_of(e.actual, e.adjusted))))]
    };
    let sum = |projects: &[&Exact]| Exact {
        initial: projects.iter().map(|p| p.initial).sum(),
        adjusted: projects.iter().map(|p| p.adjusted).sum(),
        actual: projects.iter().map(|p| p.actual).sum(),
    };
    let mut seq = 0;
    for (g, group) in groups.iter().enumerate() {
        let department = format!("部室{g}");
        for project in group {
            seq += 1;
            rows.push(line(&seq.to_string(), &department, &format!("项目{seq}"), project));
        }
        rows.push(line("", "小计", "", &sum(&group.iter().collect::<Vec<_>>())));
    }
    rows.push(line("合计", "", "", &sum(&groups.iter().flatten().collect::<Vec<_>>())));
    rows
}

fn findings(rows: Vec<Vec<Value>>) -> Vec<Finding> {
    check_grids(Path::new("property.xlsx"), &[Grid::from_values("附件1", rows)], &Settings::default()).findings
}

fn errors(findings: &[Finding]) -> Vec<String> {
    findings.iter().filter(|f| f.severity == Severity::Error).map(|f| format!("{} {:?} {}", f.rule, f.cell.map(|c| c.to_string()), f.message)).collect()
}

fn groups() -> impl Strategy<Value = Vec<Vec<Exact>>> {
    prop::collection::vec(prop::collection::vec(project(), 1..12), 1..5)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    /// Figures rounded as a workbook rounds them are never an error, however the remainders fall.
    #[test]
    fn rounded_exact_figures_never_give_an_error(groups in groups()) {
        let found = findings(list(&groups));
        prop_assert!(errors(&found).is_empty(), "{:?}", errors(&found));
    }

    /// A stated ratio moved by a whole percent, or the 合计 年初 moved past every rounding of its terms, is reported at its own cell, and nothing else is an error.
    #[test]
    fn one_figure_moved_out_of_its_interval_is_reported_there(groups in groups(), pick in 0usize..1000) {
        let mut rows = list(&groups);
        let last = rows.len() - 1;
        let (row, col, rule) = match pick % 2 {
            0 => {
                let projects: Vec<usize> = (1..last).filter(|r| rows[*r][0] != text("")).collect();
                (projects[pick / 2 % projects.len()], 6, "A001")
            }
            // The initial budget: moving the 合计 of 调整后 or 实际 would also move its own ratio (A001 there).
            _ => (last, 3, "A002"),
        };
        let Value::Text(stated) = &rows[row][col] else { unreachable!() };
        let value: Decimal = stated.trim_end_matches('%').parse().unwrap();
        let terms = (rows.len() as i64) * 2;
        let moved = value + Decimal::new(terms + 100, 2);
        rows[row][col] = text(&if col == 6 { format!("{moved}%") } else { moved.to_string() });
        let found = findings(rows);
        let cell = format!("{}{}", ["A", "B", "C", "D", "E", "F", "G"][col], row + 1);
        let errors: Vec<(&str, String)> = found.iter().filter(|f| f.severity == Severity::Error).map(|f| (f.rule, f.cell.map(|c| c.to_string()).unwrap_or_default())).collect();
        prop_assert_eq!(errors, vec![(rule, cell)]);
    }
}
