//! A sheet as a grid of values with the shown number format and merged ranges, whatever the file format.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use calamine::{Data, DataRef, Dimensions, Ods, Reader, SheetType, Xls, XlsError, XlsOptions, Xlsb, Xlsx};
use zip::ZipArchive;

use crate::error::{Error, Limit, Result};
use crate::memory::ROWS_PER_GIVE_BACK;
use crate::model::FormulaNotes;
use crate::read::formula;
use crate::read::layout::{self, read_xlsx_layouts, SheetEntry, SheetLayout};
use crate::read::ods_formats::{read_ods_formats, repeat_count, OdsFormats};
use crate::read::sniff::{self, FileKind, XlsSurveyError};
use crate::read::xls_formats::CellFormats;
use crate::read::xlsx_cells::ScannedBook;

/// A cell's value as stored.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Empty,
    Number(f64),
    // Texts are boxed slices rather than Strings: a cell is then 32 bytes instead of 48, which on a
    // million-row sheet of eight columns is 128 MB less held.
    Text(Arc<str>),
    Bool(bool),
    /// An error value such as `#DIV/0!`.
    Error(Arc<str>),
    /// A date or time (its display is irrelevant to figures, which it never is).
    Date(Arc<str>),
    /// A formula (its text, without `=`) whose file holds no result and which budgetlint could
    /// not compute ([`crate::read::formula`]): filled, but with no figure to check.
    Formula(Box<str>),
}

impl Value {
    /// Text for labels and kept columns: numbers in their shortest form.
    pub fn display(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Empty => None,
            Value::Number(n) => Some(Cow::Owned(format!("{n}"))),
            Value::Text(t) | Value::Error(t) | Value::Date(t) => Some(Cow::Borrowed(t)),
            Value::Formula(f) => Some(Cow::Owned(format!("={f}"))),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "TRUE" } else { "FALSE" })),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// What a number format shows: how many decimals, and whether it multiplies by 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumberFormat {
    pub decimals: u8,
    pub percent: bool,
}

impl NumberFormat {
    /// Reads an Excel format code; `None` for General (the shown decimals then follow the value).
    pub fn parse(code: &str) -> Option<NumberFormat> {
        let section = first_section(code);
        if section.eq_ignore_ascii_case("general") || section.is_empty() || section == "@" {
            return None;
        }
        let literal_free = strip_literals(section);
        let decimals = literal_free
            .split_once('.')
            .map_or(0, |(_, after)| after.chars().take_while(|c| matches!(c, '0' | '#' | '?')).count().min(usize::from(u8::MAX)) as u8);
        Some(NumberFormat { decimals, percent: literal_free.contains('%') })
    }
}

fn first_section(code: &str) -> &str {
    code.split(';').next().unwrap_or("").trim()
}

/// Drops quoted text, escaped characters and bracketed colour/locale codes from a format section.
fn strip_literals(section: &str) -> String {
    let mut out = String::with_capacity(section.len());
    let mut chars = section.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for q in chars.by_ref() {
                    if q == ']' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// One cell: value and (for formats that expose it) its number format.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridCell {
    pub value: Value,
    pub format: Option<NumberFormat>,
    /// Index into the grid's [`CellLook`]s; 0 is the default look.
    pub look: u16,
}

/// How a cell looks, as far as the annotated copy reproduces it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CellLook {
    /// The number format code; `None` for General.
    pub number_format: Option<String>,
    pub bold: bool,
    pub wrap: bool,
    pub horizontal: Align,
    pub vertical: Align,
}

/// Alignment the copy keeps; anything else is left to Excel's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Align {
    #[default]
    Default,
    Start,
    Center,
    End,
}

/// A merged range, inclusive, 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    pub first_row: u32,
    pub first_col: u32,
    pub last_row: u32,
    pub last_col: u32,
}

/// What a sheet is. Only worksheets hold cells; the others are kept (empty) so that a report can
/// name them and a copy keeps the workbook's sheets in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SheetKind {
    #[default]
    Worksheet,
    /// A chart sheet (Excel's "move chart to new sheet").
    Chart,
    /// An Excel 4 macro sheet.
    Macro,
    /// An Excel 5 dialog sheet.
    Dialog,
    /// A worksheet the reader failed on, with its words; the rest of the workbook is read.
    Unreadable(String),
}

/// A sheet as read.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    pub kind: SheetKind,
    rows: Vec<Vec<GridCell>>,
    merges: Vec<Merge>,
    /// Widths, heights and formula texts (xlsx only); its merges are `merges`.
    pub layout: SheetLayout,
    pub looks: Vec<CellLook>,
    /// For every cell covered by a merge (but not its anchor), the merge's index.
    covered: HashMap<(u32, u32), usize>,
    /// Formulas that could not be computed, or whose stored result is stale.
    pub formula_notes: FormulaNotes,
    /// The file of an .xlsx sheet whose cells came in row order: they can be read again from it.
    pub(crate) file: Option<Arc<SheetFile>>,
    /// Set once a list let go of some of the rows.
    pub(crate) let_go: Option<LetGo>,
}

/// What a sheet's cells told that a second read of its file does not: kept when a list lets go of them.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LetGo {
    /// The values formulas gave to cells whose file holds no result, by row and column.
    pub(crate) computed: Vec<((u32, u32), Value)>,
    /// The widest row's cells.
    width: u32,
}

/// The file a sheet was read from, as it was then: a copy written after a list let go of the sheet's
/// cells reads them again from it, and refuses a file changed meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetFile {
    pub path: PathBuf,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl SheetFile {
    fn of(path: &Path) -> Option<SheetFile> {
        let meta = std::fs::metadata(path).ok()?;
        Some(SheetFile { path: path.to_path_buf(), len: meta.len(), modified: meta.modified().ok() })
    }

    /// Whether the file is still as it was read.
    pub fn unchanged(&self) -> bool {
        SheetFile::of(&self.path).as_ref() == Some(self)
    }
}

pub(crate) static EMPTY_CELL: GridCell = GridCell { value: Value::Empty, format: None, look: 0 };

impl Grid {
    pub fn new(name: impl Into<String>, rows: Vec<Vec<GridCell>>, merges: Vec<Merge>) -> Grid {
        let mut covered = HashMap::new();
        for (index, m) in merges.iter().enumerate() {
            for row in m.first_row..=m.last_row {
                for col in m.first_col..=m.last_col {
                    if (row, col) != (m.first_row, m.first_col) {
                        covered.insert((row, col), index);
                    }
                }
            }
        }
        Grid {
            name: name.into(),
            kind: SheetKind::Worksheet,
            rows,
            merges,
            covered,
            layout: SheetLayout::default(),
            looks: vec![CellLook::default()],
            formula_notes: FormulaNotes::default(),
            file: None,
            let_go: None,
        }
    }

    /// An empty grid standing for a sheet of `kind`.
    pub fn of_kind(name: impl Into<String>, kind: SheetKind) -> Grid {
        Grid { kind, ..Grid::new(name, Vec::new(), Vec::new()) }
    }

    fn with_layout(mut self, layout: SheetLayout, looks: Vec<CellLook>) -> Grid {
        self.layout = SheetLayout { merges: Vec::new(), ..layout };
        self.looks = looks;
        self
    }

    pub fn look(&self, cell: &GridCell) -> &CellLook {
        self.looks.get(cell.look as usize).unwrap_or(&self.looks[0])
    }

    /// Builds a grid from plain values; handy for tests and generated input.
    pub fn from_values(name: &str, rows: Vec<Vec<Value>>) -> Grid {
        let rows = rows
            .into_iter()
            .map(|r| r.into_iter().map(|value| GridCell { value, format: None, look: 0 }).collect())
            .collect();
        Grid::new(name, rows, Vec::new())
    }

    pub fn height(&self) -> u32 {
        self.rows.len() as u32
    }

    pub fn width(&self, row: u32) -> u32 {
        self.rows.get(row as usize).map_or(0, |r| r.len() as u32)
    }

    /// The widest row's cells (rows let go of included).
    pub fn max_width(&self) -> u32 {
        let held = self.rows.iter().map(|r| r.len() as u32).max().unwrap_or(0);
        held.max(self.let_go.as_ref().map_or(0, |l| l.width))
    }

    /// A row's cells as stored, up to its last.
    pub fn row_cells(&self, row: u32) -> &[GridCell] {
        self.rows.get(row as usize).map_or(&[], Vec::as_slice)
    }

    /// The rows, taken out: the grid keeps its merges, looks and layout, and no cell.
    pub fn take_rows(&mut self) -> Vec<Vec<GridCell>> {
        std::mem::take(&mut self.rows)
    }

    /// The cell as stored (a covered cell of a merge is empty).
    pub fn cell(&self, row: u32, col: u32) -> &GridCell {
        self.rows.get(row as usize).and_then(|r| r.get(col as usize)).unwrap_or(&EMPTY_CELL)
    }

    /// The merge a cell belongs to, anchor included.
    pub fn merge_at(&self, row: u32, col: u32) -> Option<&Merge> {
        if let Some(index) = self.covered.get(&(row, col)) {
            return self.merges.get(*index);
        }
        self.merges.iter().find(|m| m.first_row == row && m.first_col == col)
    }

    /// The cell as the user sees it: a covered cell shows its merge's anchor.
    pub fn visible(&self, row: u32, col: u32) -> &GridCell {
        match self.covered.get(&(row, col)).and_then(|i| self.merges.get(*i)) {
            Some(m) => self.cell(m.first_row, m.first_col),
            None => self.cell(row, col),
        }
    }

    /// Whether the cell is covered by a merge that starts in an earlier row (merged down into it).
    pub fn is_merged_from_above(&self, row: u32, col: u32) -> bool {
        self.covered.get(&(row, col)).and_then(|i| self.merges.get(*i)).is_some_and(|m| m.first_row < row)
    }

    pub fn merges(&self) -> &[Merge] {
        &self.merges
    }

    /// Puts a computed value in a cell (its format stays); a cell beyond the grid is added.
    pub(crate) fn set_value(&mut self, row: u32, col: u32, value: Value) {
        let (row, col) = (row as usize, col as usize);
        if self.rows.len() <= row {
            self.rows.resize_with(row + 1, Vec::new);
        }
        cell_at(&mut self.rows[row], col as u32).value = value;
    }

    /// Whether a list let go of some of its rows: they are to be read again from [`Grid::file`].
    pub fn cells_let_go(&self) -> bool {
        self.let_go.is_some()
    }

    /// Whether a list may let go of its rows and a copy still be made: they can be read again.
    pub fn can_read_again(&self) -> bool {
        self.kind != SheetKind::Worksheet || self.file.is_some()
    }

    pub fn is_row_empty(&self, row: u32) -> bool {
        self.rows.get(row as usize).is_none_or(|r| r.iter().all(|c| c.value.is_empty()))
    }
}

/// A sheet a document's rows are read from, top to bottom: kept whole (a copy or a preview is made
/// from it later), or [`LettingGo`] of each row once it is read.
pub trait SheetRows {
    fn grid(&self) -> &Grid;
    /// Row `row` will not be read again.
    fn done_with(&mut self, row: u32);
    /// Whether rows stay once read: they may then be read in any order, on either core.
    fn keeps_rows(&self) -> bool {
        false
    }
}

impl SheetRows for &Grid {
    fn grid(&self) -> &Grid {
        self
    }

    fn done_with(&mut self, _row: u32) {}

    fn keeps_rows(&self) -> bool {
        true
    }
}

/// A sheet whose rows are dropped as a list reads them, so that a long list is held as its rows and
/// not also as its cells. Rows the sheet may still be asked for are kept: the anchors of merges that
/// reach down (their text shows in the rows below) and the `kept` ranges (the rows of tables standing
/// side by side, which read the same rows).
///
/// Rows are dropped a block at a time and the freed memory then given back (`malloc_trim`):
/// dropped one by one, each row's blocks were taken again at once by the small strings of the rows
/// made from it, and pages sprinkled with those never came free.
pub struct LettingGo<'a> {
    grid: &'a mut Grid,
    anchors: Vec<u32>,
    kept: Vec<std::ops::Range<u32>>,
    done: Vec<u32>,
    /// Rows dropped so far: only a long list's are worth giving back at the end.
    dropped: usize,
}

impl<'a> LettingGo<'a> {
    pub fn new(grid: &'a mut Grid, kept: Vec<std::ops::Range<u32>>) -> LettingGo<'a> {
        let mut anchors: Vec<u32> = grid.merges.iter().filter(|m| m.last_row > m.first_row).map(|m| m.first_row).collect();
        anchors.sort_unstable();
        anchors.dedup();
        LettingGo { grid, anchors, kept, done: Vec::new(), dropped: 0 }
    }

    fn drop_done(&mut self) {
        if !self.done.is_empty() && self.grid.let_go.is_none() {
            let grid = &*self.grid;
            let mut computed: Vec<((u32, u32), Value)> =
                grid.layout.uncached_formulas.iter().map(|&(row, col)| ((row, col), grid.cell(row, col).value.clone())).collect();
            computed.sort_unstable_by_key(|(at, _)| *at);
            self.grid.let_go = Some(LetGo { computed, width: grid.max_width() });
        }
        self.dropped += self.done.len();
        for row in self.done.drain(..) {
            if let Some(cells) = self.grid.rows.get_mut(row as usize) {
                *cells = Vec::new();
            }
        }
    }
}

/// The last rows read go too. What a long list freed goes back to the system before the checks take
/// their share; a short one's is left to the allocator (a batch reads thousands).
impl Drop for LettingGo<'_> {
    fn drop(&mut self) {
        self.drop_done();
        if self.dropped >= ROWS_PER_GIVE_BACK {
            crate::memory::give_back_freed();
        }
    }
}

impl SheetRows for LettingGo<'_> {
    fn grid(&self) -> &Grid {
        self.grid
    }

    fn done_with(&mut self, row: u32) {
        if self.anchors.binary_search(&row).is_ok() || self.kept.iter().any(|r| r.contains(&row)) {
            return;
        }
        self.done.push(row);
        if self.done.len() == ROWS_PER_GIVE_BACK {
            self.drop_done();
            crate::memory::give_back_freed();
        }
    }
}

/// Bounds on the work one file may cause. Past any of them the file is refused with
/// [`Error::TooLarge`], naming the bound, before the work is done: sizes are checked from what a
/// file states up front (a zip's central directory, an .xls's records) wherever it states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Uncompressed bytes of the zip parts that would be read (.xlsx .xlsm .xlsb .ods), from the
    /// sizes the central directory declares (the zip reader holds every part to its declared size);
    /// for an .xls, its workbook stream; for a web page, the file. Default 500 MB.
    pub max_bytes: u64,
    /// Cells one sheet spans: each row up to its last used column (.xlsx .xlsb), or the rectangle
    /// from the first to the last used cell (.xls .ods, whose reader allocates it). Default 5,000,000.
    pub max_cells_per_sheet: u64,
    /// The same over all sheets of a workbook. Default 10,000,000.
    pub max_cells_per_workbook: u64,
    /// Cells covered by merged ranges on one sheet (the copy writes each). Default 1,000,000.
    pub max_merged_cells_per_sheet: u64,
    /// The same over all sheets of a workbook (the copy holds about 850 bytes a merged cell while it
    /// is written). Default 2,000,000.
    pub max_merged_cells_per_workbook: u64,
    /// Sheets of any kind. Default 1,000.
    pub max_sheets: u64,
    /// Characters in one cell; Excel's own limit is 32,767. Default 32,767.
    pub max_cell_chars: u64,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        ReadLimits {
            max_bytes: 500_000_000,
            max_cells_per_sheet: 5_000_000,
            max_cells_per_workbook: 10_000_000,
            max_merged_cells_per_sheet: 1_000_000,
            max_merged_cells_per_workbook: 2_000_000,
            max_sheets: 1_000,
            max_cell_chars: 32_767,
        }
    }
}

/// Excel's own bounds: 1,048,576 rows, 16,384 columns.
pub(crate) const EXCEL_ROWS: u32 = 1 << 20;
pub(crate) const EXCEL_COLUMNS: u32 = 1 << 14;

/// Opens a workbook and reads every sheet as a grid (values, number formats, merges), within the
/// default [`ReadLimits`].
///
/// What the file is comes from its bytes, not its name: an .xlsx named .xls is read as an .xlsx,
/// an HTML table or XML Spreadsheet 2003 saved as .xls (what many web systems export) is read as
/// such, and anything else is refused in the user's words ([`Error::NotASpreadsheet`]). Chart,
/// macro and dialog sheets, and any sheet the reader fails on, come back as empty grids of their
/// [`SheetKind`], in workbook order; the workbook is refused only when none of its worksheets can
/// be read.
///
/// # Errors
/// [`Error::FileNotFound`], [`Error::NotASpreadsheet`], [`Error::PasswordProtected`],
/// [`Error::TooLarge`], [`Error::EmptyWorkbook`], [`Error::UnreadableSheet`] (no worksheet could be
/// read), [`Error::Internal`] (a reader panicked).
pub fn read_grids(path: &Path) -> Result<Vec<Grid>> {
    read_grids_within(path, &ReadLimits::default())
}

/// [`read_grids`] within the given limits.
pub fn read_grids_within(path: &Path, limits: &ReadLimits) -> Result<Vec<Grid>> {
    read_grids_as(path, Detail::Values, limits)
}

/// Like [`read_grids`], plus what a faithful copy needs of an .xlsx: widths, heights, formula texts.
pub fn read_grids_with_layout(path: &Path) -> Result<Vec<Grid>> {
    read_grids_with_layout_within(path, &ReadLimits::default())
}

/// [`read_grids_with_layout`] within the given limits.
pub fn read_grids_with_layout_within(path: &Path, limits: &ReadLimits) -> Result<Vec<Grid>> {
    read_grids_as(path, Detail::Layout, limits)
}

/// How much of an .xlsx sheet's layout to read: the full layout costs a second pass over the sheet's XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Values,
    Layout,
}

/// For callers that treat a workbook without data as one without tables (a finding, not an error).
pub fn no_grids_if_empty(read: Result<Vec<Grid>>) -> Result<Vec<Grid>> {
    match read {
        Err(Error::EmptyWorkbook { .. }) => Ok(Vec::new()),
        other => other,
    }
}

/// Why a path that is no regular file cannot be read: missing, or what stands there instead.
fn not_a_file(path: &Path) -> Error {
    let unopenable = |detail: String| Error::Unopenable { path: path.to_path_buf(), detail };
    match (std::fs::symlink_metadata(path), std::fs::metadata(path)) {
        (Err(_), _) => Error::FileNotFound { path: path.to_path_buf() },
        (Ok(_), Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Error::FileNotFound { path: path.to_path_buf() },
        // A link that loops or cannot be followed.
        (Ok(_), Err(e)) => unopenable(e.to_string()),
        (Ok(_), Ok(meta)) if meta.is_dir() => match std::fs::read_dir(path) {
            Err(e) => unopenable(format!("文件夹无法读取 / the folder cannot be read: {e}")),
            Ok(_) => unopenable("是文件夹，不是文件 / a folder, not a file".into()),
        },
        (Ok(_), Ok(_)) => unopenable("不是普通文件（设备或管道）/ not a regular file (a device or pipe)".into()),
    }
}

fn read_grids_as(path: &Path, detail: Detail, limits: &ReadLimits) -> Result<Vec<Grid>> {
    if !path.is_file() {
        return Err(not_a_file(path));
    }
    let grids = match quietly(|| read_any(path, detail, limits)) {
        Ok(read) => read?,
        Err(detail) => return Err(Error::Internal { path: path.to_path_buf(), detail }),
    };
    let worksheets = || grids.iter().filter(|g| g.kind == SheetKind::Worksheet);
    if worksheets().all(|g| g.height() == 0) {
        if let Some((sheet, detail)) = grids.iter().find_map(|g| match &g.kind {
            SheetKind::Unreadable(detail) => Some((g.name.clone(), detail.clone())),
            _ => None,
        }) {
            return Err(Error::UnreadableSheet { path: path.to_path_buf(), sheet, detail });
        }
        return Err(Error::EmptyWorkbook { path: path.to_path_buf() });
    }
    Ok(grids)
}

// ---------------------------------------------------------------------------------------------
// Panics: a reader library that panics on a stranger's file fails that file, quietly.

thread_local! {
    /// Whether a panic on this thread is expected to be caught (and is not to be printed).
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The last caught panic's message and place.
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

/// Runs `work`, turning a panic into its message; the panic is not printed (any other panic
/// anywhere still is, by whatever hook was installed before).
pub(crate) fn quietly<T>(work: impl FnOnce() -> T) -> std::result::Result<T, String> {
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(std::cell::Cell::get) {
                LAST_PANIC.with(|last| *last.borrow_mut() = panic_words(info));
            } else {
                previous(info);
            }
        }));
    });
    let was = QUIET.with(|quiet| quiet.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    QUIET.with(|quiet| quiet.set(was));
    result.map_err(|payload| {
        let recorded = LAST_PANIC.with(|last| std::mem::take(&mut *last.borrow_mut()));
        if !recorded.is_empty() {
            return recorded.replace('\n', " ");
        }
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
            .unwrap_or_else(|| "a reader panicked".into())
    })
}

/// "no entry found for key (calamine-0.38.0/src/xlsb/mod.rs:312)": the message, and where in which
/// crate, without the build machine's paths.
fn panic_words(info: &std::panic::PanicHookInfo<'_>) -> String {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "a reader failed".into());
    match info.location() {
        Some(location) => {
            let file = location.file();
            let start = file.rfind("/src/").and_then(|at| file[..at].rfind('/').map(|slash| slash + 1)).unwrap_or(0);
            format!("{message} ({}:{})", &file[start..], location.line())
        }
        None => message,
    }
}

// ---------------------------------------------------------------------------------------------
// What the file is, then the reader for it.

/// Why a sheet could not be read: a bound of [`ReadLimits`] (refuses the workbook) or anything
/// else (that sheet alone becomes [`SheetKind::Unreadable`]).
enum SheetError {
    Limit(Limit),
    Reader(String),
}

impl<E: std::fmt::Display> From<E> for SheetError {
    fn from(error: E) -> SheetError {
        SheetError::Reader(error.to_string())
    }
}

fn extension_of(path: &Path) -> String {
    path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default()
}

fn not_a_spreadsheet(path: &Path, kind: FileKind, detail: impl Into<String>) -> Error {
    Error::NotASpreadsheet { path: path.to_path_buf(), kind, extension: extension_of(path), detail: detail.into() }
}

fn too_large(path: &Path, sheet: Option<&str>, limit: Limit) -> Error {
    Error::TooLarge { path: path.to_path_buf(), sheet: sheet.map(str::to_string), limit }
}

fn read_any(path: &Path, detail: Detail, limits: &ReadLimits) -> Result<Vec<Grid>> {
    let unopenable = |e: std::io::Error| Error::Unopenable { path: path.to_path_buf(), detail: e.to_string() };
    let mut file = File::open(path).map_err(unopenable)?;
    let size = file.metadata().map_err(unopenable)?.len();
    let mut head = [0u8; 8];
    let got = read_up_to(&mut file, &mut head).map_err(unopenable)?;
    let head = &head[..got];
    file.seek(SeekFrom::Start(0)).map_err(unopenable)?;
    if head.is_empty() {
        return Err(not_a_spreadsheet(path, FileKind::Empty, ""));
    }
    if head.starts_with(b"PK") {
        return read_zip(path, BufReader::new(file), detail, limits);
    }
    let extension = extension_of(path);
    // Anything but an OLE file (an .xls, or an encrypted workbook) is judged from its start: only
    // a web page is read whole.
    const OLE: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if !head.starts_with(OLE) {
        let mut start = Vec::with_capacity(64 * 1024);
        (&mut file).take(64 * 1024).read_to_end(&mut start).map_err(unopenable)?;
        let kind = sniff::sniff(&start, &extension);
        if !kind.is_web_export() {
            return Err(not_a_spreadsheet(path, kind, ""));
        }
        file.seek(SeekFrom::Start(0)).map_err(unopenable)?;
    }
    if size > limits.max_bytes {
        return Err(too_large(path, None, Limit::Bytes { found: size, max: limits.max_bytes }));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.read_to_end(&mut bytes).map_err(unopenable)?;
    let kind = sniff::sniff(&bytes, &extension);
    match kind {
        FileKind::EncryptedXls | FileKind::EncryptedOoxml => Err(Error::PasswordProtected { path: path.to_path_buf() }),
        FileKind::Xls => read_xls(path, bytes, limits),
        FileKind::Html => web_grids(path, kind, sniff::read_html_tables(&bytes, &file_name(path)), limits),
        FileKind::SpreadsheetMl => web_grids(path, kind, sniff::read_spreadsheet_ml(&bytes), limits),
        other => Err(not_a_spreadsheet(path, other, "")),
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Grids of a web export, checked against the workbook-wide bounds like any other.
fn web_grids(
    path: &Path,
    kind: FileKind,
    read: std::result::Result<Vec<Grid>, String>,
    limits: &ReadLimits,
) -> Result<Vec<Grid>> {
    let grids = read.map_err(|detail| not_a_spreadsheet(path, kind, detail))?;
    check_sheet_count(path, grids.len(), limits)?;
    let mut budget = Budget::new(limits);
    for grid in &grids {
        let cells: u64 = (0..grid.height()).map(|r| u64::from(grid.width(r))).sum();
        budget.sheet(cells).map_err(|limit| too_large(path, Some(&grid.name), limit))?;
        budget.merges(grid.merges()).map_err(|limit| too_large(path, Some(&grid.name), limit))?;
        budget.finish_sheet();
    }
    Ok(grids)
}

fn check_sheet_count(path: &Path, count: usize, limits: &ReadLimits) -> Result<()> {
    if count as u64 > limits.max_sheets {
        return Err(too_large(path, None, Limit::Sheets { found: count as u64, max: limits.max_sheets }));
    }
    Ok(())
}

/// The cells spent on the sheet being read and on the workbook so far.
#[derive(Clone)]
pub(crate) struct Budget {
    sheet: u64,
    workbook: u64,
    /// Cells covered by the merges of the sheets so far.
    merged: u64,
    limits: ReadLimits,
}

impl Budget {
    fn new(limits: &ReadLimits) -> Budget {
        Budget { sheet: 0, workbook: 0, merged: 0, limits: *limits }
    }

    /// Checks a sheet's merges (see [`check_merges`]) and spends what they cover on the workbook.
    fn merges(&mut self, merges: &[Merge]) -> std::result::Result<(), Limit> {
        let covered = check_merges(merges, &self.limits)?;
        self.merged = self.merged.saturating_add(covered);
        match self.merged > self.limits.max_merged_cells_per_workbook {
            true => Err(Limit::WorkbookMergedCells { found: self.merged, max: self.limits.max_merged_cells_per_workbook }),
            false => Ok(()),
        }
    }

    /// Spends `cells` on the current sheet (and the workbook).
    fn sheet(&mut self, cells: u64) -> std::result::Result<(), Limit> {
        self.sheet = self.sheet.saturating_add(cells);
        if self.sheet > self.limits.max_cells_per_sheet {
            return Err(Limit::SheetCells { found: self.sheet, max: self.limits.max_cells_per_sheet });
        }
        let total = self.workbook.saturating_add(self.sheet);
        if total > self.limits.max_cells_per_workbook {
            return Err(Limit::WorkbookCells { found: total, max: self.limits.max_cells_per_workbook });
        }
        Ok(())
    }

    fn finish_sheet(&mut self) {
        self.workbook = self.workbook.saturating_add(std::mem::take(&mut self.sheet));
    }
}

/// Merges past Excel's bounds are refused; so is a sheet whose merges cover too many cells. The cells
/// they cover.
fn check_merges(merges: &[Merge], limits: &ReadLimits) -> std::result::Result<u64, Limit> {
    let mut covered = 0u64;
    for m in merges {
        if m.last_row >= EXCEL_ROWS || m.last_col >= EXCEL_COLUMNS {
            return Err(Limit::Position { row: u64::from(m.last_row), col: u64::from(m.last_col) });
        }
        let area = u64::from(m.last_row.saturating_sub(m.first_row) + 1)
            * u64::from(m.last_col.saturating_sub(m.first_col) + 1);
        covered = covered.saturating_add(area);
        if covered > limits.max_merged_cells_per_sheet {
            return Err(Limit::MergedCells { found: covered, max: limits.max_merged_cells_per_sheet });
        }
    }
    Ok(covered)
}

/// A merge as stated, corners put in order.
fn merge_of(d: &Dimensions) -> Merge {
    Merge {
        first_row: d.start.0.min(d.end.0),
        first_col: d.start.1.min(d.end.1),
        last_row: d.start.0.max(d.end.0),
        last_col: d.start.1.max(d.end.1),
    }
}

fn check_position(row: u32, col: u32) -> std::result::Result<(), Limit> {
    if row >= EXCEL_ROWS || col >= EXCEL_COLUMNS {
        return Err(Limit::Position { row: u64::from(row), col: u64::from(col) });
    }
    Ok(())
}

/// A cell's text within [`ReadLimits::max_cell_chars`] (bytes first: cheap, and a bound on chars).
pub(crate) fn check_text(text: &str, row: u32, col: u32, limits: &ReadLimits) -> std::result::Result<(), Limit> {
    if text.len() as u64 > limits.max_cell_chars {
        let chars = text.chars().count() as u64;
        if chars > limits.max_cell_chars {
            return Err(Limit::CellChars { cell: a1(row, col), found: chars, max: limits.max_cell_chars });
        }
    }
    Ok(())
}

/// (4, 3) → "D5".
fn a1(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

// ---------------------------------------------------------------------------------------------
// Zip packages: .xlsx .xlsm .xlsb .ods, judged by their parts and sized by their central directory.

/// Where a package's bytes are: its file, or a copy in memory with a part rewritten.
#[derive(Clone, Copy)]
enum Source<'a> {
    File(&'a Path),
    Memory(&'a [u8]),
}

/// A reader over a [`Source`].
enum Input<'a> {
    File(BufReader<File>),
    Memory(Cursor<&'a [u8]>),
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory(m) => m.read(buf),
        }
    }
}

impl Seek for Input<'_> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        match self {
            Input::File(f) => f.seek(pos),
            Input::Memory(m) => m.seek(pos),
        }
    }
}

impl<'a> Source<'a> {
    fn open(&self) -> std::io::Result<Input<'a>> {
        Ok(match *self {
            Source::File(path) => Input::File(BufReader::new(File::open(path)?)),
            Source::Memory(bytes) => Input::Memory(Cursor::new(bytes)),
        })
    }
}

/// Parts no reader here opens: pictures, embedded files, printer settings, macros.
fn part_is_read(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let skipped = ["xl/media/", "xl/embeddings/", "xl/printersettings/", "media/", "pictures/", "thumbnails/"];
    !skipped.iter().any(|p| lower.starts_with(p))
        && !lower.ends_with("vbaproject.bin")
        && [".xml", ".rels", ".bin"].iter().any(|e| lower.ends_with(e))
}

fn read_zip(path: &Path, reader: BufReader<File>, detail: Detail, limits: &ReadLimits) -> Result<Vec<Grid>> {
    let mut zip = match ZipArchive::new(reader) {
        Ok(zip) => zip,
        Err(e) => return Err(not_a_spreadsheet(path, FileKind::Truncated, e.to_string())),
    };
    let kind = sniff::sniff_zip_archive(&mut zip);
    if !matches!(kind, FileKind::Xlsx | FileKind::Xlsm | FileKind::Xlsb | FileKind::Ods) {
        return Err(not_a_spreadsheet(path, kind, ""));
    }
    // The directory states every part's size; the zip reader never inflates a part past it.
    let mut total = 0u64;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_data(i) else { continue };
        if part_is_read(&String::from_utf8_lossy(entry.name_raw())) {
            total = total.saturating_add(entry.size());
        }
    }
    if total > limits.max_bytes {
        return Err(too_large(path, None, Limit::Bytes { found: total, max: limits.max_bytes }));
    }
    match kind {
        FileKind::Xlsb => read_xlsb(path, zip.into_inner(), limits),
        FileKind::Ods => {
            check_ods(path, &mut zip, limits)?;
            let formats = read_ods_formats(&mut zip);
            let ods: Ods<_> = Ods::new(zip.into_inner()).map_err(|e| open_error(path, kind, e))?;
            read_plain(path, ods, &formats, limits)
        }
        _ => {
            check_shared_strings(path, &mut zip, limits)?;
            let sheets = layout::workbook_sheets(&mut zip).unwrap_or_default();
            count_cells_ahead(path, &mut zip, &sheets, limits)?;
            let macro_sheet = |s: &SheetEntry| s.kind.contains("macrosheet");
            if sheets.iter().any(macro_sheet) {
                // The reader refuses a workbook listing a macro sheet; it gets one whose relationships
                // call those sheets dialog sheets (which it lists and never reads).
                let bytes = without_macro_relationships(&mut zip).map_err(|e| not_a_spreadsheet(path, kind, e))?;
                let macros: Vec<String> = sheets.iter().filter(|s| macro_sheet(s)).map(|s| s.name.clone()).collect();
                let xlsx = Xlsx::new(Cursor::new(bytes.as_slice())).map_err(|e| open_error(path, kind, e))?;
                return read_xlsx(path, xlsx, Source::Memory(&bytes), &macros, detail, limits);
            }
            let xlsx = Xlsx::new(zip.into_inner()).map_err(|e| open_error(path, kind, e))?;
            read_xlsx(path, xlsx, Source::File(path), &[], detail, limits)
        }
    }
}

fn open_error(path: &Path, kind: FileKind, error: impl std::fmt::Display) -> Error {
    let text = error.to_string();
    if text.to_lowercase().contains("password") {
        return Error::PasswordProtected { path: path.to_path_buf() };
    }
    not_a_spreadsheet(path, kind, text)
}

/// The reader reserves room for the shared strings an .xlsx declares before reading them: a count
/// beyond what the part's size can hold (or beyond the cells a workbook may have) is refused.
fn check_shared_strings<R: Read + Seek>(path: &Path, zip: &mut ZipArchive<R>, limits: &ReadLimits) -> Result<()> {
    let Some(index) = zip.index_for_name("xl/sharedStrings.xml") else { return Ok(()) };
    let Ok(part) = zip.by_index(index) else { return Ok(()) };
    let size = part.size();
    let mut head = Vec::new();
    if part.take(64 * 1024).read_to_end(&mut head).is_err() {
        return Ok(()); // the reader reports it
    }
    let mut xml = quick_xml::Reader::from_reader(head.as_slice());
    let mut buf = Vec::new();
    let declared = loop {
        match xml.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == "sst" =>
            {
                break e
                    .attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == "uniqueCount")
                    .and_then(|a| a.value.trim().parse::<u64>().ok());
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => break None,
            _ => buf.clear(),
        }
    };
    // Every shared string takes at least `<si><t/></si>`, 13 bytes.
    let max = (size / 13 + 1).min(limits.max_cells_per_workbook);
    match declared {
        Some(declared) if declared > max => Err(too_large(path, None, Limit::SharedStrings { declared, max })),
        _ => Ok(()),
    }
}

/// Fewer bytes than any cell with a value takes in sheet XML (`<c><v>1</v></c>` is 15).
const MIN_CELL_BYTES: u64 = 11;

/// Sheets whose XML is large enough to hold more cells than allowed have their values counted
/// first, a plain scan of the inflated text far cheaper than parsing it: five million cells are
/// refused in a fraction of the time reading them would take. Smaller sheets cannot pass the
/// bound and are not scanned.
fn count_cells_ahead<R: Read + Seek>(
    path: &Path,
    zip: &mut ZipArchive<R>,
    sheets: &[SheetEntry],
    limits: &ReadLimits,
) -> Result<()> {
    let mut sizes = Vec::new();
    for sheet in sheets.iter().filter(|s| s.kind == "worksheet") {
        if let Some(index) = zip.index_for_name(&sheet.part) {
            if let Ok(entry) = zip.by_index_data(index) {
                sizes.push((sheet, index, entry.size() / MIN_CELL_BYTES));
            }
        }
    }
    let total: u64 = sizes.iter().map(|(_, _, most)| most).sum();
    if total <= limits.max_cells_per_workbook && sizes.iter().all(|(_, _, most)| *most <= limits.max_cells_per_sheet) {
        return Ok(());
    }
    let mut counted = 0u64;
    for (sheet, index, most) in sizes {
        // A sheet that could pass a bound is scanned; the others cannot matter (the sum of
        // everything's most being within the workbook's bound).
        let scan = most > limits.max_cells_per_sheet || total > limits.max_cells_per_workbook;
        let cells = match scan {
            true => match zip.by_index(index).map(count_values) {
                Ok(Ok(cells)) => cells,
                _ => return Ok(()), // the reader reports it
            },
            false => most,
        };
        if cells > limits.max_cells_per_sheet {
            return Err(too_large(
                path,
                Some(&sheet.name),
                Limit::SheetCells { found: cells, max: limits.max_cells_per_sheet },
            ));
        }
        counted = counted.saturating_add(cells);
        // Refused as soon as the bound is passed: a part listed as many sheets is not counted again and again.
        if counted > limits.max_cells_per_workbook {
            return Err(too_large(path, None, Limit::WorkbookCells { found: counted, max: limits.max_cells_per_workbook }));
        }
    }
    Ok(())
}

/// How many `<v>` and `<is>` elements (a cell's value, an inline string) some sheet XML holds,
/// with a namespace prefix (`<x:v>`) or not.
fn count_values(mut part: impl Read) -> std::io::Result<u64> {
    const KEEP: usize = 16; // a tag cut in two by a chunk's end is looked at again whole
    let mut buf = vec![0u8; 256 * 1024];
    let mut carry = 0usize;
    let mut count = 0u64;
    loop {
        let n = part.read(&mut buf[carry..])?;
        let end = carry + n;
        let last = n == 0;
        let chunk = &buf[..end];
        let mut at = 0;
        while let Some(offset) = chunk[at..].iter().position(|&b| b == b'<') {
            let tag = at + offset;
            if !last && tag + KEEP > end {
                break;
            }
            let rest = &chunk[tag + 1..];
            let name = match rest.iter().take(10).position(|&b| b == b':') {
                Some(colon) if rest[..colon].iter().all(u8::is_ascii_alphanumeric) => &rest[colon + 1..],
                _ => rest,
            };
            if name.starts_with(b"v>") || name.starts_with(b"is>") {
                count += 1;
            }
            at = tag + 1;
        }
        if last {
            return Ok(count);
        }
        // What was not looked at (at most a tag's start) goes first in the next round.
        let keep = end - at.max(end.saturating_sub(KEEP));
        buf.copy_within(end - keep..end, 0);
        carry = keep;
    }
}

/// A copy of the package (parts copied as they are, compressed) whose workbook relationships call
/// its macro sheets dialog sheets.
fn without_macro_relationships<R: Read + Seek>(zip: &mut ZipArchive<R>) -> std::result::Result<Vec<u8>, String> {
    const RELS: &str = "xl/_rels/workbook.xml.rels";
    const DIALOG: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet";
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let file = zip.by_index_raw(i).map_err(|e| e.to_string())?;
        if file.name_raw() != RELS.as_bytes() {
            out.raw_copy_file(file).map_err(|e| e.to_string())?;
            continue;
        }
        drop(file);
        let mut text = String::new();
        zip.by_index(i).map_err(|e| e.to_string())?.read_to_string(&mut text).map_err(|e| e.to_string())?;
        for kind in ["xlMacrosheet", "xlIntlMacrosheet"] {
            text = text.replace(&format!("http://schemas.microsoft.com/office/2006/relationships/{kind}"), DIALOG);
        }
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        out.start_file(RELS, options).map_err(|e| e.to_string())?;
        out.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
    }
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

/// The kind of a sheet as the reader lists it (a macro sheet shows as a dialog sheet once its
/// relationship is rewritten; `macros` names those); `None` for VBA modules, which are no sheets.
fn kind_of(typ: SheetType, name: &str, macros: &[String]) -> Option<SheetKind> {
    if macros.iter().any(|m| m == name) {
        return Some(SheetKind::Macro);
    }
    match typ {
        SheetType::WorkSheet => Some(SheetKind::Worksheet),
        SheetType::ChartSheet => Some(SheetKind::Chart),
        SheetType::MacroSheet => Some(SheetKind::Macro),
        SheetType::DialogSheet => Some(SheetKind::Dialog),
        SheetType::Vba => None,
    }
}

/// .xlsx/.xlsm: values and number formats in one pass over each sheet's XML, while a second pass on
/// the other core reads what calamine does not give (widths, heights, merges, formula texts).
fn read_xlsx<RS: Read + Seek>(
    path: &Path,
    mut xlsx: Xlsx<RS>,
    source: Source<'_>,
    macros: &[String],
    detail: Detail,
    limits: &ReadLimits,
) -> Result<Vec<Grid>> {
    let sheets: Vec<(String, Option<SheetKind>)> =
        xlsx.sheets_metadata().iter().map(|s| (s.name.clone(), kind_of(s.typ, &s.name, macros))).collect();
    check_sheet_count(path, sheets.len(), limits)?;
    let sheets: Vec<(String, SheetKind)> = sheets.into_iter().filter_map(|(name, kind)| Some((name, kind?))).collect();
    let worksheets: Vec<String> =
        sheets.iter().filter(|(_, kind)| *kind == SheetKind::Worksheet).map(|(name, _)| name.clone()).collect();
    // Set when the cells' reader refuses the workbook: the layouts' reader stops too.
    let stop = AtomicBool::new(false);
    // Read from a file (not a copy made in memory), the sheets can be read again.
    let file = match source {
        Source::File(path) => SheetFile::of(path).map(Arc::new),
        Source::Memory(_) => None,
    };
    let (layouts, cells) = crate::parallel::both(
        || {
            // Formula texts are read for a check too: the results a file lacks are computed from them.
            quietly(|| source.open().map_err(|e| e.to_string()).and_then(|input| read_xlsx_layouts(input, &worksheets, &stop)))
                .unwrap_or_else(|panic| Err(format!("layout reader: {panic}")))
        },
        || read_all_xlsx_cells(&mut xlsx, source, &worksheets, limits, &stop),
    );
    let cells = cells.map_err(|(name, limit)| too_large(path, Some(name), limit))?;
    let layouts = layouts.map_err(|detail| not_a_spreadsheet(path, FileKind::Xlsx, detail))?;
    let mut read: HashMap<&str, Grid> = HashMap::with_capacity(worksheets.len());
    let mut merged = Budget::new(limits);
    for ((name, cells), layout) in worksheets.iter().zip(cells).zip(layouts) {
        let grid = match (cells, layout) {
            (Ok(SheetCells { rows, looks, in_order }), Ok(mut layout)) => {
                let merges = std::mem::take(&mut layout.merges);
                merged.merges(&merges).map_err(|limit| too_large(path, Some(name), limit))?;
                let mut grid = Grid::new(name.as_str(), rows, merges).with_layout(layout, looks);
                grid.file = file.as_ref().filter(|_| in_order).map(Arc::clone);
                grid
            }
            (Err(detail), _) | (_, Err(detail)) => Grid::of_kind(name, SheetKind::Unreadable(detail)),
        };
        read.insert(name, grid);
    }
    let mut grids: Vec<Grid> = sheets
        .iter()
        .map(|(name, kind)| match kind {
            SheetKind::Worksheet => read.remove(name.as_str()).unwrap_or_else(|| Grid::of_kind(name, SheetKind::Worksheet)),
            other => Grid::of_kind(name, other.clone()),
        })
        .collect();
    formula::settle(&mut grids);
    if detail == Detail::Values {
        // Only a copy needs widths, heights and formula texts; a million-row sheet's are large.
        for grid in &mut grids {
            grid.layout = SheetLayout::default();
        }
    }
    Ok(grids)
}

/// Every worksheet's cells within the budget: a sheet the reader fails on (or panics on) is that
/// sheet's error alone; a bound passed refuses the workbook, naming the sheet, and sets `stop`.
fn read_all_xlsx_cells<'n, RS: Read + Seek>(
    xlsx: &mut Xlsx<RS>,
    source: Source<'_>,
    worksheets: &'n [String],
    limits: &ReadLimits,
    stop: &AtomicBool,
) -> std::result::Result<Vec<std::result::Result<SheetCells, String>>, (&'n str, Limit)> {
    let mut budget = Budget::new(limits);
    let mut cells = Vec::with_capacity(worksheets.len());
    let is_1904 = xlsx.has_1904_epoch();
    let mut scanned = quietly(|| source.open().ok().and_then(|input| ScannedBook::open(input, is_1904))).ok().flatten();
    for name in worksheets {
        let read = quietly(|| read_xlsx_cells(xlsx, name, scanned.as_mut(), &mut budget, limits))
            .unwrap_or_else(|panic| Err(SheetError::Reader(format!("internal error: {panic}"))));
        match read {
            Ok(read) => cells.push(Ok(read)),
            Err(SheetError::Limit(limit)) => {
                stop.store(true, Ordering::Relaxed);
                return Err((name, limit));
            }
            Err(SheetError::Reader(detail)) => cells.push(Err(detail)),
        }
        budget.finish_sheet();
    }
    Ok(cells)
}

/// Reservation caps, so a sheet claiming to be a million rows wide costs nothing up front.
pub(crate) const MAX_RESERVED_ROWS: u32 = 1 << 16;
pub(crate) const MAX_RESERVED_WIDTH: u32 = 64;

/// Puts `cell` at (`row`, `col`), growing the rows as needed and spending what grows on `budget`.
pub(crate) fn place(
    rows: &mut Vec<Vec<GridCell>>,
    row: u32,
    col: u32,
    cell: GridCell,
    width: usize,
    budget: &mut Budget,
) -> std::result::Result<(), Limit> {
    check_position(row, col)?;
    while rows.len() <= row as usize {
        rows.push(Vec::new());
    }
    // A new row is likely as wide as the one above it: room for that at once, no regrowing.
    let above = match row {
        0 => 0,
        _ => rows[row as usize - 1].len(),
    };
    let target = &mut rows[row as usize];
    if target.len() <= col as usize {
        budget.sheet((col as usize + 1 - target.len()) as u64)?;
        if target.capacity() == 0 {
            target.reserve_exact(width.max(above).max(col as usize + 1));
        }
        target.resize(col as usize + 1, GridCell::default());
    }
    target[col as usize] = cell;
    Ok(())
}

/// The cell at `col` of a row, the row widened with empty cells to reach it.
pub(crate) fn cell_at(cells: &mut Vec<GridCell>, col: u32) -> &mut GridCell {
    let col = col as usize;
    if cells.len() <= col {
        cells.resize(col + 1, GridCell::default());
    }
    &mut cells[col]
}

/// A sheet's cells, by the tag scanner where it reads them as calamine would ([`crate::read::xlsx_cells`]),
/// by calamine's cell reader otherwise.
fn read_xlsx_cells<RS: Read + Seek>(
    xlsx: &mut Xlsx<RS>,
    name: &str,
    scanned: Option<&mut ScannedBook<impl Read + Seek>>,
    budget: &mut Budget,
    limits: &ReadLimits,
) -> std::result::Result<SheetCells, SheetError> {
    let mut reader = xlsx.worksheet_cells_reader(name)?;
    if let Some(book) = scanned {
        // A panic in the scanner leaves the sheet to calamine, the budget as it was.
        if let Ok(Some(cells)) = quietly(|| book.read_sheet(name, reader.styles(), budget, limits)) {
            return Ok(cells);
        }
    }
    let mut maker = CellMaker::default();
    // The sheet states its size up front; reserving it (within reason) saves regrowing vectors.
    let size = reader.dimensions();
    let width = (size.end.1.saturating_add(1)).min(MAX_RESERVED_WIDTH) as usize;
    let mut rows: Vec<Vec<GridCell>> =
        Vec::with_capacity((size.end.0.saturating_add(1)).min(MAX_RESERVED_ROWS) as usize);
    let mut in_order = true;
    // The reader's errors name no cell: the last one read tells the user where to look.
    let mut last_read: Option<(u32, u32)> = None;
    let after = |last: Option<(u32, u32)>, error: calamine::XlsxError| {
        let place = last.map_or_else(|| "第一个单元格处 / at the first cell".to_string(), |(r, c)| format!("单元格 {} 之后 / after cell {0}", a1(r, c)));
        SheetError::Reader(format!("{error}（{place}）"))
    };
    while let Some((cell, style_id)) = reader.next_cell_with_style_id().map_err(|e| after(last_read, e))? {
        let (row, col) = cell.get_position();
        in_order &= last_read.is_none_or(|(last_row, _)| last_row <= row);
        last_read = Some((row, col));
        let cell = maker.make(cell.get_value(), style_id, reader.styles());
        if let Value::Text(text) = &cell.value {
            check_text(text, row, col, limits).map_err(SheetError::Limit)?;
        }
        place(&mut rows, row, col, cell, width, budget).map_err(SheetError::Limit)?;
    }
    Ok(SheetCells { rows, looks: maker.looks, in_order })
}

/// What one pass over an .xlsx sheet's cells gives.
#[derive(Debug)]
pub(crate) struct SheetCells {
    pub(crate) rows: Vec<Vec<GridCell>>,
    pub(crate) looks: Vec<CellLook>,
    /// Whether no cell came in a row above the one before it, as every writer puts them: the cells
    /// can then be read again row by row ([`crate::read::again`]).
    pub(crate) in_order: bool,
}

/// Makes grid cells of an .xlsx reader's cells: texts shared, number formats and looks by style.
/// The same for the first read of a sheet and a second one, which then numbers the looks alike.
pub(crate) struct CellMaker {
    /// Indexed by style id: a sheet uses few styles, and this runs once per cell.
    by_style: Vec<Option<(Option<NumberFormat>, u16)>>,
    pub(crate) looks: Vec<CellLook>,
    texts: Texts,
}

impl Default for CellMaker {
    fn default() -> CellMaker {
        CellMaker { by_style: Vec::new(), looks: vec![CellLook::default()], texts: Texts::default() }
    }
}

impl CellMaker {
    pub(crate) fn make(&mut self, data: &DataRef<'_>, style_id: usize, styles: &[calamine::Style]) -> GridCell {
        // A cell element without a value is kept (with its format): it is most likely a formula
        // whose result the file does not hold, which the formulas' pass may compute.
        let value = value_of_ref(data, &mut self.texts);
        self.make_value(value, style_id, styles)
    }

    /// `text` as a cell's: one block for a short text met again.
    pub(crate) fn share(&mut self, text: &str) -> Arc<str> {
        self.texts.share(text)
    }

    pub(crate) fn make_value(&mut self, value: Value, style_id: usize, styles: &[calamine::Style]) -> GridCell {
        // A style the workbook does not have is the default one.
        let style_id = if style_id < styles.len() { style_id } else { 0 };
        if self.by_style.len() <= style_id {
            self.by_style.resize(style_id + 1, None);
        }
        let looks = &mut self.looks;
        let (format, look) = *self.by_style[style_id].get_or_insert_with(|| {
            let style = styles.get(style_id);
            let look = look_of(style);
            let index = looks.iter().position(|l| *l == look).unwrap_or_else(|| {
                looks.push(look);
                looks.len() - 1
            });
            let format = style.and_then(|s| s.number_format.as_ref()).and_then(|f| NumberFormat::parse(&f.format_code));
            (format, u16::try_from(index).unwrap_or(0))
        });
        GridCell { value, format, look }
    }
}

/// .xlsb: values only, streamed cell by cell (no number formats or merges are exposed for it).
fn read_xlsb(path: &Path, reader: BufReader<File>, limits: &ReadLimits) -> Result<Vec<Grid>> {
    let mut xlsb = Xlsb::new(reader).map_err(|e| open_error(path, FileKind::Xlsb, e))?;
    let sheets: Vec<(String, Option<SheetKind>)> =
        xlsb.sheets_metadata().iter().map(|s| (s.name.clone(), kind_of(s.typ, &s.name, &[]))).collect();
    each_sheet(path, sheets, limits, |name, budget| {
        let read = quietly(|| -> std::result::Result<Vec<Vec<GridCell>>, SheetError> {
            let mut cells = xlsb.worksheet_cells_reader(name)?;
            let mut rows = Vec::new();
            let mut texts = Texts::default();
            while let Some(cell) = cells.next_cell()? {
                let (row, col) = cell.get_position();
                let value = value_of_ref(cell.get_value(), &mut texts);
                if value == Value::Empty {
                    continue;
                }
                if let Value::Text(text) = &value {
                    check_text(text, row, col, limits).map_err(SheetError::Limit)?;
                }
                place(&mut rows, row, col, GridCell { value, format: None, look: 0 }, 8, budget).map_err(SheetError::Limit)?;
            }
            Ok(rows)
        })
        .unwrap_or_else(|panic| Err(SheetError::Reader(format!("internal error: {panic}"))));
        match read {
            Ok(rows) => Ok(Grid::new(name, rows, Vec::new())),
            Err(SheetError::Limit(limit)) => Err(too_large(path, Some(name), limit)),
            Err(SheetError::Reader(detail)) => Ok(Grid::of_kind(name, SheetKind::Unreadable(detail))),
        }
    })
}

/// Every sheet in workbook order: a chart, macro or dialog sheet as an empty grid of its kind, each
/// worksheet as `read` reads it, all within one budget (the loop of the .xlsb and .ods readers).
fn each_sheet(
    path: &Path,
    sheets: Vec<(String, Option<SheetKind>)>,
    limits: &ReadLimits,
    mut read: impl FnMut(&str, &mut Budget) -> Result<Grid>,
) -> Result<Vec<Grid>> {
    check_sheet_count(path, sheets.len(), limits)?;
    let mut budget = Budget::new(limits);
    let mut grids = Vec::with_capacity(sheets.len());
    for (name, kind) in sheets {
        let Some(kind) = kind else { continue };
        if kind != SheetKind::Worksheet {
            grids.push(Grid::of_kind(&name, kind));
            continue;
        }
        grids.push(read(&name, &mut budget)?);
        budget.finish_sheet();
    }
    Ok(grids)
}

/// .ods: the reader builds every sheet as a dense range while opening the file, expanding repeated
/// rows and columns; what that would allocate is measured first, streaming content.xml.
fn check_ods<R: Read + Seek>(path: &Path, zip: &mut ZipArchive<R>, limits: &ReadLimits) -> Result<()> {
    use quick_xml::events::{BytesStart, Event};
    let Ok(part) = zip.by_name("content.xml") else { return Ok(()) };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut ods = OdsExtent::new(limits);
    let number = |e: &BytesStart<'_>, key: &str, max: u32| repeat_count(e, key, u64::from(max));
    let holds = |e: &BytesStart<'_>| {
        e.attributes().flatten().any(|a| matches!(a.key.as_ref(), "office:value-type" | "table:formula"))
    };
    let refuse = |limit| too_large(path, None, limit);
    loop {
        let Ok(event) = xml.read_event_into(&mut buf) else { return Ok(()) }; // the reader reports it
        let (start, content) = match &event {
            Event::Start(e) => (Some(e), true),
            Event::Empty(e) => (Some(e), false),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.name().as_ref() {
                "table:table" => {
                    ods.sheets += 1;
                    check_sheet_count(path, ods.sheets as usize, limits)?;
                    ods.start_table();
                }
                "table:table-row" => ods.start_row(number(e, "table:number-rows-repeated", EXCEL_ROWS)),
                "table:table-cell" | "table:covered-table-cell" => {
                    // A cell with content or a value counts, and every column before it.
                    ods.cell(number(e, "table:number-columns-repeated", EXCEL_COLUMNS), content || holds(e));
                }
                _ => {}
            }
            if !content && e.name().as_ref() == "table:table-row" {
                ods.end_row().map_err(refuse)?;
            }
        }
        match &event {
            Event::End(e) if e.name().as_ref() == "table:table-row" => ods.end_row().map_err(refuse)?,
            Event::End(e) if e.name().as_ref() == "table:table" => ods.end_table().map_err(refuse)?,
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// What an .ods reader allocates, table by table: each row's cells up to its last value, then the
/// table as a dense range with repeated rows expanded.
struct OdsExtent {
    budget: Budget,
    sheets: u64,
    row: u64,
    rows: Option<(u64, u64)>,
    last_col: u64,
    repeat: u64,
    col: u64,
    extent: u64,
}

impl OdsExtent {
    fn new(limits: &ReadLimits) -> OdsExtent {
        OdsExtent {
            budget: Budget::new(limits),
            sheets: 0,
            row: 0,
            rows: None,
            last_col: 0,
            repeat: 1,
            col: 0,
            extent: 0,
        }
    }

    fn start_table(&mut self) {
        (self.row, self.rows, self.last_col) = (0, None, 0);
    }

    fn start_row(&mut self, repeat: u64) {
        (self.repeat, self.col, self.extent) = (repeat, 0, 0);
    }

    fn cell(&mut self, span: u64, holds: bool) {
        self.col = self.col.saturating_add(span);
        if holds {
            self.extent = self.col;
        }
    }

    fn end_row(&mut self) -> std::result::Result<(), Limit> {
        if self.extent > 0 {
            self.budget.sheet(self.extent)?;
            let last = self.row + self.repeat - 1;
            self.rows = Some(self.rows.map_or((self.row, last), |(first, _)| (first, last)));
            self.last_col = self.last_col.max(self.extent - 1);
        }
        self.row = (self.row + self.repeat).min(u64::from(EXCEL_ROWS));
        (self.repeat, self.extent) = (1, 0);
        Ok(())
    }

    fn end_table(&mut self) -> std::result::Result<(), Limit> {
        if let Some((first, last)) = self.rows {
            self.budget.sheet((last - first + 1).saturating_mul(self.last_col + 1))?;
        }
        self.budget.finish_sheet();
        Ok(())
    }
}

/// .ods: values from calamine, number formats from our own pass over its styles ([`read_ods_formats`]);
/// no merges are exposed for it.
fn read_plain<RS: Read + Seek>(path: &Path, mut workbook: Ods<RS>, formats: &OdsFormats, limits: &ReadLimits) -> Result<Vec<Grid>> {
    let sheets: Vec<(String, Option<SheetKind>)> =
        workbook.sheets_metadata().iter().map(|s| (s.name.clone(), kind_of(s.typ, &s.name, &[]))).collect();
    each_sheet(path, sheets, limits, |name, budget| match workbook.worksheet_range(name) {
        Ok(range) => grid_from_range(path, name, &range, &[], formats.get(name), budget, limits),
        Err(e) => Ok(Grid::of_kind(name, SheetKind::Unreadable(e.to_string()))),
    })
}

// ---------------------------------------------------------------------------------------------
// .xls: surveyed from its records, then read.

fn read_xls(path: &Path, mut bytes: Vec<u8>, limits: &ReadLimits) -> Result<Vec<Grid>> {
    let survey = match sniff::survey_xls(&mut bytes, limits.max_cells_per_sheet, limits.max_bytes) {
        Ok(survey) => survey,
        Err(XlsSurveyError::StreamTooLarge(found)) => {
            return Err(too_large(path, None, Limit::Bytes { found, max: limits.max_bytes }))
        }
        Err(XlsSurveyError::Truncated) => return Err(not_a_spreadsheet(path, FileKind::Truncated, "")),
        Err(XlsSurveyError::NoWorkbook) => return Err(not_a_spreadsheet(path, FileKind::OtherOle, "")),
        Err(XlsSurveyError::Malformed(detail)) => return Err(not_a_spreadsheet(path, FileKind::Xls, detail)),
    };
    check_sheet_count(path, survey.sheets.len(), limits)?;
    // What the reader will allocate while opening the file: a dense range of values and one of
    // formula texts for every sheet, from its first to its last cell.
    let mut budget = Budget::new(limits);
    for sheet in &survey.sheets {
        budget.sheet(sheet.span.max(sheet.formula_span)).map_err(|limit| too_large(path, Some(&sheet.name), limit))?;
        budget.finish_sheet();
    }
    let bytes = bytes;
    let mut xls = match Xls::new(Cursor::new(bytes.as_slice())) {
        Ok(xls) => xls,
        // A code page no one knows: read BIFF8 as UTF-16 (as its text is) and older workbooks as
        // GBK (the Chinese code page), rather than not at all.
        Err(e @ XlsError::Cfb(_)) if e.to_string().starts_with("Cfb error: Codepage") => {
            let mut options = XlsOptions::default();
            options.force_codepage = Some(if survey.biff8 { 1200 } else { 936 });
            Xls::new_with_options(Cursor::new(bytes.as_slice()), options)
                .map_err(|e| open_error(path, FileKind::Xls, e))?
        }
        Err(e) => return Err(open_error(path, FileKind::Xls, e)),
    };
    let sheets: Vec<(String, Option<SheetKind>)> =
        xls.sheets_metadata().iter().map(|s| (s.name.clone(), kind_of(s.typ, &s.name, &[]))).collect();
    let mut budget = Budget::new(limits);
    let mut grids = Vec::with_capacity(sheets.len());
    for (name, kind) in sheets {
        let Some(kind) = kind else { continue };
        if kind != SheetKind::Worksheet {
            grids.push(Grid::of_kind(&name, kind));
            continue;
        }
        match xls.worksheet_range(&name) {
            Ok(range) => {
                let merges = xls.merge_cells_by_sheet_name(&name).unwrap_or_default();
                let formats = survey.sheets.iter().find(|s| s.name == name).map(|s| &s.formats);
                grids.push(grid_from_range(path, &name, &range, &merges, formats, &mut budget, limits)?);
            }
            Err(e) => grids.push(Grid::of_kind(&name, SheetKind::Unreadable(e.to_string()))),
        }
        budget.finish_sheet();
    }
    Ok(grids)
}

/// A dense range as a grid: each row up to its last value, so blank stretches cost nothing.
/// `formats`: the number formats of its cells, where the file's own pass read them.
fn grid_from_range(
    path: &Path,
    name: &str,
    range: &calamine::Range<Data>,
    merges: &[Dimensions],
    formats: Option<&CellFormats>,
    budget: &mut Budget,
    limits: &ReadLimits,
) -> Result<Grid> {
    let refuse = |limit| too_large(path, Some(name), limit);
    let mut rows: Vec<Vec<GridCell>> = Vec::new();
    let mut texts = Texts::default();
    if let (Some((row0, col0)), Some(_)) = (range.start(), range.end()) {
        for (r, data_row) in range.rows().enumerate() {
            let Some(last) = data_row.iter().rposition(|d| !matches!(d, Data::Empty)) else { continue };
            let row = row0 + r as u32;
            for (c, data) in data_row[..=last].iter().enumerate() {
                let col = col0 + c as u32;
                let value = value_of(data, &mut texts);
                if value == Value::Empty {
                    continue;
                }
                if let Value::Text(text) = &value {
                    check_text(text, row, col, limits).map_err(refuse)?;
                }
                let format = match value {
                    Value::Number(_) => formats.and_then(|f| f.get(&(row, col))).copied(),
                    _ => None,
                };
                place(&mut rows, row, col, GridCell { value, format, look: 0 }, last + 1, budget)
                    .map_err(refuse)?;
            }
        }
    }
    let merges: Vec<Merge> = merges.iter().map(merge_of).collect();
    budget.merges(&merges).map_err(refuse)?;
    Ok(Grid::new(name, rows, merges))
}

/// A date as people write it (`2024-03-01`, `2024-03-01 14:30:00`); a duration as its serial number.
pub(crate) fn date_text(date: &calamine::ExcelDateTime) -> String {
    if date.is_duration() {
        return date.to_string();
    }
    let (year, month, day, hour, minute, second, _) = date.to_ymd_hms_milli();
    match (hour, minute, second) {
        (0, 0, 0) => format!("{year:04}-{month:02}-{day:02}"),
        _ => format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}"),
    }
}

/// One block for each short text a sheet repeats (a department down its column, the same reason
/// given again and again), shared by every cell showing it: a million-row list held 64 MB of copies
/// of its department and reason columns.
#[derive(Default)]
struct Texts {
    seen: std::collections::HashSet<Arc<str>>,
}

/// Texts remembered at once; past them the memory starts afresh, so that a column of unique names
/// never keeps the texts met later from being shared.
const SHARED_TEXTS: usize = 1 << 14;
/// Longer texts (descriptions, notes) are seldom repeated.
const SHARED_TEXT_BYTES: usize = 64;

impl Texts {
    fn share(&mut self, text: &str) -> Arc<str> {
        if text.len() > SHARED_TEXT_BYTES {
            return Arc::from(text);
        }
        if let Some(shared) = self.seen.get(text) {
            return Arc::clone(shared);
        }
        if self.seen.len() == SHARED_TEXTS {
            self.seen.clear();
        }
        let shared: Arc<str> = Arc::from(text);
        self.seen.insert(Arc::clone(&shared));
        shared
    }
}

fn value_of(data: &Data, texts: &mut Texts) -> Value {
    match data {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::Text(texts.share(s)),
        Data::Bool(b) => Value::Bool(*b),
        Data::Error(e) => Value::Error(e.to_string().into()),
        Data::DateTime(d) => Value::Date(date_text(d).into()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Date(s.as_str().into()),
    }
}

fn value_of_ref(data: &DataRef<'_>, texts: &mut Texts) -> Value {
    match data {
        DataRef::Empty => Value::Empty,
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::String(s) => Value::Text(texts.share(s)),
        DataRef::SharedString(s) => Value::Text(texts.share(s)),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::Error(e) => Value::Error(e.to_string().into()),
        DataRef::DateTime(d) => Value::Date(date_text(d).into()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Date(s.as_str().into()),
    }
}

fn look_of(style: Option<&calamine::Style>) -> CellLook {
    let Some(style) = style else { return CellLook::default() };
    let number_format = style
        .number_format
        .as_ref()
        .map(|f| f.format_code.clone())
        .filter(|code| !code.eq_ignore_ascii_case("general"));
    CellLook {
        number_format,
        bold: style.font.as_ref().is_some_and(|f| f.is_bold()),
        wrap: style.alignment.as_ref().is_some_and(|a| a.wrap_text),
        horizontal: style.alignment.as_ref().map_or(Align::Default, |a| match a.horizontal {
            calamine::HorizontalAlignment::Left => Align::Start,
            calamine::HorizontalAlignment::Center | calamine::HorizontalAlignment::CenterContinuous => Align::Center,
            calamine::HorizontalAlignment::Right => Align::End,
            _ => Align::Default,
        }),
        vertical: style.alignment.as_ref().map_or(Align::Default, |a| match a.vertical {
            calamine::VerticalAlignment::Top => Align::Start,
            calamine::VerticalAlignment::Center => Align::Center,
            _ => Align::Default,
        }),
    }
}

/// Each sheet of an .xlsx as the tag scanner reads it (`None` where it leaves the sheet to calamine)
/// and as calamine's cell reader reads it, written out.
#[cfg(test)]
pub(crate) fn sheets_read_both_ways(bytes: &[u8]) -> std::result::Result<Vec<(String, Option<String>, String)>, String> {
    let mut xlsx = Xlsx::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut book = ScannedBook::open(Cursor::new(bytes), xlsx.has_1904_epoch());
    let limits = ReadLimits::default();
    let mut sheets = Vec::new();
    for name in xlsx.sheet_names() {
        let scanned = match xlsx.worksheet_cells_reader(&name) {
            Ok(reader) => book.as_mut().and_then(|b| b.read_sheet(&name, reader.styles(), &mut Budget::new(&limits), &limits)),
            Err(_) => continue,
        };
        // calamine panics on some references (a column of many letters overflows in a debug build);
        // the reader's callers catch it (`quietly`), and so does this.
        let read = match quietly(|| read_xlsx_cells(&mut xlsx, &name, None::<&mut ScannedBook<Cursor<&[u8]>>>, &mut Budget::new(&limits), &limits)) {
            Ok(Ok(cells)) => format!("{cells:?}"),
            Ok(Err(SheetError::Reader(e))) => format!("error {e}"),
            Ok(Err(SheetError::Limit(limit))) => format!("limit {limit:?}"),
            Err(panic) => format!("panic {panic}"),
        };
        sheets.push((name, scanned.map(|cells| format!("{cells:?}")), read));
    }
    Ok(sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_met_again_is_one_block() {
        let mut texts = Texts::default();
        let first = texts.share("综合办公室");
        assert!(Arc::ptr_eq(&first, &texts.share("综合办公室")));
        let long = "说明".repeat(SHARED_TEXT_BYTES);
        assert!(!Arc::ptr_eq(&texts.share(&long), &texts.share(&long)), "long texts are not remembered");
        for i in 0..SHARED_TEXTS {
            texts.share(&format!("项目{i}"));
        }
        // Past the texts remembered at once the memory starts afresh and shares again.
        let again = texts.share("综合办公室");
        assert!(!Arc::ptr_eq(&first, &again));
        assert!(Arc::ptr_eq(&again, &texts.share("综合办公室")));
        assert_eq!(&*again, "综合办公室");
    }

    #[test]
    fn number_formats_tell_decimals_and_percent() {
        let parse = |code| NumberFormat::parse(code);
        assert_eq!(parse("General"), None);
        assert_eq!(parse("0.00%"), Some(NumberFormat { decimals: 2, percent: true }));
        assert_eq!(parse("#,##0.00"), Some(NumberFormat { decimals: 2, percent: false }));
        assert_eq!(parse("#,##0.00_ ;[Red]\\-#,##0.00\\ "), Some(NumberFormat { decimals: 2, percent: false }));
        assert_eq!(parse("0"), Some(NumberFormat { decimals: 0, percent: false }));
        assert_eq!(parse("0.0\"万元\""), Some(NumberFormat { decimals: 1, percent: false }));
        assert_eq!(parse("\"%\"0.00"), Some(NumberFormat { decimals: 2, percent: false }));
    }

    #[test]
    fn covered_cells_show_their_anchor() {
        let mut grid = Grid::from_values(
            "s",
            vec![vec![Value::Text("综合办公室".into())], vec![Value::Empty], vec![Value::Empty]],
        );
        grid = Grid::new("s", grid.rows, vec![Merge { first_row: 0, first_col: 0, last_row: 1, last_col: 0 }]);
        assert_eq!(grid.visible(1, 0).value, Value::Text("综合办公室".into()));
        assert!(grid.is_merged_from_above(1, 0));
        assert!(!grid.is_merged_from_above(0, 0));
        assert_eq!(grid.visible(2, 0).value, Value::Empty);
    }

    // ----- reading what strangers send ---------------------------------------------------------

    use std::path::PathBuf;

    use zip::write::SimpleFileOptions;
    use zip::ZipWriter;

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// A file in a fresh temporary folder.
    fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("budgetlint-grid-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn zip_of(parts: &[(&str, String)]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            zip.start_file(*name, SimpleFileOptions::default()).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// An .xlsx of sheets given as (name, relationship type, part under xl/, xml), plus extra parts.
    fn xlsx_with(sheets: &[(&str, &str, &str, String)], extra: &[(&str, String)]) -> Vec<u8> {
        let mut parts = vec![
            ("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>".to_string()),
            (
                "_rels/.rels",
                format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{RELS}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
            ),
        ];
        let entries: String = sheets
            .iter()
            .enumerate()
            .map(|(i, (name, _, _, _))| format!("<sheet name=\"{name}\" sheetId=\"{}\" r:id=\"rId{}\"/>", i + 1, i + 1))
            .collect();
        parts.push((
            "xl/workbook.xml",
            format!("<workbook xmlns=\"{MAIN}\" xmlns:r=\"{RELS}\"><sheets>{entries}</sheets></workbook>"),
        ));
        let rels: String = sheets
            .iter()
            .enumerate()
            .map(|(i, (_, kind, part, _))| {
                format!("<Relationship Id=\"rId{}\" Type=\"{kind}\" Target=\"{part}\"/>", i + 1)
            })
            .collect();
        parts.push((
            "xl/_rels/workbook.xml.rels",
            format!("<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{rels}</Relationships>"),
        ));
        let mut owned: Vec<(String, String)> = parts.into_iter().map(|(n, d)| (n.to_string(), d)).collect();
        owned.extend(sheets.iter().map(|(_, _, part, xml)| (format!("xl/{part}"), xml.clone())));
        owned.extend(extra.iter().map(|(n, d)| (n.to_string(), d.clone())));
        let borrowed: Vec<(&str, String)> = owned.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
        zip_of(&borrowed)
    }

    fn sheet(cells: &str) -> String {
        format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{cells}</sheetData></worksheet>")
    }

    fn worksheet(
        name: &'static str,
        part: &'static str,
        xml: String,
    ) -> (&'static str, &'static str, &'static str, String) {
        (name, "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet", part, xml)
    }

    const TABLE: &str =
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>项目名称</t></is></c><c r=\"B1\"><v>12.5</v></c></row>";

    fn kinds(grids: &[Grid]) -> Vec<(&str, SheetKind)> {
        grids.iter().map(|g| (g.name.as_str(), g.kind.clone())).collect()
    }

    #[test]
    fn chart_macro_and_dialog_sheets_are_kept_empty_in_order() {
        let chart = "<chartsheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><drawing r:id=\"rId1\"/></chartsheet>".to_string();
        let macro_sheet = "<xm:macrosheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:xm=\"http://schemas.microsoft.com/office/excel/2006/main\"><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row></sheetData></xm:macrosheet>".to_string();
        let bytes = xlsx_with(
            &[
                (
                    "图表1",
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet",
                    "chartsheets/sheet1.xml",
                    chart,
                ),
                worksheet("附件1", "worksheets/sheet2.xml", sheet(TABLE)),
                (
                    "Macro1",
                    "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
                    "macrosheets/sheet3.xml",
                    macro_sheet,
                ),
                (
                    "Dialog1",
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet",
                    "dialogsheets/sheet4.xml",
                    "<dialogsheet/>".into(),
                ),
            ],
            &[],
        );
        for name in ["book.xlsx", "book.xlsm", "misnamed.xls"] {
            let path = temp_file(name, &bytes);
            for grids in [read_grids(&path).unwrap(), read_grids_with_layout(&path).unwrap()] {
                assert_eq!(
                    kinds(&grids),
                    [
                        ("图表1", SheetKind::Chart),
                        ("附件1", SheetKind::Worksheet),
                        ("Macro1", SheetKind::Macro),
                        ("Dialog1", SheetKind::Dialog)
                    ]
                );
                assert_eq!(grids[1].cell(0, 1).value, Value::Number(12.5));
                assert!(grids.iter().filter(|g| g.kind != SheetKind::Worksheet).all(|g| g.height() == 0));
            }
        }
        // Charts alone: a workbook without data.
        let only_chart = xlsx_with(
            &[(
                "图表1",
                "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet",
                "chartsheets/sheet1.xml",
                "<chartsheet/>".into(),
            )],
            &[],
        );
        assert!(matches!(read_grids(&temp_file("chart.xlsx", &only_chart)), Err(Error::EmptyWorkbook { .. })));
    }

    #[test]
    fn a_sheet_the_reader_fails_on_does_not_fail_the_workbook() {
        let broken = format!("<worksheet xmlns=\"{MAIN}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&bogus;</t></is></c></row></sheetData></worksheet>");
        let bytes = xlsx_with(
            &[
                worksheet("坏", "worksheets/sheet1.xml", broken.clone()),
                worksheet("附件1", "worksheets/sheet2.xml", sheet(TABLE)),
            ],
            &[],
        );
        let path = temp_file("partly.xlsx", &bytes);
        for grids in [read_grids(&path).unwrap(), read_grids_with_layout(&path).unwrap()] {
            assert!(
                matches!(&grids[0].kind, SheetKind::Unreadable(detail) if detail.contains("bogus")),
                "{:?}",
                grids[0].kind
            );
            assert_eq!(grids[1].kind, SheetKind::Worksheet);
        }
        // The reader's error names no cell: the detail says after which cell reading stopped.
        let typed = sheet(r#"<row r="1"><c r="A1"><v>1</v></c><c r="B1" t="n"><v>1,000.5</v></c></row>"#);
        let path = temp_file("typed.xlsx", &xlsx_with(&[worksheet("附件1", "worksheets/sheet1.xml", typed)], &[]));
        let error = read_grids(&path).unwrap_err();
        assert!(matches!(&error, Error::UnreadableSheet { detail, .. } if detail.contains("单元格 A1 之后")), "{error:?}");
        // When no worksheet can be read, the first failure is the workbook's error.
        let bytes = xlsx_with(&[worksheet("坏", "worksheets/sheet1.xml", broken)], &[]);
        let error = read_grids(&temp_file("broken.xlsx", &bytes)).unwrap_err();
        assert!(matches!(&error, Error::UnreadableSheet { sheet, .. } if sheet == "坏"), "{error:?}");
        // A sheet whose part is missing.
        let missing = xlsx_with(&[worksheet("附件1", "worksheets/sheet2.xml", sheet(TABLE))], &[]);
        let mut zip = ZipArchive::new(Cursor::new(missing)).unwrap();
        let mut out = ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..zip.len() {
            let file = zip.by_index_raw(i).unwrap();
            if file.name_raw() != b"xl/worksheets/sheet2.xml" {
                out.raw_copy_file(file).unwrap();
            }
        }
        let error = read_grids(&temp_file("missing.xlsx", &out.finish().unwrap().into_inner())).unwrap_err();
        assert!(matches!(error, Error::UnreadableSheet { .. }), "{error:?}");
    }

    fn limits() -> ReadLimits {
        ReadLimits::default()
    }

    #[test]
    fn sizes_are_refused_from_the_central_directory() {
        let rows: String = (1..=200).map(|r| format!("<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c></row>")).collect();
        let path = temp_file("rows.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(&rows))], &[]));
        assert_eq!(read_grids(&path).unwrap()[0].height(), 200);
        let small = ReadLimits { max_bytes: 2_000, ..limits() };
        let error = read_grids_within(&path, &small).unwrap_err();
        assert!(
            matches!(&error, Error::TooLarge { limit: Limit::Bytes { max: 2_000, .. }, sheet: None, .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains("解压后的内容") && error.to_string().contains("rows.xlsx"), "{error}");
        assert!(error.message(crate::Lang::En).contains("uncompressed"), "{}", error.message(crate::Lang::En));
    }

    #[test]
    fn cells_sheets_text_and_merges_are_bounded() {
        let rows: String = (1..=100).map(|r| format!("<row r=\"{r}\"><c r=\"J{r}\"><v>{r}</v></c></row>")).collect();
        let path = temp_file("cells.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(&rows))], &[]));
        // Each row spans ten cells (A to J).
        assert!(read_grids_within(&path, &ReadLimits { max_cells_per_sheet: 1_000, ..limits() }).is_ok());
        let error = read_grids_within(&path, &ReadLimits { max_cells_per_sheet: 999, ..limits() }).unwrap_err();
        assert!(
            matches!(&error, Error::TooLarge { limit: Limit::SheetCells { .. }, sheet: Some(s), .. } if s == "S"),
            "{error:?}"
        );
        let two = xlsx_with(
            &[
                worksheet("S", "worksheets/sheet1.xml", sheet(&rows)),
                worksheet("T", "worksheets/sheet2.xml", sheet(&rows)),
            ],
            &[],
        );
        let two = temp_file("two.xlsx", &two);
        let error = read_grids_within(&two, &ReadLimits { max_cells_per_workbook: 1_500, ..limits() }).unwrap_err();
        assert!(matches!(&error, Error::TooLarge { limit: Limit::WorkbookCells { .. }, .. }), "{error:?}");
        let error = read_grids_within(&two, &ReadLimits { max_sheets: 1, ..limits() }).unwrap_err();
        assert!(matches!(&error, Error::TooLarge { limit: Limit::Sheets { found: 2, max: 1 }, .. }), "{error:?}");

        let long = format!("<row r=\"3\"><c r=\"B3\" t=\"inlineStr\"><is><t>{}</t></is></c></row>", "字".repeat(101));
        let path = temp_file("long.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(&long))], &[]));
        assert!(read_grids_within(&path, &ReadLimits { max_cell_chars: 101, ..limits() }).is_ok());
        let error = read_grids_within(&path, &ReadLimits { max_cell_chars: 100, ..limits() }).unwrap_err();
        assert!(
            matches!(&error, Error::TooLarge { limit: Limit::CellChars { cell, found: 101, .. }, .. } if cell == "B3"),
            "{error:?}"
        );

        let merged = format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{TABLE}</sheetData><mergeCells><mergeCell ref=\"C1:XFD1048576\"/></mergeCells></worksheet>");
        let path = temp_file("merged.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", merged)], &[]));
        for read in [read_grids(&path), read_grids_with_layout(&path)] {
            assert!(matches!(read, Err(Error::TooLarge { limit: Limit::MergedCells { .. }, .. })), "{read:?}");
        }

        // 600 merged cells a sheet: within the sheet's bound, past the workbook's on the second sheet.
        let merged = format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{TABLE}</sheetData><mergeCells><mergeCell ref=\"C1:C600\"/></mergeCells></worksheet>");
        let sheets = [worksheet("S", "worksheets/sheet1.xml", merged.clone()), worksheet("T", "worksheets/sheet2.xml", merged)];
        let path = temp_file("merged-twice.xlsx", &xlsx_with(&sheets, &[]));
        let bounded = ReadLimits { max_merged_cells_per_sheet: 1_000, max_merged_cells_per_workbook: 1_000, ..limits() };
        let error = read_grids_within(&path, &bounded).unwrap_err();
        assert!(
            matches!(&error, Error::TooLarge { limit: Limit::WorkbookMergedCells { found: 1_200, max: 1_000 }, sheet: Some(s), .. } if s == "T"),
            "{error:?}"
        );
        assert!(read_grids_within(&path, &ReadLimits { max_merged_cells_per_workbook: 1_200, ..bounded }).is_ok());
    }

    #[test]
    fn dates_read_as_people_write_them() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let date = |serial| date_text(&ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false));
        assert_eq!(date(45352.0), "2024-03-01");
        assert_eq!(date(45352.5), "2024-03-01 12:00:00");
    }

    #[test]
    fn what_stands_where_a_file_is_expected_is_named() {
        let dir = temp_file("x", b"").parent().unwrap().to_path_buf();
        let unopenable = |path: &Path| match read_grids(path) {
            Err(Error::Unopenable { detail, .. }) => detail,
            other => panic!("{other:?}"),
        };
        let folder = dir.join("folder.xlsx");
        std::fs::create_dir_all(&folder).unwrap();
        assert!(unopenable(&folder).contains("是文件夹"));
        let pipe = dir.join("pipe.xlsx");
        assert!(std::process::Command::new("mkfifo").arg(&pipe).status().unwrap().success());
        assert!(unopenable(&pipe).contains("不是普通文件"), "a pipe is never opened, so never waited on");
        let looping = dir.join("loop.xlsx");
        std::os::unix::fs::symlink(&looping, &looping).unwrap();
        assert!(!unopenable(&looping).is_empty());
        assert!(matches!(read_grids(&dir.join("missing.xlsx")), Err(Error::FileNotFound { .. })));
    }

    #[test]
    fn declared_sizes_and_far_cells_allocate_nothing() {
        let far = format!(
            "<worksheet xmlns=\"{MAIN}\"><dimension ref=\"A1:XFD1048576\"/><sheetData>{TABLE}<row r=\"1048576\"><c r=\"XFD1048576\" s=\"4000000000\"><v>1</v></c></row></sheetData></worksheet>"
        );
        let path = temp_file("far.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", far)], &[]));
        let grids = read_grids(&path).unwrap();
        assert_eq!(grids[0].height(), 1_048_576);
        assert_eq!(grids[0].width(0), 2);
        assert_eq!(grids[0].width(1), 0);
        assert_eq!(grids[0].cell(1_048_575, 16_383).value, Value::Number(1.0));
        // Past Excel's last row or column: refused, not allocated.
        for cell in ["<row r=\"4000000000\"><c><v>1</v></c></row>", "<row r=\"1\"><c r=\"XFE1\"><v>1</v></c></row>"] {
            let path = temp_file("past.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(cell))], &[]));
            let read = read_grids(&path);
            assert!(
                matches!(
                    read,
                    Err(Error::TooLarge { limit: Limit::Position { .. }, .. }) | Err(Error::UnreadableSheet { .. })
                ),
                "{read:?}"
            );
        }
        // A dimension written backwards (a reader subtracts its corners).
        let backwards = format!("<worksheet xmlns=\"{MAIN}\"><dimension ref=\"B2:A1\"/><sheetData>{TABLE}</sheetData><mergeCells><mergeCell ref=\"B2:A1\"/></mergeCells></worksheet>");
        let path = temp_file("backwards.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", backwards)], &[]));
        for read in [read_grids(&path), read_grids_with_layout(&path)] {
            // Some readers subtract the corners (a panic in a debug build): that sheet alone fails.
            assert!(matches!(read, Ok(_) | Err(Error::UnreadableSheet { .. })), "{read:?}");
        }
        let backwards =
            format!("<worksheet xmlns=\"{MAIN}\"><dimension ref=\"B2:A1\"/><sheetData>{TABLE}</sheetData></worksheet>");
        let two = xlsx_with(
            &[
                worksheet("S", "worksheets/sheet1.xml", sheet(TABLE)),
                worksheet("B", "worksheets/sheet2.xml", backwards),
            ],
            &[],
        );
        let grids = read_grids(&temp_file("two.xlsx", &two)).unwrap();
        assert_eq!(grids[0].kind, SheetKind::Worksheet);
        assert!(matches!(&grids[1].kind, SheetKind::Worksheet | SheetKind::Unreadable(_)), "{:?}", grids[1].kind);
    }

    #[test]
    fn a_shared_string_count_beyond_the_part_is_refused() {
        let table = "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1000000000000\"><si><t>项目名称</t></si></sst>";
        let cells = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>";
        let bytes = xlsx_with(
            &[worksheet("S", "worksheets/sheet1.xml", sheet(cells))],
            &[("xl/sharedStrings.xml", table.into())],
        );
        let error = read_grids(&temp_file("sst.xlsx", &bytes)).unwrap_err();
        assert!(
            matches!(&error, Error::TooLarge { limit: Limit::SharedStrings { declared: 1_000_000_000_000, .. }, .. }),
            "{error:?}"
        );
        let honest = table.replace("1000000000000", "1");
        let bytes =
            xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(cells))], &[("xl/sharedStrings.xml", honest)]);
        assert_eq!(
            read_grids(&temp_file("sst.xlsx", &bytes)).unwrap()[0].cell(0, 0).value,
            Value::Text("项目名称".into())
        );
    }

    #[test]
    fn files_are_judged_by_their_bytes() {
        let what = |name: &str, bytes: &[u8]| match read_grids(&temp_file(name, bytes)) {
            Err(Error::NotASpreadsheet { kind, .. }) => format!("{kind:?}"),
            Err(Error::PasswordProtected { .. }) => "password".into(),
            Err(other) => format!("{other:?}"),
            Ok(grids) => format!("read {}", grids.len()),
        };
        assert_eq!(what("empty.xlsx", b""), "Empty");
        assert_eq!(what("text.xlsx", "说明文字\n".as_bytes()), "Text");
        assert_eq!(what("pdf.xlsx", b"%PDF-1.4\n%%EOF\n"), "Pdf");
        assert_eq!(what("cut.xlsx", b"PK\x03\x04\x14\x00\x00\x00"), "Truncated");
        let docx = zip_of(&[("word/document.xml", "<w:document/>".into())]);
        assert_eq!(what("doc.xlsx", &docx), "Docx");
        let html = "<table><tr><td>项目名称</td><td>调整后预算金额</td></tr><tr><td>甲</td><td>12.50</td></tr></table>";
        assert_eq!(what("web.xls", html.as_bytes()), "read 1");
        assert_eq!(what("web.xls", b"<html><body>nothing</body></html>"), "Html");
        let error = read_grids(&temp_file("web.xls", b"<html><body>nothing</body></html>")).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("网页") && message.contains("另存为 .xlsx") && message.contains("详情："),
            "{message}"
        );
        assert!(error.message(crate::Lang::En).contains("web page"), "{}", error.message(crate::Lang::En));
        // An .xlsx under another name is read as what it is.
        let bytes = xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(TABLE))], &[]);
        assert_eq!(what("named.xls", &bytes), "read 1");
        assert_eq!(what("named.ods", &bytes), "read 1");
    }

    #[test]
    fn values_are_counted_across_chunk_boundaries() {
        let row = "<row><c><v>1</v></c><c t=\"inlineStr\"><is><t>x</t></is></c><x:c><x:v>2</x:v></x:c></row>";
        let xml = row.repeat(50_000);
        assert_eq!(count_values(xml.as_bytes()).unwrap(), 150_000);
        // Read a byte or a few at a time: tags fall across every boundary.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1 = self.1 % 7 + 1;
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        assert_eq!(count_values(Trickle(row.repeat(300).as_bytes(), 0)).unwrap(), 900);
        assert_eq!(count_values(&b"<v>"[..]).unwrap(), 1);
        assert_eq!(count_values(&b"</v><v/>"[..]).unwrap(), 0);
    }

    #[test]
    fn a_sheet_large_enough_to_pass_the_bound_is_counted_before_it_is_read() {
        let rows: String = (1..=3_000)
            .map(|r| format!("<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c><c r=\"B{r}\"><v>1</v></c></row>"))
            .collect();
        let path = temp_file("counted.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(&rows))], &[]));
        let error = read_grids_within(&path, &ReadLimits { max_cells_per_sheet: 5_999, ..limits() }).unwrap_err();
        assert!(matches!(&error, Error::TooLarge { limit: Limit::SheetCells { found: 6_000, .. }, .. }), "{error:?}");
        assert!(read_grids_within(&path, &ReadLimits { max_cells_per_sheet: 6_000, ..limits() }).is_ok());
        let error = read_grids_within(&path, &ReadLimits { max_cells_per_workbook: 5_999, ..limits() }).unwrap_err();
        assert!(
            matches!(&error, Error::TooLarge { limit: Limit::WorkbookCells { found: 6_000, .. }, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_reader_that_panics_fails_the_file_quietly() {
        assert_eq!(quietly(|| 7), Ok(7));
        let caught = quietly(|| -> u8 { panic!("boom {}", 1) });
        assert!(caught.as_ref().is_err_and(|m| m.contains("boom 1")), "{caught:?}");
        // The hook stays quiet only where asked: a panic elsewhere is still printed (not checked here).
        assert!(!QUIET.with(std::cell::Cell::get));
    }

    #[test]
    fn ods_repeats_are_measured_before_the_reader_expands_them() {
        let content = |rows: &str| {
            format!(
                "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:spreadsheet><table:table table:name=\"S\">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
            )
        };
        let ods = |rows: &str| {
            zip_of(&[
                ("mimetype", "application/vnd.oasis.opendocument.spreadsheet".into()),
                (
                    "META-INF/manifest.xml",
                    "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"/>".into(),
                ),
                ("content.xml", content(rows)),
            ])
        };
        let cell =
            "<table:table-cell office:value-type=\"float\" office:value=\"1\"><text:p>1</text:p></table:table-cell>";
        let fine = ods(&format!("<table:table-row>{cell}{cell}</table:table-row>"));
        let grids = read_grids(&temp_file("fine.ods", &fine)).unwrap();
        assert_eq!(grids[0].cell(0, 1).value, Value::Number(1.0));
        // One row of a value and a value 16,000 columns on, repeated a million times.
        let bomb = ods(&format!(
            "<table:table-row table:number-rows-repeated=\"1000000\">{cell}<table:table-cell table:number-columns-repeated=\"16000\"/>{cell}</table:table-row>"
        ));
        let started = std::time::Instant::now();
        let error = read_grids(&temp_file("bomb.ods", &bomb)).unwrap_err();
        assert!(matches!(&error, Error::TooLarge { limit: Limit::SheetCells { .. }, .. }), "{error:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    /// A list whose cells a check lets go of: a formula without a stored result (computed), a
    /// row left empty, a department merged down, and rows of two looks.
    fn list_read_again() -> Vec<u8> {
        let styles = "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"#,##0.00\"/></numFmts><fonts count=\"1\"><font/></fonts><fills count=\"1\"><fill/></fills><borders count=\"1\"><border/></borders><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"164\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>";
        let text = |at: &str, t: &str| format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{t}</t></is></c>");
        let amount = |at: &str, v: &str| format!("<c r=\"{at}\" s=\"1\"><v>{v}</v></c>");
        let header = ["序号", "部室", "项目名称", "调整后预算金额", "实际支出金额", "预算支出比例"];
        let mut rows = format!("<row r=\"1\">{}</row>", header.iter().zip('A'..).map(|(h, c)| text(&format!("{c}1"), h)).collect::<String>());
        for row in [2, 3, 4, 6] {
            let ratio = if row == 3 { "<c r=\"F3\"><f>E3/D3*100</f></c>".to_string() } else { format!("<c r=\"F{row}\"><v>50</v></c>") };
            rows += &format!(
                "<row r=\"{row}\"><c r=\"A{row}\"><v>{}</v></c>{}{}{}{}{ratio}</row>",
                row - 1,
                if row == 2 { text("B2", "综合办公室") } else { String::new() },
                text(&format!("C{row}"), &format!("项目{row}")),
                amount(&format!("D{row}"), "100"),
                amount(&format!("E{row}"), if row == 3 { "25" } else { "50" }),
            );
        }
        let xml = format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{rows}</sheetData><mergeCells><mergeCell ref=\"B2:B6\"/></mergeCells></worksheet>");
        xlsx_with(&[worksheet("附件1", "worksheets/sheet1.xml", xml)], &[("xl/styles.xml", styles.to_string())])
    }

    fn rows_read_again(grid: &Grid) -> std::result::Result<Vec<(u32, Vec<GridCell>)>, String> {
        let mut rows = Vec::new();
        crate::read::again::each_row_again(grid, |row, cells| {
            rows.push((row, cells));
            true
        })?;
        Ok(rows)
    }

    #[test]
    fn cells_a_list_let_go_of_are_read_again_as_first_read() {
        let path = temp_file("again.xlsx", &list_read_again());
        let kept = read_grids_with_layout(&path).unwrap();
        let mut grids = read_grids_with_layout(&path).unwrap();
        assert!(grids[0].can_read_again() && !grids[0].cells_let_go());
        assert_eq!(kept[0].cell(2, 5).value, Value::Number(25.0), "the formula without a result is computed");
        let workbook = crate::read::workbook_letting_go(&path, &mut grids);
        assert_eq!(workbook.tables[0].rows.len(), 4);
        let grid = &grids[0];
        assert!(grid.cells_let_go() && grid.row_cells(2).is_empty(), "the list's rows are let go of");
        assert_eq!(grid.max_width(), kept[0].max_width());
        let again = rows_read_again(grid).unwrap();
        assert_eq!(again.iter().map(|(row, _)| *row).collect::<Vec<_>>(), [0, 1, 2, 3, 5], "the empty row is none");
        for (row, cells) in &again {
            assert_eq!(cells.as_slice(), kept[0].row_cells(*row), "row {row}");
        }
        assert!(kept[0].cell(1, 3).format.is_some() && kept[0].cell(1, 3).look != 0);
        // Nothing stops the reader but the taker.
        let mut taken = 0;
        crate::read::again::each_row_again(grid, |_, _| {
            taken += 1;
            taken < 2
        })
        .unwrap();
        assert_eq!(taken, 2);
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_read_again() {
        let path = temp_file("changed.xlsx", &list_read_again());
        let mut grids = read_grids_with_layout(&path).unwrap();
        crate::read::workbook_letting_go(&path, &mut grids);
        let mut other = list_read_again();
        other.extend_from_slice(b"  ");
        std::fs::write(&path, other).unwrap();
        let error = rows_read_again(&grids[0]).unwrap_err();
        assert!(error.contains("changed while it was checked"), "{error}");
    }

    #[test]
    fn cells_out_of_row_order_cannot_be_read_again() {
        let rows = "<row r=\"2\"><c r=\"A2\"><v>1</v></c></row><row r=\"1\"><c r=\"A1\"><v>2</v></c></row>";
        let path = temp_file("order.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(rows))], &[]));
        let grids = read_grids_with_layout(&path).unwrap();
        assert_eq!(grids[0].cell(0, 0).value, Value::Number(2.0));
        assert!(!grids[0].can_read_again());
        let in_order = temp_file("order.xlsx", &xlsx_with(&[worksheet("S", "worksheets/sheet1.xml", sheet(TABLE))], &[]));
        assert!(read_grids_with_layout(&in_order).unwrap()[0].can_read_again());
    }
}
