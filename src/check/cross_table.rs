//! X003–X004: a summary and its parts must agree, within one budget unit (FORMATS.md §1.1, §3).
//!
//! Summaries are 表1-style tables of several departments (their parts: the department tables 表2…表N
//! of the same unit) and consolidated lists with a 单位名称 column (their parts: each unit's own
//! tables). Same-named projects of different units are different projects and are never compared.
//! Each summary is indexed once and each part walks its rows once: the work grows with the rows,
//! not with the pairs of tables.

use std::collections::HashMap;

use crate::check::arithmetic::SumOf;
use crate::model::interval::Interval;
use crate::check::{shown, shown_pair, Sink};
use crate::model::{Amount, Field, ListRow, ListTable, RowKind};
use crate::read::text::squash;
use crate::read::unit::{same_unit, unit_key};

pub fn check(tables: &[ListTable], sink: &mut Sink) {
    if tables.len() < 2 {
        return;
    }
    let shapes: Vec<Shape> = tables.iter().map(Shape::of).collect();
    let department_parts = department_parts_by_unit(tables, &shapes);
    for (at, (summary, shape)) in tables.iter().zip(&shapes).enumerate() {
        let parts: Vec<usize> = match shape {
            Shape::UnitSummary => (0..tables.len()).filter(|i| *i != at && !matches!(shapes[*i], Shape::UnitSummary)).collect(),
            Shape::DepartmentSummary => parts_of_unit(&department_parts, &summary.unit),
            Shape::DepartmentPart(_) | Shape::Plain => continue,
        };
        if parts.is_empty() {
            continue;
        }
        let index = SummaryIndex::new(summary);
        for part_at in parts {
            let part = &tables[part_at];
            let Some(unit) = index.unit_matching(&part.unit) else { continue };
            // A department table is that department's rows of the summary, where the summary has departments.
            let department = match &shapes[part_at] {
                Shape::DepartmentPart(department) if summary.columns.department.is_some() => Some(department.as_str()),
                _ => None,
            };
            let scope = Scope { summary, index: &index, unit, department };
            projects_agree(part, &scope, sink);
            totals_agree(part, &scope, sink);
        }
    }
}

/// What a table is to the others.
enum Shape {
    /// Its rows name their units: a 汇总 or consolidated list.
    UnitSummary,
    /// Projects of several departments of one unit: a 表1.
    DepartmentSummary,
    /// Projects of one department: a 表N, with that department's squashed name.
    DepartmentPart(String),
    Plain,
}

impl Shape {
    fn of(table: &ListTable) -> Shape {
        if table.lists_units() {
            return Shape::UnitSummary;
        }
        let mut departments = table.projects().map(|r| r.department.as_deref().map(squash));
        let Some(Some(first)) = departments.next() else { return Shape::Plain };
        let mut several = false;
        for department in departments {
            match department {
                Some(d) if d == first => {}
                Some(_) => several = true,
                None => return Shape::Plain,
            }
        }
        if several { Shape::DepartmentSummary } else { Shape::DepartmentPart(first.into_owned()) }
    }
}

/// Positions of the department tables, by unit.
fn department_parts_by_unit(tables: &[ListTable], shapes: &[Shape]) -> HashMap<String, Vec<usize>> {
    let mut parts: HashMap<String, Vec<usize>> = HashMap::new();
    for (at, (table, shape)) in tables.iter().zip(shapes).enumerate() {
        if matches!(shape, Shape::DepartmentPart(_)) {
            parts.entry(unit_key(&table.unit).into_owned()).or_default().push(at);
        }
    }
    parts
}

/// The department tables of `unit`, under its own spelling or a longer or shorter one.
fn parts_of_unit(parts: &HashMap<String, Vec<usize>>, unit: &str) -> Vec<usize> {
    let key = unit_key(unit);
    if let Some(exact) = parts.get(key.as_ref()) {
        return exact.clone();
    }
    parts.iter().filter(|(other, _)| same_unit(&key, other)).flat_map(|(_, at)| at.iter().copied()).collect()
}

type NameKey = (String, String);

/// A summary's projects, findable by (unit, name), and its rows by unit and department.
struct SummaryIndex<'a> {
    by_name: HashMap<NameKey, Vec<&'a ListRow>>,
    by_unit: HashMap<String, Vec<&'a ListRow>>,
}

impl<'a> SummaryIndex<'a> {
    fn new(summary: &'a ListTable) -> SummaryIndex<'a> {
        let mut index = SummaryIndex { by_name: HashMap::new(), by_unit: HashMap::new() };
        for row in summary.projects() {
            let unit = unit_key(summary.unit_of(row)).into_owned();
            if let Some(name) = row.project.as_deref() {
                index.by_name.entry((unit.clone(), squash(name).into_owned())).or_default().push(row);
            }
            index.by_unit.entry(unit).or_default().push(row);
        }
        index
    }

    /// The summary's spelling of a part's unit.
    fn unit_matching(&self, part_unit: &str) -> Option<String> {
        let key = unit_key(part_unit);
        if self.by_unit.contains_key(key.as_ref()) {
            return Some(key.into_owned());
        }
        let mut matching = self.by_unit.keys().filter(|unit| same_unit(unit, &key));
        let found = matching.next()?;
        // Two summary units inside one part's name (月坛 and 月坛街道) say nothing for sure.
        matching.next().is_none().then(|| found.clone())
    }

    /// The summary's copy of a part's project: by name within the unit, then by department, then 序号.
    fn twin(&self, unit: &str, row: &ListRow) -> Option<&'a ListRow> {
        let name = squash(row.project.as_deref()?).into_owned();
        let candidates = self.by_name.get(&(unit.to_string(), name))?;
        let department = row.department.as_deref().map(squash);
        if let [only] = candidates.as_slice() {
            let other = only.department.as_deref().map(squash);
            return (department.is_none() || other.is_none() || department == other).then_some(*only);
        }
        let same_department: Vec<&&ListRow> =
            candidates.iter().filter(|c| department.is_some() && c.department.as_deref().map(squash) == department).collect();
        match same_department.as_slice() {
            [only] => Some(**only),
            [] => None,
            several => several.iter().find(|c| c.seq.is_some() && c.seq == row.seq).map(|c| **c),
        }
    }

    /// The summary's project rows of a unit, or of one department of it.
    fn rows_of(&self, unit: &str, department: Option<&str>) -> Vec<&'a ListRow> {
        let rows = self.by_unit.get(unit).map(Vec::as_slice).unwrap_or_default();
        match department {
            None => rows.to_vec(),
            Some(d) => rows.iter().filter(|r| r.department.as_deref().map(squash).as_deref() == Some(d)).copied().collect(),
        }
    }
}

/// One summary seen from one of its parts.
struct Scope<'s, 'a> {
    summary: &'a ListTable,
    index: &'s SummaryIndex<'a>,
    /// The summary's spelling of the part's unit.
    unit: String,
    /// The part's one department, for a department table.
    department: Option<&'s str>,
}

/// X003: each figure of a part's project that its copy in the summary contradicts; reported at the part.
fn projects_agree(part: &ListTable, scope: &Scope, sink: &mut Sink) {
    for row in part.projects() {
        let Some(twin) = scope.index.twin(&scope.unit, row) else { continue };
        let pairs = Amount::ALL.map(|a| (a.label(sink.lang), "", row.amount(a), twin.amount(a)));
        let ratio_label = sink.lang.pick("预算支出比例", "ratio");
        for (what, suffix, here, there) in pairs.into_iter().chain([(ratio_label, "%", &row.ratio, &twin.ratio)]) {
            differs(part, row, scope.summary, (what, suffix), here, there, sink);
        }
    }
}

/// `what`: the figure's name and the suffix it is shown with (`%` for a ratio).
fn differs(part: &ListTable, row: &ListRow, summary: &ListTable, what: (&str, &str), here: &Field, there: &Field, sink: &mut Sink) {
    let (Some(a), Some(b)) = (here.figure(), there.figure()) else { return };
    if Interval::of(a).meets(Interval::of(b)) {
        return;
    }
    let label = row.label(sink.lang);
    let (this, other) = (part.label(), summary.label());
    let (what, suffix) = what;
    let (a_shown, b_shown) = shown_pair(a, b);
    let (ours, theirs) = (format!("{a_shown}{suffix}"), format!("{b_shown}{suffix}"));
    let message = sink.say(
        format!("{label}：{this} {what}为 {ours}，{other}（{}）为 {theirs}", b.cell),
        format!("{label}: {what} is {ours} in {this} but {theirs} in {other} ({})", b.cell),
    );
    sink.at("X003", part, Some(row), Some(a.cell))
        .found(ours)
        .expected(theirs)
        .inputs(format!("{other}!{}", b.cell))
        .emit(message);
}

/// X004: a part's 合计 against the sum of its rows in the summary.
fn totals_agree(part: &ListTable, scope: &Scope, sink: &mut Sink) {
    let totals: Vec<&ListRow> = part.rows.iter().filter(|r| r.kind == RowKind::Total).collect();
    if totals.is_empty() {
        return;
    }
    let rows = scope.index.rows_of(&scope.unit, scope.department);
    if rows.is_empty() {
        return;
    }
    let whose = scope.department.map_or_else(|| scope.unit.clone(), str::to_string);
    for total in totals {
        total_against(part, total, scope.summary, &rows, &whose, sink);
    }
}

fn total_against(part: &ListTable, total: &ListRow, summary: &ListTable, rows: &[&ListRow], whose: &str, sink: &mut Sink) {
    for amount in Amount::ALL {
        let Some(stated) = total.amount(amount).figure() else { continue };
        let Some(sum) = SumOf::rows(rows, amount) else { continue };
        if sum.interval.meets(Interval::of(stated)) {
            continue;
        }
        let expected = crate::check::shown_like(sum.point, stated);
        let (what, this, other, count) = (amount.label(sink.lang), part.label(), summary.label(), rows.len());
        let message = sink.say(
            format!("{this}合计{what}为 {}，{other}中{whose}的 {count} 项之和为 {expected}", shown(stated)),
            format!("{this} total {what} is {}, but {whose}'s {count} rows in {other} add up to {expected}", shown(stated)),
        );
        sink.at("X004", part, Some(total), Some(stated.cell))
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

    #[test]
    fn tables_of_different_units_are_never_compared() {
        let mut other_unit = department_table("76.00", "86.00");
        other_unit.unit = "展览路街道".into();
        let workbook = workbook_of(vec![summary("67.00"), other_unit]);
        assert!(findings_in(&workbook, "X003", &Settings::default()).is_empty());
        assert!(findings_in(&workbook, "X004", &Settings::default()).is_empty());
    }

    #[test]
    fn two_summaries_of_one_unit_are_not_compared_with_each_other() {
        // Two years side by side, or 附件1 beside 表1: neither summarises the other.
        let workbook = workbook_of(vec![summary("67.00"), summary("76.00")]);
        assert!(findings_in(&workbook, "X003", &Settings::default()).is_empty());
    }

    #[test]
    fn a_consolidated_list_is_compared_with_each_units_own_table_by_unit() {
        let consolidated = TableBuilder::named("汇总", "汇总")
            .unit_project("月坛街道", "公用经费", "100.00", "100.00", "90.00", "90.00")
            .unit_project("展览路街道", "公用经费", "200.00", "200.00", "150.00", "75.00")
            .build();
        let mut yuetan = TableBuilder::named("月坛", "月坛街道").project("公用经费", "100.00", "100.00", "95.00", "95.00").total("100.00", "100.00", "95.00", "95.00").build();
        yuetan.unit = "北京市西城区人民政府月坛街道办事处".into();
        let mut zhanlanlu = TableBuilder::named("展览路", "展览路街道").project("公用经费", "200.00", "200.00", "150.00", "75.00").build();
        zhanlanlu.unit = "展览路街道".into();
        let workbook = workbook_of(vec![consolidated, yuetan, zhanlanlu]);
        let x003: Vec<(String, String)> = findings_in(&workbook, "X003", &Settings::default())
            .into_iter()
            .map(|f| (f.sheet, f.cell.map(|c| c.to_string()).unwrap_or_default()))
            .collect();
        assert_eq!(x003, vec![("月坛街道".to_string(), "F2".to_string()), ("月坛街道".to_string(), "G2".to_string())]);
        let x004 = findings_in(&workbook, "X004", &Settings::default());
        assert_eq!(x004.len(), 1);
        assert_eq!(x004[0].expected.as_deref(), Some("90.00"));
    }
}
