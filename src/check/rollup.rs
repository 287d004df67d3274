//! The department roll-up recomputed from the project rows: count, the three amounts, the execution ratio.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::model::interval::{percent, round_shown};
use crate::model::{Amount, ListTable, Workbook};
use crate::report::tabular::{Tabular, Values};

/// One line of the roll-up: a department of a unit in a table, or the table's grand total
/// (`department` = None; its `unit` is None when the table lists several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub file: String,
    pub sheet: String,
    pub table: usize,
    pub table_label: String,
    pub unit: Option<String>,
    pub department: Option<String>,
    pub projects: usize,
    pub budget_initial: Decimal,
    pub budget_adjusted: Decimal,
    pub actual: Decimal,
    /// actual ÷ adjusted × 100, to 2 decimals; None when the adjusted budget is 0.
    pub ratio: Option<Decimal>,
}

impl Rollup {
    fn new(workbook: &Workbook, table: &ListTable, unit: Option<String>, department: Option<String>) -> Rollup {
        Rollup {
            file: workbook.path.display().to_string(),
            sheet: table.sheet.clone(),
            table: table.index,
            table_label: table.label(),
            unit,
            department,
            projects: 0,
            budget_initial: Decimal::ZERO,
            budget_adjusted: Decimal::ZERO,
            actual: Decimal::ZERO,
            ratio: None,
        }
    }

    fn add(&mut self, row: &crate::model::ListRow) {
        self.projects += 1;
        for amount in Amount::ALL {
            let value = row.amount(amount).value().unwrap_or_default();
            match amount {
                Amount::BudgetInitial => self.budget_initial += value,
                Amount::BudgetAdjusted => self.budget_adjusted += value,
                Amount::Actual => self.actual += value,
                Amount::Extra(_) => {}
            }
        }
    }

    fn close(mut self) -> Rollup {
        self.ratio = percent(self.actual, self.budget_adjusted).map(|ratio| round_shown(ratio, Some(2)));
        self
    }
}

/// Every table's (unit, department) lines in order of first appearance, each table followed by its grand total.
pub fn rollups(workbook: &Workbook) -> Vec<Rollup> {
    let mut out = Vec::new();
    for table in &workbook.tables {
        let mut departments: Vec<Rollup> = Vec::new();
        let mut positions: HashMap<(&str, &str), usize> = HashMap::new();
        let table_unit = (!table.lists_units()).then(|| table.unit.clone());
        let mut total = Rollup::new(workbook, table, table_unit, None);
        for row in table.projects() {
            let key = (table.unit_of(row), row.department.as_deref().unwrap_or_default());
            let index = *positions.entry(key).or_insert_with(|| {
                departments.push(Rollup::new(workbook, table, Some(key.0.to_string()), Some(key.1.to_string())));
                departments.len() - 1
            });
            departments[index].add(row);
            total.add(row);
        }
        out.extend(departments.into_iter().map(Rollup::close));
        out.push(total.close());
    }
    out
}

pub fn rollup_table<'a>(rollups: impl IntoIterator<Item = &'a Rollup>) -> Tabular {
    let rows: Vec<&Rollup> = rollups.into_iter().collect();
    let mut out = Tabular::default();
    out.push("file", Values::Text(rows.iter().map(|r| Some(r.file.clone())).collect()));
    out.push("sheet", Values::Text(rows.iter().map(|r| Some(r.sheet.clone())).collect()));
    out.push("table", Values::Int(rows.iter().map(|r| Some(r.table as i64)).collect()));
    out.push("table_label", Values::Text(rows.iter().map(|r| Some(r.table_label.clone())).collect()));
    out.push("unit", Values::Text(rows.iter().map(|r| r.unit.clone()).collect()));
    out.push("department", Values::Text(rows.iter().map(|r| r.department.clone()).collect()));
    out.push("is_total", Values::Text(rows.iter().map(|r| Some(r.department.is_none().to_string())).collect()));
    out.push("projects", Values::Int(rows.iter().map(|r| Some(r.projects as i64)).collect()));
    out.push("budget_initial", Values::Decimal(rows.iter().map(|r| Some(r.budget_initial)).collect()));
    out.push("budget_adjusted", Values::Decimal(rows.iter().map(|r| Some(r.budget_adjusted)).collect()));
    out.push("actual", Values::Decimal(rows.iter().map(|r| Some(r.actual)).collect()));
    out.push("ratio", Values::Decimal(rows.iter().map(|r| r.ratio).collect()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::testing::{workbook_of, TableBuilder};
    use std::str::FromStr;

    #[test]
    fn departments_and_the_grand_total_are_recomputed_exactly() {
        let table = TableBuilder::new()
            .dept_project("综合办公室", "甲", "405.81", "395.41", "395.41", "100.00")
            .dept_project("综合办公室", "乙", "80.00", "12.70", "12.70", "100.00")
            .dept_project("民生保障办公室", "丙", "230.00", "0.00", "0.00", "0.00")
            .total("715.81", "408.11", "408.11", "100.00")
            .build();
        let lines = rollups(&workbook_of(vec![table]));
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].department.as_deref(), Some("综合办公室"));
        assert_eq!(lines[0].projects, 2);
        assert_eq!(lines[0].budget_initial, Decimal::from_str("485.81").unwrap());
        assert_eq!(lines[0].ratio, Some(Decimal::from_str("100.00").unwrap()));
        assert_eq!(lines[1].ratio, None);
        assert_eq!(lines[2].department, None);
        assert_eq!(lines[2].projects, 3);
        assert_eq!(lines[2].actual, Decimal::from_str("408.11").unwrap());
    }
}
