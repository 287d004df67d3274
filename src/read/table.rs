//! From a grid to typed tables: where each table starts and ends, what each row is, and its figures.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use compact_str::CompactString;
use rust_decimal::Decimal;

use crate::model::{AmountColumn, CellRef, Field, Figure, ListRow, ListTable, MoneyUnit, RowKind};
use crate::read::grid::{Grid, GridCell, SheetRows, Value};
use crate::read::header::{headers_at, headers_within, unit_named, Header};
use crate::read::hierarchy::{settle_structure, strip_ordinal, RowShape};
use crate::read::text::{decimal_from_f64, parse_figure_text, squash, TextFigure};
use crate::read::unit::{sheet_names_unit, stated_unit_name};

/// Every 附件1-shaped table on the sheet, stacked or side by side, numbered from `first_index`.
/// A table under no 单位名称 line of its own belongs to the unit of the table above it, else to a
/// unit the sheet's name names; else its `unit` is left empty for the workbook to settle.
/// Rows inside `forms` (the regions of forms on the sheet) hold no list.
pub fn tables_in(grid: &Grid, first_index: usize, forms: &[Range<u32>]) -> Vec<ListTable> {
    let mut grid = grid;
    plan_tables(grid, first_index, forms).into_iter().map(|plan| plan.into_table(&mut grid)).collect()
}

/// [`tables_in`] as far as deciding what every row is and how every column reads: the rows themselves
/// are made by [`TablePlan::into_table`], once every table of the sheet is planned.
pub(crate) fn plan_tables(grid: &Grid, first_index: usize, forms: &[Range<u32>]) -> Vec<TablePlan> {
    let mut tables: Vec<TablePlan> = Vec::new();
    let mut floor = 0;
    let mut row = 0;
    let sheet_unit = sheet_names_unit(&grid.name);
    while row < grid.height() {
        if let Some(form) = forms.iter().find(|f| f.contains(&row)) {
            row = form.end;
            floor = form.end;
            continue;
        }
        let mut headers = headers_at(grid, row);
        if headers.is_empty() {
            row += 1;
            continue;
        }
        // Beside a table whose header is a row taller (or shorter), a table's own header starts a row
        // lower: its merged cells show their texts there too.
        let beside: Vec<Header> = gaps_beside(&headers).into_iter().flat_map(|cols| headers_within(grid, row + 1, cols)).collect();
        headers.extend(beside);
        // Numbered left to right, as they are read.
        headers.sort_by_key(|h| h.band.0);
        let mut end = row + 1;
        for header in headers {
            let above = tables.last().map(|t| t.table.unit.clone()).filter(|u| !u.is_empty()).or_else(|| sheet_unit.clone());
            let table = plan_table(grid, header, floor, first_index + tables.len(), above);
            end = end.max(table.end);
            tables.push(table);
        }
        floor = end;
        row = end;
    }
    tables
}

/// The column ranges (first to last + 1) no header of `headers` spans.
fn gaps_beside(headers: &[Header]) -> Vec<(u32, u32)> {
    let mut bands: Vec<(u32, u32)> = headers.iter().map(|h| h.band).collect();
    bands.sort_unstable();
    let mut gaps = Vec::new();
    let mut from = 0;
    for (start, end) in bands {
        if start > from {
            gaps.push((from, start));
        }
        from = from.max(end);
    }
    if from < u32::MAX {
        gaps.push((from, u32::MAX));
    }
    gaps
}

/// A table whose header, unit and body rows are known, and how each of its figure columns reads;
/// its rows are made from the sheet by [`TablePlan::into_table`].
pub(crate) struct TablePlan {
    /// The table without its rows.
    table: ListTable,
    header: Header,
    body: Vec<Planned>,
    shapes: Vec<RowShape>,
    /// The figure columns of every row: the core four and the amounts the header names.
    figures: Vec<(FigureSlot, u32, Settler)>,
    /// Extra columns that may turn out to hold amounts (decided once the projects are known).
    candidates: Vec<Candidate>,
    /// First row after the table's last row.
    end: u32,
}

/// A body row before its cells are read: where it is and what it was first seen as.
#[derive(Clone, Copy)]
struct Planned {
    row: u32,
    kind: RowKind,
}

/// Which of a row's figure slots a column fills.
#[derive(Clone, Copy)]
enum FigureSlot {
    BudgetInitial,
    BudgetAdjusted,
    Actual,
    Ratio,
    ExtraAmount,
}

/// An extra column whose project cells may all be amounts (FORMATS.md §1.2): the rows' figures and
/// what each cell says of that, kept until the projects are known.
struct Candidate {
    col: u32,
    settler: Settler,
    fields: Vec<Field>,
    looks: Vec<AmountLook>,
}

/// What one cell says of whether its column holds amounts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AmountLook {
    Nothing,
    Number,
    NotAnAmount,
}

fn plan_table(grid: &Grid, header: Header, floor: u32, index: usize, inherited_unit: Option<String>) -> TablePlan {
    let above = Lines { rows: floor..header.first_row, band: header.band };
    let source_unit = above.find(|cols| stated_money_unit(grid, above.rows.clone(), cols)).or(header.unit).unwrap_or_default();
    let unit = above.find(|cols| stated_unit_name(grid, above.rows.clone(), cols)).or(inherited_unit).unwrap_or_default();
    let title = above.find(|cols| title_above(grid, above.rows.clone(), cols));
    let (body, shapes, end) = plan_body(grid, &header);
    let cells = |col: u32| -> Vec<CellRef> { body.iter().map(|p| CellRef::new(p.row, col)).collect() };
    let c = &header.columns;
    let core = [(c.budget_initial, FigureSlot::BudgetInitial), (c.budget_adjusted, FigureSlot::BudgetAdjusted), (c.actual, FigureSlot::Actual)];
    let mut figures: Vec<(FigureSlot, u32, Settler)> = core
        .into_iter()
        .filter_map(|(col, slot)| col.map(|col| (slot, col, Settler::amounts(Column { grid, cells: &cells(col) }, source_unit))))
        .collect();
    figures.extend(c.ratio.map(|col| (FigureSlot::Ratio, col, Settler::ratios(Column { grid, cells: &cells(col) }))));
    figures.extend(c.extra_amounts.iter().map(|a| (FigureSlot::ExtraAmount, a.col, Settler::amounts(Column { grid, cells: &cells(a.col) }, source_unit))));
    let candidates = header
        .extras
        .iter()
        .filter(|extra| !names_no_amount(&extra.header) && may_hold_amounts(grid, &body, extra.col))
        .map(|extra| Candidate {
            col: extra.col,
            settler: Settler::amounts(Column { grid, cells: &cells(extra.col) }, source_unit),
            fields: Vec::with_capacity(body.len()),
            looks: Vec::with_capacity(body.len()),
        })
        .collect();
    let table = ListTable {
        sheet: grid.name.clone(),
        index,
        title,
        header_rows: (header.first_row, header.last_row),
        columns: header.columns.clone(),
        extras: header.extras.clone(),
        source_unit,
        unit,
        rows: Vec::new(),
    };
    TablePlan { table, header, body, shapes, figures, candidates, end }
}

impl TablePlan {
    /// The rows a table spans, header to last row.
    pub(crate) fn rows(&self) -> Range<u32> {
        self.header.first_row..self.end
    }

    /// The table with its rows, read from `sheet` in order (each row handed back to it once read).
    pub(crate) fn into_table(mut self, sheet: &mut impl SheetRows) -> ListTable {
        let mut rows = Vec::with_capacity(self.body.len());
        for extra in &mut self.table.extras {
            extra.values.reserve_exact(self.body.len());
        }
        let mut carried = Carried::default();
        if sheet.keeps_rows() && self.body.len() >= ROWS_READ_IN_HALVES {
            // The cells of a row are read on either core; the labels carried down the rows, in order.
            let grid = sheet.grid();
            let (top, bottom) = self.body.split_at(self.body.len() / 2);
            let (bottom, top) = crate::parallel::both(|| self.read_rows(grid, bottom), || self.read_rows(grid, top));
            for read in top.into_iter().chain(bottom) {
                rows.push(self.settle_row(read, &mut carried));
            }
        } else {
            for at in 0..self.body.len() {
                let planned = self.body[at];
                let read = self.read_row(sheet.grid(), planned);
                rows.push(self.settle_row(read, &mut carried));
                sheet.done_with(planned.row);
            }
        }
        settle_structure(&mut rows, &self.shapes, self.header.columns.department.is_none());
        self.table.rows = rows;
        place_numeric_extras(&mut self.table, self.candidates);
        self.table
    }

    fn read_rows<'g>(&self, grid: &'g Grid, body: &[Planned]) -> Vec<RowRead<'g>> {
        body.iter().map(|planned| self.read_row(grid, *planned)).collect()
    }

    /// Row `row` as its cells tell it, without what the rows above it carry down.
    fn read_row<'g>(&self, grid: &'g Grid, Planned { row, kind }: Planned) -> RowRead<'g> {
        let columns = &self.header.columns;
        let mut list_row = ListRow {
            kind,
            row,
            seq: columns.seq.filter(|_| kind == RowKind::Project).and_then(|col| label_text(grid.cell(row, col))).map(CompactString::from),
            unit: None,
            department: None,
            project: columns.project.filter(|_| kind == RowKind::Project).and_then(|col| label_text(grid.cell(row, col))).map(CompactString::from),
            budget_initial: Field::Absent,
            budget_adjusted: Field::Absent,
            actual: Field::Absent,
            ratio: Field::Absent,
            extra_amounts: Vec::with_capacity(columns.extra_amounts.len()),
            level: None,
            parent_row: None,
        };
        for (slot, col, settler) in &self.figures {
            let at = CellRef::new(row, *col);
            let field = settler.settle(raw_field(grid.cell(row, *col), at));
            match slot {
                FigureSlot::BudgetInitial => list_row.budget_initial = field,
                FigureSlot::BudgetAdjusted => list_row.budget_adjusted = field,
                FigureSlot::Actual => list_row.actual = field,
                FigureSlot::Ratio => list_row.ratio = field,
                FigureSlot::ExtraAmount => list_row.extra_amounts.push(field),
            }
        }
        RowRead {
            list_row,
            unit: written_label(grid, columns.unit, row),
            department: written_label(grid, columns.department, row),
            extras: self.table.extras.iter().map(|extra| grid.cell(row, extra.col).value.display().map(|t| CompactString::from(t.trim()))).collect(),
            candidates: self.candidates.iter().map(|candidate| candidate.read(grid, row)).collect(),
        }
    }

    /// The row with the labels carried down to it; its extra columns' cells kept with the table's.
    fn settle_row(&mut self, read: RowRead<'_>, carried: &mut Carried) -> ListRow {
        let RowRead { mut list_row, unit, department, extras, candidates } = read;
        list_row.unit = carried_label(unit.as_deref(), list_row.kind, &mut carried.unit);
        list_row.department = carried_label(department.as_deref(), list_row.kind, &mut carried.department);
        for (extra, value) in self.table.extras.iter_mut().zip(extras) {
            extra.values.push(value);
        }
        for (candidate, (field, look)) in self.candidates.iter_mut().zip(candidates) {
            candidate.fields.push(field);
            candidate.looks.push(look);
        }
        list_row
    }
}

/// Lists shorter than this are read on one core: a thread costs about what a few hundred rows do.
const ROWS_READ_IN_HALVES: usize = 2_000;

/// A row read from its cells alone: its department and unit as written in it (or shown there by a
/// merge), not yet carried down from the rows above.
struct RowRead<'g> {
    list_row: ListRow,
    unit: Option<Cow<'g, str>>,
    department: Option<Cow<'g, str>>,
    extras: Vec<Option<CompactString>>,
    candidates: Vec<(Field, AmountLook)>,
}

/// The department and unit written once and carried down the rows below.
#[derive(Default)]
struct Carried {
    department: Option<Arc<str>>,
    unit: Option<Arc<str>>,
}

impl Candidate {
    fn read(&self, grid: &Grid, row: u32) -> (Field, AmountLook) {
        let cell = grid.cell(row, self.col);
        (self.settler.settle(raw_field(cell, CellRef::new(row, self.col))), amount_look(cell))
    }
}

/// A column the header does not name, holding numbers on every project row that fills it, is an
/// amount all the same (FORMATS.md §1.2): summed and checked like the others, and named
/// `unplaced_<header>` in the frames so that nobody mistakes it for a known one.
fn place_numeric_extras(table: &mut ListTable, candidates: Vec<Candidate>) {
    for candidate in candidates {
        let projects = table.rows.iter().zip(&candidate.looks).filter(|(row, _)| row.kind == RowKind::Project).map(|(_, look)| *look);
        if !holds_amounts(projects) {
            continue;
        }
        let Some(at) = table.extras.iter().position(|e| e.col == candidate.col) else { continue };
        let extra = table.extras.remove(at);
        for (row, field) in table.rows.iter_mut().zip(candidate.fields) {
            row.extra_amounts.push(field);
        }
        let name = format!("unplaced_{}", extra.header);
        table.columns.extra_amounts.push(AmountColumn { name, header: extra.header, col: candidate.col, derived: None });
    }
}

/// Headers of columns whose numbers are codes, dates or counts of something else, never money.
fn names_no_amount(header: &str) -> bool {
    ["编码", "代码", "编号", "号码", "电话", "日期", "时间", "年度", "年份", "序", "分值", "得分", "人数", "次数"].iter().any(|w| header.contains(w))
}

/// Numbers (or numbers typed as text) in every filled project cell of the column, at least two of them.
fn holds_amounts(projects: impl Iterator<Item = AmountLook>) -> bool {
    let mut numbers = 0;
    for look in projects {
        match look {
            AmountLook::Nothing => {}
            AmountLook::Number => numbers += 1,
            AmountLook::NotAnAmount => return false,
        }
    }
    numbers >= 2
}

/// Whether the column can hold amounts at all: two numbers among the rows first seen as projects (the
/// projects in the end are some of them).
fn may_hold_amounts(grid: &Grid, body: &[Planned], col: u32) -> bool {
    body.iter().filter(|p| p.kind == RowKind::Project).filter(|p| amount_look(grid.cell(p.row, col)) == AmountLook::Number).nth(1).is_some()
}

fn amount_look(cell: &GridCell) -> AmountLook {
    match &cell.value {
        Value::Empty => AmountLook::Nothing,
        Value::Number(_) => AmountLook::Number,
        Value::Text(text) => match parse_figure_text(text) {
            TextFigure::Number { percent: false, .. } => AmountLook::Number,
            TextFigure::Blank | TextFigure::Dash => AmountLook::Nothing,
            _ => AmountLook::NotAnAmount,
        },
        _ => AmountLook::NotAnAmount,
    }
}

/// The lines above a table: its own columns first (side-by-side tables have a title each), then
/// the whole width (a unit line across both).
struct Lines {
    rows: Range<u32>,
    band: (u32, u32),
}

impl Lines {
    fn find<T>(&self, look: impl Fn(Range<u32>) -> Option<T>) -> Option<T> {
        look(self.band.0..self.band.1).or_else(|| look(0..u32::MAX))
    }
}

/// `单位：万元` / `金额单位：元` in the lines above the header.
fn stated_money_unit(grid: &Grid, rows: Range<u32>, cols: Range<u32>) -> Option<MoneyUnit> {
    rows.rev().find_map(|row| {
        (cols.start..cols.end.min(grid.width(row))).find_map(|col| {
            let text = squash(&grid.cell(row, col).value.display()?).into_owned();
            text.match_indices("单位:").find_map(|(at, marker)| {
                let after: String = text[at + marker.len()..].chars().take(3).collect();
                unit_named(&after)
            })
        })
    })
}

/// The nearest text line above the header that names a table (`表1 …`, `…清单`, `…情况表`).
fn title_above(grid: &Grid, rows: Range<u32>, cols: Range<u32>) -> Option<String> {
    let texts = rows
        .rev()
        .flat_map(|row| (cols.start..cols.end.min(grid.width(row))).filter_map(move |col| grid.cell(row, col).value.display()));
    let lines: Vec<String> = texts.map(|t| t.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    let names_table = |t: &String| {
        let s = squash(t);
        (s.starts_with('表') && s.chars().nth(1).is_some_and(|c| c.is_ascii_digit()))
            || s.contains("清单")
            || s.ends_with('表')
    };
    lines.iter().find(|t| names_table(t)).cloned()
}

/// The body below a header: which rows belong to it and what each was first seen as, their shapes,
/// and the first row after it.
fn plan_body(grid: &Grid, header: &Header) -> (Vec<Planned>, Vec<RowShape>, u32) {
    let label_cols = header.label_columns();
    let band = header.band.0..header.band.1;
    let mut body = Vec::new();
    let mut shapes: Vec<RowShape> = Vec::new();
    let mut closing = false;
    let mut seen_project = false;
    let mut end = header.last_row + 1;
    let mut row = header.last_row + 1;
    while row < grid.height() {
        if is_row_empty(grid, row, &band) {
            row += 1;
            continue;
        }
        if is_footer(grid, row, &band) || (!has_number(grid, row, &band) && !headers_within(grid, row, header.band).is_empty()) {
            break;
        }
        let kind = classify(grid, row, &label_cols);
        let project = header.columns.project.and_then(|col| label_text(grid.cell(row, col)));
        let shape = shape_of(grid, header, row, project.as_deref());
        // After the closing 合计 only its own breakdown (其中：财政拨款 …) still belongs to the table.
        if closing && !(kind.is_none() && (shape.breakdown_head || shape.continues_breakdown)) {
            break;
        }
        // Figures are read only for a row that could be a stray note: most rows name their project.
        let no_figures = || figure_columns(header).all(|col| matches!(raw_field(grid.cell(row, col), CellRef::new(row, col)), RawField::Blank(_)));
        if kind.is_none() && project.is_none() && no_figures() {
            row += 1;
            continue;
        }
        let kind = kind.unwrap_or(RowKind::Project);
        body.push(Planned { row, kind });
        shapes.push(shape);
        row += 1;
        end = row;
        seen_project |= kind == RowKind::Project;
        closing |= kind == RowKind::Total && seen_project;
    }
    (body, shapes, end)
}

/// The numbering, breakdown and group marks of a row, from its 序号 and its label.
fn shape_of(grid: &Grid, header: &Header, row: u32, project: Option<&str>) -> RowShape {
    let text_of = |col: Option<u32>| col.and_then(|c| grid.cell(row, c).value.display());
    // A number in the 序号 column numbers a project; only its presence matters, so it is not formatted.
    let seq = match header.columns.seq.map(|c| &grid.cell(row, c).value) {
        Some(Value::Number(_)) => Some(Cow::Borrowed("1")),
        _ => text_of(header.columns.seq),
    };
    let department = text_of(header.columns.department);
    let label = project.map(Cow::Borrowed).or(department);
    let raw_label = text_of(header.columns.project);
    let indented = raw_label.as_deref().is_some_and(|t| t.starts_with([' ', '\u{3000}', '\t']));
    RowShape::of(seq.as_deref().map(str::trim).filter(|s| !s.is_empty()), label.as_deref(), indented)
}

/// `None` for a row that is neither 合计 nor 小计 (a project, if it has content).
fn classify(grid: &Grid, row: u32, label_cols: &[u32]) -> Option<RowKind> {
    let mut labels = label_cols.iter().filter_map(|col| match &grid.cell(row, *col).value {
        Value::Text(text) if text.contains(['计', '計']) => Some(squash(text)),
        _ => None,
    });
    // Only texts holding 计 get this far, so the common project row allocates nothing.
    labels.find_map(|t| {
        if t.starts_with("合计") || t.starts_with("总计") || t == "总合计" {
            Some(RowKind::Total)
        } else if t.contains("小计") {
            Some(RowKind::Subtotal)
        } else {
            None
        }
    })
}

/// The department (or unit) a row writes in column `col` (or a merge shows there), without the
/// numbering a level row writes before it (`一、综合办公室`).
fn written_label(grid: &Grid, col: Option<u32>, row: u32) -> Option<Cow<'_, str>> {
    let squashed = kept_borrowed(label_text(grid.visible(row, col?))?, squash);
    Some(kept_borrowed(squashed, |text| Cow::Borrowed(strip_ordinal(text))))
}

/// `edit` applied to `text`, borrowing from the cell as long as both do.
fn kept_borrowed<'a>(text: Cow<'a, str>, edit: impl Fn(&str) -> Cow<'_, str>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(text) => edit(text),
        Cow::Owned(text) => Cow::Owned(edit(&text).into_owned()),
    }
}

/// The department (or unit) of a row: merged down, written once and left blank below, or repeated.
/// The rows carrying one label share it.
fn carried_label(written: Option<&str>, kind: RowKind, current: &mut Option<Arc<str>>) -> Option<Arc<str>> {
    match kind {
        RowKind::Total => None,
        RowKind::Subtotal => {
            let named = written.map(|t| t.replace("小计", "")).filter(|t| !t.is_empty());
            named.map(Arc::from).or_else(|| current.clone())
        }
        _ => {
            // Most rows repeat the label above: it is compared before it is copied.
            if let Some(name) = written.filter(|t| !t.is_empty() && current.as_deref() != Some(*t)) {
                *current = Some(Arc::from(name));
            }
            current.clone()
        }
    }
}

fn label_text(cell: &GridCell) -> Option<Cow<'_, str>> {
    let label = kept_borrowed(cell.value.display()?, |text| without_line_breaks(text.trim()));
    (!label.is_empty()).then_some(label)
}

fn without_line_breaks(text: &str) -> Cow<'_, str> {
    match text.contains(['\n', '\r']) {
        true => Cow::Owned(text.chars().filter(|c| *c != '\n' && *c != '\r').collect()),
        false => Cow::Borrowed(text),
    }
}

const FOOTER_MARKS: &[&str] =
    &["填报人", "填表人", "制表人", "联系电话", "填报日期", "审核人", "单位负责人", "财务负责人", "注:", "说明:"];

/// Whether `c` is the first character of one of [`FOOTER_MARKS`]: every cell of every row is asked.
fn may_start_footer(c: char) -> bool {
    matches!(c, '填' | '制' | '联' | '审' | '单' | '财' | '注' | '说')
}

fn is_footer(grid: &Grid, row: u32, band: &Range<u32>) -> bool {
    (band.start..band.end.min(grid.width(row))).any(|col| {
        let GridCell { value: Value::Text(text), .. } = grid.cell(row, col) else { return false };
        let first = text.trim_start().chars().next().map(crate::read::text::to_half_width);
        // Squash only texts that start like a footer mark.
        first.is_some_and(may_start_footer) && FOOTER_MARKS.iter().any(|mark| squash(text).starts_with(mark))
    })
}

fn has_number(grid: &Grid, row: u32, band: &Range<u32>) -> bool {
    (band.start..band.end.min(grid.width(row))).any(|col| matches!(grid.cell(row, col).value, Value::Number(_)))
}

fn is_row_empty(grid: &Grid, row: u32, band: &Range<u32>) -> bool {
    (band.start..band.end.min(grid.width(row))).all(|col| grid.cell(row, col).value.is_empty())
}

/// A figure cell before the column's precision and the ratio's form are known.
#[derive(Debug, Clone)]
enum RawField {
    Blank(CellRef),
    Dash(CellRef),
    Invalid { cell: CellRef, text: String, beyond_range: bool },
    Uncomputed(CellRef),
    Number(RawNumber),
}

#[derive(Debug, Clone)]
struct RawNumber {
    value: Decimal,
    cell: CellRef,
    /// Decimals stated by a number format or by the written text.
    stated_decimals: Option<u32>,
    /// Decimals of the stored value's shortest form (what General shows).
    shown_decimals: u32,
    /// Known to be a percentage: a `%` format (value is a fraction) or a `%` in the text (value is percent).
    percent: Option<PercentForm>,
    as_text: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PercentForm {
    Fraction,
    Percent,
}

/// The columns of a table that hold figures: its four, as far as it has them, then its other amounts.
fn figure_columns(header: &Header) -> impl Iterator<Item = u32> + '_ {
    let c = &header.columns;
    [c.budget_initial, c.budget_adjusted, c.actual, c.ratio].into_iter().flatten().chain(c.extra_amounts.iter().map(|a| a.col))
}

/// No budget figure comes near this, in 元 or in 万元 (10^15 元 is several times China's yearly
/// output). Refusing larger ones keeps every sum and product of a table within rust_decimal's range.
const MAX_FIGURE: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

fn raw_field(cell: &GridCell, at: CellRef) -> RawField {
    match &cell.value {
        Value::Empty => RawField::Blank(at),
        Value::Number(n) => match decimal_from_f64(*n) {
            // `1e308`, not its 309 digits.
            Some((value, _)) if value.abs() >= MAX_FIGURE => RawField::Invalid { cell: at, text: format!("{n:e}"), beyond_range: true },
            Some((value, shown_decimals)) => RawField::Number(RawNumber {
                value,
                cell: at,
                stated_decimals: cell.format.map(|f| u32::from(f.decimals)),
                shown_decimals,
                percent: cell.format.filter(|f| f.percent).map(|_| PercentForm::Fraction),
                as_text: false,
            }),
            None => RawField::Invalid { cell: at, text: if n.is_finite() { format!("{n:e}") } else { format!("{n}") }, beyond_range: n.is_finite() },
        },
        Value::Text(text) => match parse_figure_text(text) {
            TextFigure::Blank => RawField::Blank(at),
            TextFigure::Dash => RawField::Dash(at),
            TextFigure::Number { value, .. } if value.abs() >= MAX_FIGURE => {
                RawField::Invalid { cell: at, text: text.trim().to_string(), beyond_range: true }
            }
            TextFigure::Number { value, decimals, percent } => RawField::Number(RawNumber {
                value,
                cell: at,
                stated_decimals: Some(decimals),
                shown_decimals: decimals,
                percent: percent.then_some(PercentForm::Percent),
                as_text: true,
            }),
            TextFigure::NotANumber => RawField::Invalid { cell: at, text: text.trim().to_string(), beyond_range: false },
        },
        Value::Formula(_) => RawField::Uncomputed(at),
        other => RawField::Invalid { cell: at, text: other.display().unwrap_or_default().into_owned(), beyond_range: false },
    }
}

/// The figures of `cells`, read as one column of amounts (a General number takes the column's
/// precision, FORMATS.md §4): how forms read their fund blocks and score columns.
pub(crate) fn amount_column(grid: &Grid, cells: &[CellRef], unit: MoneyUnit) -> Vec<Field> {
    let column = Column { grid, cells };
    Settler::amounts(column, unit).settle_all(column).collect()
}

/// The figures of `cells`, read as one column of ratios, in percent.
pub(crate) fn ratio_column(grid: &Grid, cells: &[CellRef]) -> Vec<Field> {
    let column = Column { grid, cells };
    Settler::ratios(column).settle_all(column).collect()
}

/// The cells of one column of figures. A figure's decimals depend on the whole column, so each cell
/// is read twice (once for the column, once for itself) rather than kept raw in between: a
/// million-row list held 192 MB of raw figures that way.
#[derive(Clone, Copy)]
struct Column<'a> {
    grid: &'a Grid,
    cells: &'a [CellRef],
}

impl<'a> Column<'a> {
    fn raws(self) -> impl Iterator<Item = RawField> + 'a {
        self.cells.iter().map(move |&at| raw_field(self.grid.cell(at.row, at.col), at))
    }

    fn numbers(self) -> impl Iterator<Item = RawNumber> + 'a {
        self.raws().filter_map(|raw| match raw {
            RawField::Number(n) => Some(n),
            _ => None,
        })
    }
}

/// What a whole column says of how each of its figures reads (FORMATS.md §4): the decimals a General
/// number shows, and whether a ratio without a % is a fraction.
#[derive(Clone, Copy)]
enum Settler {
    Amounts { precision: u32, unit: MoneyUnit },
    Ratios { unmarked: PercentForm, precision: u32 },
}

impl Settler {
    fn amounts(column: Column<'_>, unit: MoneyUnit) -> Settler {
        // The most decimals any figure of the column shows.
        let precision = column.numbers().map(|n| n.stated_decimals.unwrap_or(n.shown_decimals)).max().unwrap_or(0);
        Settler::Amounts { precision, unit }
    }

    fn ratios(column: Column<'_>) -> Settler {
        let precision = RatioPrecision::of(column);
        let unmarked = if precision.unmarked_are_fractions { PercentForm::Fraction } else { PercentForm::Percent };
        Settler::Ratios { unmarked, precision: precision.decimals(unmarked) }
    }

    fn settle_all<'a>(self, column: Column<'a>) -> impl Iterator<Item = Field> + 'a {
        column.raws().map(move |raw| self.settle(raw))
    }

    /// A figure in 万元 (an amount) or in percent (a ratio), with the decimals it shows.
    fn settle(self, raw: RawField) -> Field {
        match self {
            Settler::Amounts { precision, unit } => {
                let mut field = settle(raw, |n| {
                    let decimals = n.stated_decimals.unwrap_or(precision);
                    in_ten_thousand_yuan(n.value, decimals, unit)
                });
                if let Field::Value(figure) = &mut field {
                    figure.in_yuan = unit == MoneyUnit::Yuan && figure.decimals.is_some();
                }
                field
            }
            Settler::Ratios { unmarked, precision } => settle(raw, |n| {
                let form = n.percent.unwrap_or(unmarked);
                let decimals = n.stated_decimals.map_or(precision, |d| percent_decimals(n, form, d));
                let value = match form {
                    PercentForm::Fraction => n.value * Decimal::ONE_HUNDRED,
                    PercentForm::Percent => n.value,
                };
                (value, decimals)
            }),
        }
    }
}

fn in_ten_thousand_yuan(value: Decimal, decimals: u32, unit: MoneyUnit) -> (Decimal, u32) {
    match unit {
        MoneyUnit::TenThousandYuan => (value, decimals),
        // Shifting the scale divides by 10,000 exactly; past rust_decimal's 28 decimals, divide.
        MoneyUnit::Yuan => {
            let mut scaled = value;
            match scaled.set_scale(value.scale() + 4) {
                Ok(()) => (scaled, decimals + 4),
                Err(_) => (value / Decimal::from(10_000), decimals + 4),
            }
        }
    }
}

/// What a ratio column's numbers say of the column, in one reading: whether its numbers without a %
/// are fractions (0.9896: every one of them is small) or percent (98.96), and the most decimals of a
/// percentage shown either way.
struct RatioPrecision {
    unmarked_are_fractions: bool,
    /// If unmarked numbers are fractions, and if they are percent.
    most: [Option<u32>; 2],
}

impl RatioPrecision {
    fn of(column: Column<'_>) -> RatioPrecision {
        let mut seen = RatioPrecision { unmarked_are_fractions: true, most: [None, None] };
        for n in column.numbers() {
            seen.unmarked_are_fractions &= n.percent.is_some() || n.value.abs() <= Decimal::TWO;
            let shown = n.stated_decimals.unwrap_or(n.shown_decimals);
            for (most, unmarked) in seen.most.iter_mut().zip([PercentForm::Fraction, PercentForm::Percent]) {
                let decimals = percent_decimals(&n, n.percent.unwrap_or(unmarked), shown);
                *most = (*most).max(Some(decimals));
            }
        }
        seen
    }

    fn decimals(&self, unmarked: PercentForm) -> u32 {
        self.most[usize::from(unmarked == PercentForm::Percent)].unwrap_or(0)
    }
}

/// Decimals of the percentage a number in `form` shows with `decimals`: a % format states those of
/// the percentage itself, a fraction without one two more.
fn percent_decimals(n: &RawNumber, form: PercentForm, decimals: u32) -> u32 {
    match (form, n.percent) {
        (PercentForm::Fraction, Some(_)) | (PercentForm::Percent, _) => decimals,
        (PercentForm::Fraction, None) => decimals.saturating_sub(2),
    }
}

fn settle(raw: RawField, shown: impl Fn(&RawNumber) -> (Decimal, u32)) -> Field {
    match raw {
        RawField::Blank(cell) => Field::Blank(cell),
        RawField::Dash(cell) => Field::Value(Figure { value: Decimal::ZERO, decimals: None, cell, as_text: true, in_yuan: false }),
        RawField::Invalid { cell, text, beyond_range } => Field::Invalid { cell, text: text.into(), beyond_range },
        RawField::Uncomputed(cell) => Field::Uncomputed(cell),
        RawField::Number(n) => {
            let (value, decimals) = shown(&n);
            Field::Value(Figure { value, decimals: Figure::shown_decimals(decimals), cell: n.cell, as_text: n.as_text, in_yuan: false })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::grid::{Grid, Merge, Value};

    #[test]
    fn every_footer_mark_starts_with_a_character_footers_start_with() {
        for mark in FOOTER_MARKS {
            assert!(mark.chars().next().is_some_and(may_start_footer), "{mark}");
        }
        assert!(!"项目名称".chars().next().is_some_and(may_start_footer));
    }

    fn t(s: &str) -> Value {
        if s.is_empty() { Value::Empty } else { Value::Text(s.into()) }
    }

    /// Float noise for a divisor, a typo of 29 digits: no overflow in any rule, and the typo reported.
    #[test]
    fn figures_beyond_any_budget_are_refused_and_near_zero_divisors_do_not_overflow() {
        let n = Value::Number;
        let rows = vec![
            vec![t("项目名称"), t("年初预算金额"), t("调整后预算金额"), t("实际支出金额"), t("预算支出比例")],
            vec![t("甲"), n(7e28), n(1e-27), n(9e14), n(1.0)],
            vec![t("乙"), t("800000000000000000000"), n(1e-28), n(9e14), n(9e14)],
            vec![t("丙"), n(5.55e-27), n(9e14), n(-9e14), n(1.0)],
            vec![t("合计"), n(9e14), n(9e14), n(9e14), n(1.0)],
        ];
        let grids = [Grid::from_values("附件1", rows)];
        let checked = crate::report::check_grids(std::path::Path::new("t.xlsx"), &grids, &crate::settings::Settings::default());
        let projects = &checked.workbook.tables[0].rows;
        assert!(matches!(projects[0].budget_initial, Field::Invalid { .. }));
        assert!(matches!(projects[1].budget_initial, Field::Invalid { .. }));
        assert!(matches!(projects[0].actual, Field::Value(_)));
        let refused: Vec<String> = checked.findings.iter().filter(|f| f.rule == "V002").map(|f| f.cell.unwrap().to_string()).collect();
        assert_eq!(refused, vec!["B2", "B3"]);
        assert!(checked.findings.iter().filter(|f| f.rule == "V002").all(|f| f.message.contains("超出可核对的范围")));
        let found: Vec<Option<&str>> = checked.findings.iter().filter(|f| f.rule == "V002").map(|f| f.found.as_deref()).collect();
        assert_eq!(found, vec![Some("7e28"), Some("800000000000000000000")], "a number as written short, a text as written");
        assert!(checked.findings.iter().any(|f| f.rule == "E001"));
    }

    #[test]
    fn an_unrecognised_group_cell_leaves_one_table() {
        let rows = vec![
            vec![t("序号"), t("项目名称"), t("某某金额"), t(""), t("项目支出金额"), t("预算完成比例")],
            vec![t(""), t(""), t("年初"), t("调整后"), t(""), t("")],
            vec![Value::Number(1.0), t("甲"), Value::Number(1.0), Value::Number(1.0), Value::Number(1.0), Value::Number(1.0)],
            vec![t("合计"), t(""), Value::Number(1.0), Value::Number(1.0), Value::Number(1.0), Value::Number(1.0)],
        ];
        let plain = Grid::from_values("s", rows);
        let cells = (0..plain.height()).map(|r| (0..plain.width(r)).map(|c| plain.cell(r, c).clone()).collect()).collect();
        let merges = vec![
            Merge { first_row: 0, first_col: 0, last_row: 1, last_col: 0 },
            Merge { first_row: 0, first_col: 1, last_row: 1, last_col: 1 },
            Merge { first_row: 0, first_col: 2, last_row: 0, last_col: 3 },
        ];
        let tables = tables_in(&Grid::new("s", cells, merges), 0, &[]);
        let shape: Vec<(u32, u32, usize)> = tables.iter().map(|t| (t.header_rows.0, t.header_rows.1, t.rows.len())).collect();
        assert_eq!(shape, vec![(0, 0, 2)]);
    }
}
