//! A008: columns defined by others (FORMATS.md §1.2): 追加（减）= 调整后 − 年初, 结余 = 调整后 − 实际,
//! checked on every row on the rounding intervals of the three.

use crate::check::{shown, shown_like, Sink};
use crate::model::interval::Interval;
use crate::model::{Amount, Derived, Field, ListRow, ListTable};

pub fn check(table: &ListTable, sink: &mut Sink) {
    for (i, column) in table.columns.extra_amounts.iter().enumerate() {
        let Some(derived) = column.derived else { continue };
        let (minuend, subtrahend) = match derived {
            Derived::Change => (Amount::BudgetAdjusted, Amount::BudgetInitial),
            Derived::Balance => (Amount::BudgetAdjusted, Amount::Actual),
        };
        for row in &table.rows {
            check_row(table, row, Amount::Extra(i as u16), minuend, subtrahend, sink);
        }
    }
}

fn check_row(table: &ListTable, row: &ListRow, derived: Amount, minuend: Amount, subtrahend: Amount, sink: &mut Sink) {
    let (Field::Value(stated), Some(a), Some(b)) = (row.amount(derived), row.amount(minuend).figure(), row.amount(subtrahend).figure()) else {
        return;
    };
    let (x, y) = (Interval::of(a), Interval::of(b));
    let possible = Interval { lo: x.lo - y.hi, hi: x.hi - y.lo };
    if possible.meets(Interval::of(stated)) {
        return;
    }
    let expected = shown_like(a.value - b.value, stated);
    let lang = sink.lang;
    let (label, what) = (row.label(lang), table.amount_label(derived, lang));
    let inputs = format!("{} − {}", shown(a), shown(b));
    let message = sink.say(
        format!("{label}：{what}填 {}，按 {}−{}（{inputs}）应为 {expected}", shown(stated), minuend.label(lang), subtrahend.label(lang)),
        format!("{label}: {what} reads {}, but {} − {} ({inputs}) gives {expected}", shown(stated), minuend.label(lang), subtrahend.label(lang)),
    );
    sink.at("A008", table, Some(row), Some(stated.cell)).found(shown(stated)).expected(expected).inputs(inputs).emit(message);
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_of, TableBuilder};
    use crate::model::Derived;

    #[test]
    fn a008_fires_on_a_balance_or_change_off_its_definition_and_only_then() {
        let table = TableBuilder::new()
            .derived_column("结余资金", Derived::Balance)
            .derived_column("追加（减）预算数", Derived::Change)
            .project_amounts("甲", ["100.00", "80.00", "70.00", "87.50"], &["10.00", "-20.00"])
            .project_amounts("乙", ["50.00", "60.00", "40.00", "66.67"], &["30.00", "10.00"])
            .build();
        let findings = findings_of(&table, "A008");
        let cells: Vec<String> = findings.iter().map(|f| f.cell.unwrap().to_string()).collect();
        assert_eq!(cells, vec!["I3"], "{findings:?}");
        assert_eq!(findings[0].expected.as_deref(), Some("20.00"));
    }
}
