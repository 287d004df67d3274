//! Formulas without stored results, as properties: any formula text (a stranger's, or garbage) is
//! computed or named, never a panic or a hang; and a SUM of amounts is their exact decimal sum.

use budgetlint::read::formula::settle;
use budgetlint::read::grid::{Grid, Value};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// A sheet with amounts in A1:A`n` and one uncached formula in B1.
fn sheet_with(amounts: &[Decimal], formula: &str) -> Vec<Grid> {
    let rows = amounts.iter().map(|a| vec![Value::Number(a.to_string().parse().unwrap())]).collect();
    let mut grid = Grid::from_values("清单", rows);
    grid.layout.formulas.insert((0, 1), formula.to_string());
    grid.layout.uncached_formulas.push((0, 1));
    vec![grid]
}

/// Text built of what formulas are made of, so that most of it gets deep into the parser.
fn formula_text() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "A1", "$A$2", "A1:A9", "A:A", "B1", "清单!A1", "'清单'!A2", "Z99", "SUM(", "ROUND(", "IF(", "IFERROR(", "MAX(",
        "AVERAGE(", "VLOOKUP(", ")", "(", ",", "+", "-", "*", "/", "^", "&", "=", "<>", "<=", "%", "\"", "\"x\"", "1",
        "0", "0.5", "1E+3", "-", "#DIV/0!", "TRUE", "[1]", "{", "!", ":", "'", " ", "名称",
    ]);
    prop::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_formula_is_computed_or_named(formula in formula_text()) {
        let mut grids = sheet_with(&[Decimal::new(14600, 2), Decimal::ZERO], &formula);
        settle(&mut grids);
        let value = grids[0].cell(0, 1).value.clone();
        let named = grids[0].formula_notes.uncomputed.len();
        prop_assert!(matches!(value, Value::Formula(_)) == (named == 1), "{formula}: {value:?}");
    }

    #[test]
    fn any_text_at_all_is_computed_or_named(formula in ".{0,200}") {
        let mut grids = sheet_with(&[Decimal::ONE], &formula);
        settle(&mut grids);
    }

    #[test]
    fn a_sum_of_amounts_is_their_exact_sum(cents in prop::collection::vec(0i64..1_000_000_000, 1..200)) {
        let amounts: Vec<Decimal> = cents.iter().map(|c| Decimal::new(*c, 2)).collect();
        let mut grids = sheet_with(&amounts, &format!("SUM(A1:A{})", amounts.len()));
        settle(&mut grids);
        let Value::Number(sum) = grids[0].cell(0, 1).value else { panic!("not computed") };
        let exact: Decimal = amounts.iter().sum();
        prop_assert_eq!(sum.to_string().parse::<Decimal>().unwrap(), exact);
    }
}
