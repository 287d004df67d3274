//! A003 on level rows and A006: the structure inside a list (FORMATS.md §1.2). Each level row carries
//! the sum of the projects below it; the parts of a 其中 breakdown never exceed their parent, and
//! equal it when the breakdown is complete.

use std::collections::HashMap;

use crate::check::arithmetic::{compare_sum, SumOf};
use crate::check::{shown, shown_like, Place, Sink};
use crate::model::interval::Interval;
use crate::model::{Field, Figure, ListRow, ListTable, RowKind};
use crate::read::hierarchy::strip_ordinal;
use crate::read::text::squash;

pub fn check(table: &ListTable, sink: &mut Sink) {
    if !table.rows.iter().any(|r| matches!(r.kind, RowKind::Level | RowKind::Breakdown)) {
        return;
    }
    let by_row: HashMap<u32, &ListRow> = table.rows.iter().map(|r| (r.row, r)).collect();
    check_levels(table, &by_row, sink);
    check_breakdowns(table, &by_row, sink);
}

/// A003: every level row against all the projects below it, however deep.
fn check_levels(table: &ListTable, by_row: &HashMap<u32, &ListRow>, sink: &mut Sink) {
    let mut below: HashMap<u32, Vec<&ListRow>> = HashMap::new();
    for project in table.projects() {
        let mut parent = project.parent_row;
        while let Some(at) = parent {
            let Some(level) = by_row.get(&at).filter(|r| r.kind == RowKind::Level) else { break };
            below.entry(at).or_default().push(project);
            parent = level.parent_row;
        }
    }
    for level in table.rows.iter().filter(|r| r.kind == RowKind::Level) {
        if let Some(projects) = below.get(&level.row) {
            compare_sum(table, level, projects, "A003", sink);
        }
    }
}

/// A006: the parts of each breakdown against their parent, amount by amount.
fn check_breakdowns(table: &ListTable, by_row: &HashMap<u32, &ListRow>, sink: &mut Sink) {
    let mut parts: Vec<(u32, Vec<&ListRow>)> = Vec::new();
    for row in table.rows.iter().filter(|r| r.kind == RowKind::Breakdown) {
        let Some(parent) = row.parent_row else { continue };
        match parts.last_mut() {
            Some((at, rows)) if *at == parent => rows.push(row),
            _ => parts.push((parent, vec![row])),
        }
    }
    for (parent, rows) in parts {
        if let Some(parent) = by_row.get(&parent) {
            parts_against_parent(table, parent, &rows, sink);
        }
    }
}

/// A breakdown that names its remainder (其他资金) lists every part: then the parts must add up.
pub fn is_complete<'l>(labels: impl IntoIterator<Item = &'l str>) -> bool {
    labels.into_iter().any(|label| {
        let label = squash(label);
        let name = strip_ordinal(&label).trim_start_matches("其中").trim_start_matches(':');
        name.starts_with("其他")
    })
}

fn parts_against_parent(table: &ListTable, parent: &ListRow, parts: &[&ListRow], sink: &mut Sink) {
    let complete = is_complete(parts.iter().filter_map(|p| p.project.as_deref()));
    for amount in table.amounts() {
        let Some(stated) = parent.amount(amount).figure() else { continue };
        if parts.iter().any(|p| matches!(p.amount(amount), Field::Invalid { .. } | Field::Uncomputed(_))) {
            continue;
        }
        let figures: Vec<Figure> = parts.iter().filter_map(|p| p.amount(amount).figure().copied()).collect();
        let whole = Whole { label: parent.label(sink.lang), what: table.amount_label(amount, sink.lang).to_string(), stated };
        judge_parts(sink, Place::List(table, Some(parent)), &whole, &figures, complete);
    }
}

/// A stated whole that 其中 parts break down.
pub struct Whole<'w> {
    pub label: String,
    pub what: String,
    pub stated: &'w Figure,
}

/// A006: parts that exceed their whole, or — a complete breakdown — do not add up to it.
pub fn judge_parts(sink: &mut Sink, place: Place, whole: &Whole, parts: &[Figure], complete: bool) {
    if parts.is_empty() {
        return;
    }
    let sum = SumOf::figures(parts);
    let stated = Interval::of(whole.stated);
    let exceeds = sum.interval.lo > stated.hi;
    if !(exceeds || (complete && !sum.interval.meets(stated))) {
        return;
    }
    let (label, what, count, shown_whole) = (&whole.label, &whole.what, parts.len(), shown(whole.stated));
    let expected = shown_like(sum.point, whole.stated);
    let message = match exceeds {
        true => sink.say(
            format!("{label}{what}为 {shown_whole}，其中 {count} 个分项之和 {expected} 超过了它"),
            format!("{label} {what} is {shown_whole}, but its {count} parts (其中) add up to more: {expected}"),
        ),
        false => sink.say(
            format!("{label}{what}为 {shown_whole}，其中 {count} 个分项（已列至“其他”，应为全部）之和为 {expected}"),
            format!("{label} {what} is {shown_whole}, but its {count} parts (a complete breakdown, down to 其他) add up to {expected}"),
        ),
    };
    sink.at_place("A006", place, Some(whole.stated.cell)).found(shown_whole).expected(expected).inputs(sum.inputs).emit(message);
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_of, TableBuilder};
    use crate::model::RowKind;

    #[test]
    fn a003_fires_on_a_level_row_that_misses_its_projects_and_only_there() {
        let table = TableBuilder::new()
            .level("一、综合办公室", "100.00", "100.00", "90.00", "90.00")
            .project("甲", "60.00", "60.00", "50.00", "83.33")
            .project("乙", "40.00", "40.00", "40.00", "100.00")
            .level("二、城市管理办公室", "30.00", "30.00", "30.00", "100.00")
            .project("丙", "20.00", "20.00", "20.00", "100.00")
            .total("120.00", "120.00", "110.00", "91.67")
            .build();
        let findings = findings_of(&table, "A003");
        assert_eq!(findings.len(), 3, "{findings:?}");
        assert!(findings.iter().all(|f| f.row == Some(5)), "the wrong level row, once per amount");
        assert!(findings_of(&table, "A002").is_empty(), "the total adds the projects, not the level rows");
    }

    #[test]
    fn a006_fires_when_parts_exceed_their_parent_or_miss_a_complete_breakdown() {
        let exceeding = TableBuilder::new()
            .project("宣传经费", "100.00", "100.00", "90.00", "90.00")
            .part("其中：市级资金", "60.00", "60.00", "50.00")
            .part("区级资金", "50.00", "40.00", "40.00")
            .build();
        let findings = findings_of(&exceeding, "A006");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].cell.map(|c| c.to_string()).as_deref(), Some("D2"));
        let incomplete_below = TableBuilder::new()
            .project("宣传经费", "100.00", "100.00", "90.00", "90.00")
            .part("其中：市级资金", "60.00", "60.00", "50.00")
            .build();
        assert!(findings_of(&incomplete_below, "A006").is_empty());
        let complete_short = TableBuilder::new()
            .total("100.00", "100.00", "90.00", "90.00")
            .part("其中：财政拨款", "60.00", "60.00", "50.00")
            .part("其他资金", "35.00", "40.00", "40.00")
            .build();
        let findings = findings_of(&complete_short, "A006");
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].expected.as_deref(), Some("95.00"));
        assert!(complete_short.rows.iter().skip(1).all(|r| r.kind == RowKind::Breakdown));
    }
}
