//! X003–X004: tables of one workbook that must agree (the report's 表1 summary and its 表2…表N).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::check::arithmetic::SumOf;
use crate::check::interval::Interval;
use crate::check::{shown, Sink};
use crate::model::{Amount, Field, ListRow, ListTable, RowKind};
use crate::read::text::squash;

pub fn check(tables: &[ListTable], sink: &mut Sink) {
    if tables.len() < 2 {
        return;
    }
    for (i, earlier) in tables.iter().enumerate() {
        for later in &tables[i + 1..] {
            projects_agree(earlier, later, sink);
        }
    }
    department_totals_agree(tables, sink);
}

/// Projects of a table, findable by department and name, or by name alone when it is unique.
struct ProjectIndex<'a> {
    by_department: HashMap<(String, String), &'a ListRow>,
    by_name: HashMap<String, Vec<&'a ListRow>>,
}

impl<'a> ProjectIndex<'a> {
    fn new(table: &'a ListTable) -> ProjectIndex<'a> {
        let mut index = ProjectIndex { by_department: HashMap::new(), by_name: HashMap::new() };
        for row in table.projects() {
            let Some(name) = row.project.as_deref().map(|p| squash(p).into_owned()) else { continue };
            if let Some(dept) = row.department.as_deref() {
                index.by_department.entry((squash(dept).into_owned(), name.clone())).or_insert(row);
            }
            index.by_name.entry(name).or_default().push(row);
        }
        index
    }

    fn find(&self, row: &ListRow) -> Option<&'a ListRow> {
        let name = squash(row.project.as_deref()?).into_owned();
        if let Some(dept) = row.department.as_deref() {
            if let Some(found) = self.by_department.get(&(squash(dept).into_owned(), name.clone())) {
                return Some(found);
            }
        }
        match self.by_name.get(&name).map(Vec::as_slice) {
            Some([only]) if only.department.is_none() || row.department.is_none() => Some(only),
            _ => None,
        }
    }
}

/// X003: a project in two tables with figures no rounding reconciles; reported in the later table.
fn projects_agree(earlier: &ListTable, later: &ListTable, sink: &mut Sink) {
    let index = ProjectIndex::new(earlier);
    for row in later.projects() {
        let Some(twin) = index.find(row) else { continue };
        let pairs = Amount::ALL.map(|a| (a.label(sink.lang), row.amount(a), twin.amount(a)));
        let ratio_label = sink.lang.pick("预算支出比例", "ratio");
        for (what, here, there) in pairs.into_iter().chain([(ratio_label, &row.ratio, &twin.ratio)]) {
            differs(later, row, earlier, what, here, there, sink);
        }
    }
}

fn differs(later: &ListTable, row: &ListRow, earlier: &ListTable, what: &str, here: &Field, there: &Field, sink: &mut Sink) {
    let (Some(a), Some(b)) = (here.figure(), there.figure()) else { return };
    if Interval::of(a).meets(Interval::of(b)) {
        return;
    }
    let label = row.label(sink.lang);
    let (this, other) = (later.label(), earlier.label());
    let message = sink.say(
        format!("{label}：{this} {what}为 {}，{other}（{}）为 {}", shown(a), b.cell, shown(b)),
        format!("{label}: {what} is {} in {this} but {} in {other} ({})", shown(a), shown(b), b.cell),
    );
    sink.at("X003", later, Some(row), Some(a.cell))
        .found(shown(a))
        .expected(shown(b))
        .inputs(format!("{other}!{}", b.cell))
        .emit(message);
}

/// The one department all project rows of a table belong to.
fn sole_department(table: &ListTable) -> Option<String> {
    let mut departments = table.projects().map(|r| r.department.as_deref().map(squash));
    let first = departments.next()??;
    departments.all(|d| d.as_deref() == Some(&*first)).then(|| first.into_owned())
}

fn is_summary(table: &ListTable) -> bool {
    let mut departments: Vec<Cow<str>> = table.projects().filter_map(|r| r.department.as_deref().map(squash)).collect();
    departments.sort_unstable();
    departments.dedup();
    departments.len() >= 2
}

/// X004: a department table's 合计 against the sum of that department's rows in each summary table.
fn department_totals_agree(tables: &[ListTable], sink: &mut Sink) {
    let summaries: Vec<&ListTable> = tables.iter().filter(|t| is_summary(t)).collect();
    for table in tables.iter().filter(|t| !is_summary(t)) {
        let Some(department) = sole_department(table) else { continue };
        for total in table.rows.iter().filter(|r| r.kind == RowKind::Total) {
            for summary in &summaries {
                let rows: Vec<&ListRow> =
                    summary.projects().filter(|r| r.department.as_deref().map(squash).as_deref() == Some(department.as_str())).collect();
                if !rows.is_empty() {
                    total_against(table, total, summary, &rows, &department, sink);
                }
            }
        }
    }
}

fn total_against(table: &ListTable, total: &ListRow, summary: &ListTable, rows: &[&ListRow], department: &str, sink: &mut Sink) {
    for amount in Amount::ALL {
        let Some(stated) = total.amount(amount).figure() else { continue };
        let Some(sum) = SumOf::rows(rows, amount) else { continue };
        if sum.interval.meets(Interval::of(stated)) {
            continue;
        }
        let expected = crate::check::shown_like(sum.point, stated);
        let (what, this, other, count) = (amount.label(sink.lang), table.label(), summary.label(), rows.len());
        let message = sink.say(
            format!("{this}合计{what}为 {}，{other}中{department}的 {count} 项之和为 {expected}", shown(stated)),
            format!("{this} total {what} is {}, but {department}'s {count} rows in {other} add up to {expected}", shown(stated)),
        );
        sink.at("X004", table, Some(total), Some(stated.cell))
            .found(shown(stated))
            .expected(expected)
            .inputs(format!("{other}: {}", sum.inputs))
            .emit(message);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::testing::{findings_in, workbook_of, TableBuilder};
    use crate::settings::Settings;

    fn summary(actual_b: &str) -> crate::model::ListTable {
        TableBuilder::named("表1", "表1")
            .dept_project("综合办公室", "城市体检项目经费", "80.00", "12.70", "12.70", "100.00")
            .dept_project("党群工作办公室", "宣传经费", "146.00", "110.40", actual_b, "60.69")
            .dept_project("党群工作办公室", "宣传经费二", "10.00", "10.00", "10.00", "100.00")
            .total("236.00", "133.10", "89.70", "67.39")
            .build()
    }

    fn department_table(actual: &str, total_actual: &str) -> crate::model::ListTable {
        TableBuilder::named("表4", "表4")
            .dept_project("党群工作\n办公室", "宣传经费", "146.00", "110.40", actual, "60.69")
            .dept_project("党群工作办公室", "宣传经费二", "10.00", "10.00", "10.00", "100.00")
            .total("156.00", "120.40", total_actual, "")
            .build()
    }

    #[test]
    fn x003_fires_when_a_project_differs_between_tables() {
        let workbook = workbook_of(vec![summary("67.00"), department_table("76.00", "86.00")]);
        let findings = findings_in(&workbook, "X003", &Settings::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].table.as_deref(), Some("表4"));
        assert_eq!((findings[0].found.as_deref(), findings[0].expected.as_deref()), (Some("76.00"), Some("67.00")));
    }

    #[test]
    fn x003_and_x004_are_silent_when_the_tables_agree() {
        let workbook = workbook_of(vec![summary("67.00"), department_table("67.00", "77.00")]);
        assert!(findings_in(&workbook, "X003", &Settings::default()).is_empty());
        assert!(findings_in(&workbook, "X004", &Settings::default()).is_empty());
    }

    #[test]
    fn x004_fires_when_a_department_total_misses_the_summary_rows() {
        let workbook = workbook_of(vec![summary("67.00"), department_table("67.00", "87.00")]);
        let findings = findings_in(&workbook, "X004", &Settings::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].expected.as_deref(), Some("77.00"));
        assert_eq!(findings[0].found.as_deref(), Some("87.00"));
    }
}
