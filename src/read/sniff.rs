//! What a file really is, judged from its bytes rather than its name, said in the user's words
//! (Chinese first, English too) instead of a reader library's; and readers for the two "fake .xls"
//! formats web systems export: HTML tables and XML Spreadsheet 2003.
//!
//! Text that is not UTF-8 is decoded by its declared charset (GBK/GB2312/GB18030 above all, as
//! Chinese web systems write) through `encoding_rs`.
//!
//! Everything here takes bytes sent by strangers: it never panics, and the readers refuse input
//! larger than [`MAX_CELLS`] cells, [`MAX_COLUMNS`] columns or [`MAX_CELL_CHARS`] characters a cell.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{Cursor, Read, Seek};
use std::path::Path;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader as XmlReader;
use zip::ZipArchive;

use crate::read::grid::{Grid, GridCell, Merge, Value};
use crate::read::xls_formats::{CellFormats, XlsFormats};

/// Most cells (stored positions plus merged-over ones) the readers accept in one file.
pub const MAX_CELLS: usize = 1_000_000;
/// Most columns the readers accept in one sheet.
pub const MAX_COLUMNS: u32 = 10_000;
/// Longest cell text the readers accept (Excel's own limit), in characters.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Most rows the readers accept in one sheet (Excel's own limit).
const MAX_ROWS: u32 = 1_048_576;
/// How much of the start of a file the text checks look at.
const HEAD: usize = 8 * 1024;

/// What a file is, judged from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// An Excel workbook (.xlsx, .xltx): a zip holding `xl/workbook.xml`.
    Xlsx,
    /// A macro-enabled Excel workbook (.xlsm).
    Xlsm,
    /// An Excel binary workbook (.xlsb): a zip holding `xl/workbook.bin`.
    Xlsb,
    /// An OpenDocument spreadsheet (.ods).
    Ods,
    /// An Excel 97-2003 workbook (.xls, BIFF in an OLE compound file).
    Xls,
    /// A password-protected .xls (its workbook stream starts with a FILEPASS record).
    EncryptedXls,
    /// A password-protected .xlsx (an OLE file holding `EncryptionInfo`/`EncryptedPackage`).
    EncryptedOoxml,
    /// A web page: HTML tables, what many web systems export as ".xls".
    Html,
    /// A single-file web page (.mht, MIME multipart), Excel's "save as web page".
    Mhtml,
    /// XML Spreadsheet 2003 (`<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`).
    SpreadsheetMl,
    /// Plain text whose lines hold a consistent number of commas or tabs.
    Csv,
    /// Other plain text.
    Text,
    /// A Word document (.docx).
    Docx,
    /// A Word 97-2003 document (.doc).
    Doc,
    /// A PowerPoint presentation (.pptx).
    Pptx,
    /// Another OpenDocument file (.odt, .odp…).
    Odf,
    /// An OFD fixed-layout document (Chinese e-documents).
    Ofd,
    Pdf,
    /// A picture (PNG, JPEG, GIF, TIFF, WebP).
    Image,
    /// XML that is not a spreadsheet.
    Xml,
    /// A zip archive that is no office document.
    OtherZip,
    /// A rar, 7z or gzip archive.
    Archive,
    /// Another OLE compound file (PowerPoint 97-2003, …).
    OtherOle,
    /// A zip or OLE file cut short (no end of central directory, sectors past the end), or one
    /// whose first bytes are all zeros: an interrupted download or copy.
    Truncated,
    /// Zero bytes.
    Empty,
    /// Binary content of no kind known here.
    Binary,
}

impl FileKind {
    /// What the file is, e.g. "这是网页（HTML 表格），多为网上系统导出".
    pub fn describe(&self, zh: bool) -> String {
        self.describe_named("", zh)
    }

    /// What to do about it, e.g. "请用 Excel 打开后另存为 .xlsx 再检查".
    pub fn advice(&self, zh: bool) -> String {
        self.advice_named("", zh)
    }

    /// Like [`FileKind::describe`], naming the extension the file came with when it does not fit
    /// the content: "这个 .xls 文件其实是网页（HTML 表格），多为网上系统导出".
    pub fn describe_named(&self, extension: &str, zh: bool) -> String {
        use FileKind::*;
        let ext = normalize_extension(extension);
        let odd = !ext.is_empty() && !self.extensions().contains(&ext.as_str());
        // "这个 .xls 文件其实是…" when the name misleads, "这是…" otherwise.
        let is = |noun_zh: &str, noun_en: &str| -> String {
            // A space between Chinese and a Latin word: "这是 Word 文档".
            let gap = if noun_zh.starts_with(|c: char| c.is_ascii_alphanumeric()) { " " } else { "" };
            match (zh, odd) {
                (true, true) => format!("这个 .{ext} 文件其实是{gap}{noun_zh}"),
                (true, false) => format!("这是{gap}{noun_zh}"),
                (false, true) => format!("this .{ext} is {noun_en}"),
                (false, false) => format!("this is {noun_en}"),
            }
        };
        let not_sheet = |noun_zh: &str, noun_en: &str| -> String {
            let head = is(noun_zh, noun_en);
            if zh {
                format!("{head}，不是电子表格")
            } else {
                format!("{head}, not a spreadsheet")
            }
        };
        let subject_zh = if ext.is_empty() { "文件".to_string() } else { format!("这个 .{ext} 文件") };
        let subject_en = if ext.is_empty() { "the file".to_string() } else { format!("this .{ext} file") };
        match self {
            Xlsx => is("Excel 工作簿（.xlsx）", "an Excel workbook (.xlsx)"),
            Xlsm => is("启用宏的 Excel 工作簿（.xlsm）", "a macro-enabled Excel workbook (.xlsm)"),
            Xlsb => is("Excel 二进制工作簿（.xlsb）", "an Excel binary workbook (.xlsb)"),
            Ods => is("OpenDocument 电子表格（.ods）", "an OpenDocument spreadsheet (.ods)"),
            Xls => is("Excel 97-2003 工作簿（.xls）", "an Excel 97-2003 workbook (.xls)"),
            EncryptedXls => is(
                "受密码保护（已加密）的 Excel 97-2003 工作簿（.xls）",
                "a password-protected (encrypted) Excel 97-2003 workbook (.xls)",
            ),
            EncryptedOoxml => is(
                "受密码保护（已加密）的 Office 文件，多为 Excel 工作簿",
                "a password-protected (encrypted) Office file, most likely an Excel workbook",
            ),
            Html => is("网页（HTML 表格），多为网上系统导出", "a web page (an HTML table), as many web systems export"),
            Mhtml => is(
                "单个文件网页（.mht），多为网上系统导出或“另存为网页”所得",
                "a single-file web page (.mht), as web systems export or “save as web page” produces",
            ),
            SpreadsheetMl => is(
                "XML 表格（Excel 2003 XML 电子表格），多为网上系统导出",
                "an XML Spreadsheet 2003 file, as many web systems export",
            ),
            Csv | Text => {
                let (zh_noun, en_noun) = if *self == Csv {
                    (" CSV/文本文件", "a CSV / text file")
                } else {
                    ("纯文本文件", "a plain-text file")
                };
                match (zh, odd) {
                    (true, true) => format!("这是{zh_noun}，被改成了 .{ext} 扩展名"),
                    (true, false) => format!("这是{zh_noun}，不是 Excel 工作簿"),
                    (false, true) => format!("this is {en_noun} renamed to .{ext}"),
                    (false, false) => format!("this is {en_noun}, not an Excel workbook"),
                }
            }
            Docx => not_sheet("Word 文档（.docx）", "a Word document (.docx)"),
            Doc => not_sheet("Word 97-2003 文档（.doc）", "a Word 97-2003 document (.doc)"),
            Pptx => not_sheet("PowerPoint 演示文稿（.pptx）", "a PowerPoint presentation (.pptx)"),
            Odf => not_sheet("OpenDocument 文档（如 .odt .odp）", "an OpenDocument document (such as .odt or .odp)"),
            Ofd => not_sheet("OFD 版式文件", "an OFD fixed-layout document"),
            Pdf => not_sheet("PDF 文件", "a PDF file"),
            Image => not_sheet("图片", "a picture"),
            Xml => not_sheet("XML 数据文件", "an XML data file"),
            OtherZip => not_sheet("压缩包（zip）", "a zip archive"),
            Archive => not_sheet("压缩包（rar/7z/gz）", "an archive (rar/7z/gz)"),
            OtherOle => not_sheet("其他 Office 97-2003 文件", "another Office 97-2003 file"),
            Truncated => {
                if zh {
                    format!("{subject_zh}不完整（可能下载中断）")
                } else {
                    format!("{subject_en} is incomplete (the download may have been interrupted)")
                }
            }
            Empty => {
                if zh {
                    format!("{subject_zh}是空的（0 字节）")
                } else {
                    format!("{subject_en} is empty (0 bytes)")
                }
            }
            Binary => {
                if zh {
                    format!("{subject_zh}的格式无法识别，不是电子表格")
                } else {
                    format!("{subject_en} is in a format not recognised; it is not a spreadsheet")
                }
            }
        }
    }

    /// Like [`FileKind::advice`], knowing the extension the file came with (a real workbook under
    /// the wrong extension only needs renaming).
    pub fn advice_named(&self, extension: &str, zh: bool) -> String {
        use FileKind::*;
        let ext = normalize_extension(extension);
        let odd = !ext.is_empty() && !self.extensions().contains(&ext.as_str());
        let pick = |z: &str, e: &str| if zh { z.to_string() } else { e.to_string() };
        let resave = || {
            pick("请用 Excel 打开后另存为 .xlsx 再检查", "open it in Excel and save it as .xlsx, then check it again")
        };
        let submit = || pick("请提交 Excel 工作簿（.xlsx 或 .xls）", "please submit an Excel workbook (.xlsx or .xls)");
        match self {
            Xlsx | Xlsm | Xlsb | Ods | Xls if odd => {
                let right = self.extensions().first().copied().unwrap_or("xlsx");
                if zh {
                    format!("请把扩展名改为 .{right} 后再检查")
                } else {
                    format!("rename it to .{right}, then check it again")
                }
            }
            Xlsx | Xlsm | Xlsb | Ods | Xls => pick(
                "如仍无法读取，文件可能已损坏：请用 Excel 打开后另存为 .xlsx 再检查",
                "if it still cannot be read, it may be damaged: open it in Excel and save it as .xlsx, then check it again",
            ),
            EncryptedXls | EncryptedOoxml => pick(
                "取消密码前无法读取：请在 Excel 中取消打开密码（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）并保存后再检查",
                "it cannot be read until the password is removed: in Excel, File → Info → Protect Workbook → Encrypt with Password, clear it, save, then check it again",
            ),
            Html | Mhtml | SpreadsheetMl => resave(),
            Csv if odd => pick(
                "请把扩展名改回 .csv，用 Excel 打开后另存为 .xlsx 再检查",
                "rename it back to .csv, open it in Excel and save it as .xlsx, then check it again",
            ),
            Csv => resave(),
            Text | Docx | Doc | Pptx | Odf | Ofd | Pdf | Image | Xml | OtherOle | Binary => submit(),
            OtherZip | Archive => pick(
                "如压缩包内是表格，请解压后分别检查；否则请提交 Excel 工作簿",
                "if it holds workbooks, unpack it and check each; otherwise please submit an Excel workbook",
            ),
            Truncated => pick("请重新下载或向报送单位索取", "download it again or ask the sender for it again"),
            Empty => pick("请向报送单位重新索取文件", "ask the sender for the file again"),
        }
    }

    /// The extensions that fit this content, the usual one first (empty for no fitting one).
    pub fn extensions(&self) -> &'static [&'static str] {
        use FileKind::*;
        match self {
            Xlsx => &["xlsx", "xltx"],
            Xlsm => &["xlsm", "xltm"],
            Xlsb => &["xlsb"],
            Ods => &["ods", "ots"],
            Xls | EncryptedXls => &["xls", "xlt"],
            EncryptedOoxml => &["xlsx", "xlsm", "xlsb", "docx", "pptx"],
            Html => &["html", "htm"],
            Mhtml => &["mht", "mhtml"],
            SpreadsheetMl | Xml => &["xml"],
            Csv => &["csv", "tsv", "txt"],
            Text => &["txt", "csv", "tsv"],
            Docx => &["docx"],
            Doc => &["doc", "wps"],
            Pptx => &["pptx"],
            Odf => &["odt", "odp", "odg"],
            Ofd => &["ofd"],
            Pdf => &["pdf"],
            Image => &["png", "jpg", "jpeg", "gif", "tif", "tiff", "webp"],
            OtherZip => &["zip"],
            Archive => &["rar", "7z", "gz", "tgz"],
            OtherOle | Truncated | Empty | Binary => &[],
        }
    }

    /// A workbook the ordinary reader (calamine) opens: .xlsx .xlsm .xlsb .ods .xls.
    pub fn is_workbook(&self) -> bool {
        matches!(self, FileKind::Xlsx | FileKind::Xlsm | FileKind::Xlsb | FileKind::Ods | FileKind::Xls)
    }

    /// A file this module reads: [`read_html_tables`] or [`read_spreadsheet_ml`].
    pub fn is_web_export(&self) -> bool {
        matches!(self, FileKind::Html | FileKind::SpreadsheetMl)
    }

    pub fn is_password_protected(&self) -> bool {
        matches!(self, FileKind::EncryptedXls | FileKind::EncryptedOoxml)
    }
}

fn normalize_extension(extension: &str) -> String {
    extension.trim().trim_start_matches('.').to_lowercase()
}

/// Recognises a file from its bytes (the whole file: a zip's directory is at its end). The
/// extension only breaks ties (a one-line text named .csv is CSV).
pub fn sniff(bytes: &[u8], extension: &str) -> FileKind {
    const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.is_empty() {
        return FileKind::Empty;
    }
    if bytes.starts_with(OLE_MAGIC) {
        return sniff_ole(bytes);
    }
    if bytes.starts_with(b"PK") && matches!(bytes.get(2..4), Some([3, 4] | [5, 6] | [7, 8])) {
        return sniff_zip(bytes);
    }
    let head = bytes.get(..HEAD).unwrap_or(bytes);
    if find(head.get(..1024).unwrap_or(head), b"%PDF-").is_some() {
        return FileKind::Pdf;
    }
    if let Some(kind) = sniff_magic(head) {
        return kind;
    }
    if head.iter().all(|&b| b == 0) {
        return FileKind::Truncated;
    }
    sniff_text(head, bytes.len() > head.len(), &normalize_extension(extension))
}

fn sniff_magic(head: &[u8]) -> Option<FileKind> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"\x89PNG\r\n\x1a\n")
        || starts(&[0xFF, 0xD8, 0xFF])
        || starts(b"GIF87a")
        || starts(b"GIF89a")
        || starts(b"II*\0")
        || starts(b"MM\0*")
        || (starts(b"RIFF") && head.get(8..12) == Some(b"WEBP"))
    {
        return Some(FileKind::Image);
    }
    if starts(b"Rar!\x1a\x07") || starts(&[b'7', b'z', 0xBC, 0xAF, 0x27, 0x1C]) || starts(&[0x1F, 0x8B]) {
        return Some(FileKind::Archive);
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Zip: the central directory's names tell the kind; no directory at all means a cut-off file.

fn sniff_zip(bytes: &[u8]) -> FileKind {
    let Ok(mut zip) = ZipArchive::new(Cursor::new(bytes)) else {
        return FileKind::Truncated;
    };
    sniff_zip_archive(&mut zip)
}

/// What an opened zip holds, from its member names (and at most 256 KB of two small members):
/// for callers that open the archive themselves, reading only its central directory.
pub fn sniff_zip_archive<R: Read + Seek>(zip: &mut ZipArchive<R>) -> FileKind {
    let names: HashSet<Vec<u8>> = zip.file_names_raw().take(200_000).map(<[u8]>::to_vec).collect();
    let has = |name: &str| names.contains(name.as_bytes());
    if has("xl/workbook.bin") {
        return FileKind::Xlsb;
    }
    if has("xl/workbook.xml") || names.iter().any(|n| n.starts_with(b"xl/worksheets/")) {
        let macros = has("xl/vbaProject.bin")
            || read_part(zip, "[Content_Types].xml", 256 * 1024).is_some_and(|t| find(&t, b"macroEnabled").is_some());
        return if macros { FileKind::Xlsm } else { FileKind::Xlsx };
    }
    if has("word/document.xml") {
        return FileKind::Docx;
    }
    if has("ppt/presentation.xml") {
        return FileKind::Pptx;
    }
    if has("mimetype") {
        if let Some(mime) = read_part(zip, "mimetype", 256) {
            let mime = mime.trim_ascii();
            if mime.starts_with(b"application/vnd.oasis.opendocument.spreadsheet") {
                return FileKind::Ods;
            }
            if mime.starts_with(b"application/vnd.oasis.opendocument.") {
                return FileKind::Odf;
            }
        }
    }
    if has("OFD.xml") {
        return FileKind::Ofd;
    }
    FileKind::OtherZip
}

/// The first `limit` bytes of a zip member, if it reads.
fn read_part<R: Read + Seek>(zip: &mut ZipArchive<R>, name: &str, limit: u64) -> Option<Vec<u8>> {
    let file = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    file.take(limit).read_to_end(&mut out).ok()?;
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// OLE compound files: just enough of the format to list the directory and read a stream's start.

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
/// Sector ids from here up are markers (free, end of chain, FAT, DIFAT), not sectors.
const MAX_REG_SECT: u32 = 0xFFFF_FFFA;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Broken {
    /// A sector the structure points to lies past the end of the file.
    Truncated,
    /// The header or a chain makes no sense.
    Malformed,
}

struct Cfb<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    /// The FAT's sectors, in order.
    fat: Vec<u32>,
    mini_cutoff: u64,
    first_minifat: u32,
    version: u16,
}

#[derive(Debug, Clone)]
struct DirEntry {
    name: String,
    kind: u8,
    start: u32,
    size: u64,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)?.try_into().ok().map(u16::from_le_bytes)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)?.try_into().ok().map(u32::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?)?.try_into().ok().map(u64::from_le_bytes)
}

impl<'a> Cfb<'a> {
    fn open(bytes: &'a [u8]) -> Result<Cfb<'a>, Broken> {
        if bytes.len() < 512 {
            return Err(Broken::Truncated);
        }
        let version = u16_at(bytes, 0x1A).ok_or(Broken::Truncated)?;
        let shift = u16_at(bytes, 0x1E).ok_or(Broken::Truncated)?;
        let sector_size = match shift {
            9 => 512,
            12 => 4096,
            _ => return Err(Broken::Malformed),
        };
        let header_u32 = |at: usize| u32_at(bytes, at).ok_or(Broken::Truncated);
        let fat_count = header_u32(0x2C)? as usize;
        let mut cfb = Cfb {
            bytes,
            sector_size,
            fat: Vec::new(),
            mini_cutoff: u64::from(header_u32(0x38)?),
            first_minifat: header_u32(0x3C)?,
            version,
        };
        // The first 109 FAT sectors are listed in the header, the rest in the DIFAT chain.
        for i in 0..109usize.min(fat_count) {
            cfb.fat.push(header_u32(0x4C + 4 * i)?);
        }
        let mut difat = header_u32(0x44)?;
        let per = sector_size / 4 - 1;
        let max_sectors = bytes.len() / sector_size + 1;
        let mut guard = 0;
        while cfb.fat.len() < fat_count && difat < MAX_REG_SECT {
            guard += 1;
            if guard > max_sectors {
                return Err(Broken::Malformed);
            }
            let sector = cfb.sector(difat)?;
            for i in 0..per {
                if cfb.fat.len() >= fat_count {
                    break;
                }
                cfb.fat.push(u32_at(sector, 4 * i).ok_or(Broken::Malformed)?);
            }
            difat = u32_at(sector, 4 * per).ok_or(Broken::Malformed)?;
        }
        for &id in &cfb.fat {
            cfb.sector(id)?;
        }
        Ok(cfb)
    }

    fn sector(&self, id: u32) -> Result<&'a [u8], Broken> {
        if id >= MAX_REG_SECT {
            return Err(Broken::Malformed);
        }
        let start =
            (id as usize).checked_add(1).and_then(|n| n.checked_mul(self.sector_size)).ok_or(Broken::Malformed)?;
        let end = start.checked_add(self.sector_size).ok_or(Broken::Malformed)?;
        self.bytes.get(start..end).ok_or(Broken::Truncated)
    }

    fn next(&self, id: u32) -> Result<u32, Broken> {
        let per = self.sector_size / 4;
        let fat_sector = *self.fat.get(id as usize / per).ok_or(Broken::Malformed)?;
        u32_at(self.sector(fat_sector)?, (id as usize % per) * 4).ok_or(Broken::Malformed)
    }

    /// The sectors of a chain, at most `max` of them; each one checked to be in the file, and
    /// none twice: a chain that loops back is damage, which a reader would follow without end
    /// (calamine reads the directory chain until it ends, allocating as it goes).
    fn chain(&self, start: u32, max: usize) -> Result<Vec<u32>, Broken> {
        let sectors = self.bytes.len() / self.sector_size + 1;
        let max = max.min(sectors);
        let mut seen = vec![false; sectors];
        let mut out = Vec::new();
        let mut id = start;
        while id < MAX_REG_SECT && out.len() < max {
            self.sector(id)?;
            let seen = seen.get_mut(id as usize).ok_or(Broken::Malformed)?;
            if std::mem::replace(seen, true) {
                return Err(Broken::Malformed);
            }
            out.push(id);
            id = self.next(id)?;
        }
        Ok(out)
    }

    fn entries(&self) -> Result<Vec<DirEntry>, Broken> {
        let first = u32_at(self.bytes, 0x30).ok_or(Broken::Truncated)?;
        let mut out = Vec::new();
        for id in self.chain(first, 4096)? {
            let sector = self.sector(id)?;
            for raw in sector.chunks_exact(128) {
                let name_len = usize::from(u16_at(raw, 64).unwrap_or(0)).min(64);
                let units: Vec<u16> = raw
                    .get(..name_len.saturating_sub(2))
                    .unwrap_or(&[])
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)]))
                    .collect();
                let size = if self.version == 3 {
                    u64::from(u32_at(raw, 120).unwrap_or(0))
                } else {
                    u64_at(raw, 120).unwrap_or(0)
                };
                out.push(DirEntry {
                    name: String::from_utf16_lossy(&units),
                    kind: raw.get(66).copied().unwrap_or(0),
                    start: u32_at(raw, 116).unwrap_or(END_OF_CHAIN),
                    size,
                });
            }
        }
        Ok(out)
    }

    /// The first `max` bytes of a stream (from the mini stream when it is a small one).
    fn stream_prefix(&self, entry: &DirEntry, root: &DirEntry, max: usize) -> Result<Vec<u8>, Broken> {
        let want = usize::try_from(entry.size).unwrap_or(usize::MAX).min(max);
        let mut out = Vec::with_capacity(want);
        if entry.size < self.mini_cutoff {
            // 64-byte mini sectors inside the root entry's stream, chained by the mini FAT.
            let container = self.chain(root.start, usize::MAX)?;
            let minifat = self.chain(self.first_minifat, usize::MAX)?;
            let per = self.sector_size / 4;
            let mut id = entry.start;
            let mut guard = 0;
            while id < MAX_REG_SECT && out.len() < want && guard <= want / 64 + 1 {
                guard += 1;
                let offset = (id as usize).checked_mul(64).ok_or(Broken::Malformed)?;
                let sector = self.sector(*container.get(offset / self.sector_size).ok_or(Broken::Truncated)?)?;
                let within = offset % self.sector_size;
                out.extend_from_slice(sector.get(within..within + 64).ok_or(Broken::Malformed)?);
                let fat_sector = self.sector(*minifat.get(id as usize / per).ok_or(Broken::Malformed)?)?;
                id = u32_at(fat_sector, (id as usize % per) * 4).ok_or(Broken::Malformed)?;
            }
        } else {
            for id in self.chain(entry.start, want.div_ceil(self.sector_size))? {
                out.extend_from_slice(self.sector(id)?);
            }
        }
        out.truncate(want);
        Ok(out)
    }

    /// Where a stream lies in the file: the offset of each of its sectors (or 64-byte mini
    /// sectors, for a small stream), in order, and their size. Every one is checked to be in the file.
    fn stream_units(&self, entry: &DirEntry, root: &DirEntry) -> Result<(Vec<usize>, usize), Broken> {
        let size = usize::try_from(entry.size).map_err(|_| Broken::Malformed)?;
        if entry.size >= self.mini_cutoff {
            let need = size.div_ceil(self.sector_size);
            let sectors = self.chain(entry.start, need)?;
            if sectors.len() < need {
                return Err(Broken::Truncated);
            }
            let offsets = sectors.iter().map(|&id| (id as usize + 1) * self.sector_size).collect();
            return Ok((offsets, self.sector_size));
        }
        let container = self.chain(root.start, usize::MAX)?;
        let minifat = self.chain(self.first_minifat, usize::MAX)?;
        let per = self.sector_size / 4;
        let need = size.div_ceil(64);
        let mut offsets = Vec::with_capacity(need);
        let mut id = entry.start;
        while id < MAX_REG_SECT && offsets.len() < need {
            let offset = (id as usize).checked_mul(64).ok_or(Broken::Malformed)?;
            let sector = *container.get(offset / self.sector_size).ok_or(Broken::Truncated)?;
            self.sector(sector)?;
            offsets.push((sector as usize + 1) * self.sector_size + offset % self.sector_size);
            let fat_sector = self.sector(*minifat.get(id as usize / per).ok_or(Broken::Malformed)?)?;
            id = u32_at(fat_sector, (id as usize % per) * 4).ok_or(Broken::Malformed)?;
        }
        if offsets.len() < need {
            return Err(Broken::Truncated);
        }
        Ok((offsets, 64))
    }

    /// Whether the stream's sectors all lie inside the file.
    fn stream_complete(&self, entry: &DirEntry) -> Result<(), Broken> {
        if entry.size < self.mini_cutoff {
            return Ok(());
        }
        let need = usize::try_from(entry.size.div_ceil(self.sector_size as u64)).unwrap_or(usize::MAX);
        let sectors = self.chain(entry.start, need)?;
        if sectors.len() < need && self.bytes.len() < need.saturating_mul(self.sector_size) {
            return Err(Broken::Truncated);
        }
        Ok(())
    }
}

fn sniff_ole(bytes: &[u8]) -> FileKind {
    let parsed = Cfb::open(bytes).and_then(|cfb| cfb.entries().map(|entries| (cfb, entries)));
    let (cfb, entries) = match parsed {
        Ok(found) => found,
        Err(Broken::Truncated) => return FileKind::Truncated,
        Err(Broken::Malformed) => return scan_ole_names(bytes),
    };
    let find_entry = |name: &str| entries.iter().find(|e| matches!(e.kind, 1 | 2) && e.name.eq_ignore_ascii_case(name));
    if find_entry("EncryptionInfo").is_some() || find_entry("EncryptedPackage").is_some() {
        return FileKind::EncryptedOoxml;
    }
    if let Some(book) = find_entry("Workbook").or_else(|| find_entry("Book")) {
        let Some(root) = entries.iter().find(|e| e.kind == 5) else {
            return FileKind::Xls;
        };
        if cfb.stream_complete(book) == Err(Broken::Truncated) {
            return FileKind::Truncated;
        }
        return match cfb.stream_prefix(book, root, 8192) {
            Ok(start) if has_filepass(&start) => FileKind::EncryptedXls,
            Err(Broken::Truncated) => FileKind::Truncated,
            _ => FileKind::Xls,
        };
    }
    if find_entry("WordDocument").is_some() {
        return FileKind::Doc;
    }
    FileKind::OtherOle
}

/// When the header makes no sense: look for the stream names anywhere in the file.
fn scan_ole_names(bytes: &[u8]) -> FileKind {
    let has = |name: &str| {
        let pattern: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).chain([0, 0]).collect();
        find(bytes, &pattern).is_some()
    };
    if has("EncryptionInfo") || has("EncryptedPackage") {
        FileKind::EncryptedOoxml
    } else if has("Workbook") || has("Book") {
        FileKind::Xls
    } else if has("WordDocument") {
        FileKind::Doc
    } else {
        FileKind::OtherOle
    }
}

/// Whether a BIFF workbook stream opens with FILEPASS (0x002F): XOR obfuscation or RC4 encryption.
/// The record comes right after the first BOF, before any sheet is named.
fn has_filepass(stream: &[u8]) -> bool {
    let mut at = 0usize;
    for _ in 0..64 {
        let (Some(kind), Some(len)) = (u16_at(stream, at), u16_at(stream, at.saturating_add(2))) else {
            return false;
        };
        match kind {
            0x002F => return true,
            0x0085 | 0x000A => return false, // BOUNDSHEET or EOF: past where FILEPASS would be
            _ => at = at.saturating_add(4 + usize::from(len)),
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// BIFF (.xls): what a workbook stream holds, surveyed before a reader parses all of it at once.

/// One sheet of an .xls as its workbook stream states it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XlsSheet {
    pub name: String,
    /// BOUNDSHEET's type: 0 worksheet, 1 Excel 4 macro sheet, 2 chart sheet, 6 VBA module.
    pub kind: u8,
    /// Value cells (the records a reader turns into cells).
    pub cells: u64,
    /// The cells the value cells span, first to last row and column: what a reader that builds
    /// a dense range allocates.
    pub span: u64,
    /// The same for the formula cells (readers keep a second range of formula texts).
    pub formula_span: u64,
    /// The area the DIMENSIONS record declares.
    pub declared: u64,
    /// The number formats of its number cells (BIFF8), which the values' reader does not give.
    pub formats: CellFormats,
}

/// What [`survey_xls`] found in an .xls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XlsSurvey {
    pub sheets: Vec<XlsSheet>,
    /// The workbook stream's size in bytes.
    pub stream_bytes: u64,
    /// DIMENSIONS records set to zero because they declared more than `max_declared` cells.
    pub patched_dimensions: usize,
    /// Whether the workbook is BIFF8 (Excel 97 and later, text in UTF-16) rather than older.
    pub biff8: bool,
}

/// Why an .xls could not be surveyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlsSurveyError {
    /// Not an OLE file holding a workbook stream.
    NoWorkbook,
    /// A sector or record lies past the end of the file.
    Truncated,
    /// The structure makes no sense (sheets overlapping one another, records cut short).
    Malformed(String),
    /// The workbook stream is larger than the caller allows (its size in bytes).
    StreamTooLarge(u64),
}

/// Surveys an .xls before a reader parses it: its sheets, and for each the cells it holds and spans
/// (so that a few kilobytes placing two cells at opposite corners, 16.7 million cells apart, are
/// refused before a reader allocates them). A DIMENSIONS record declaring more than `max_declared`
/// cells is set to zero in `bytes` (readers reserve room for what it declares; zero is "unknown"),
/// which changes nothing a reader reads. The workbook stream is read only when it is at most
/// `max_stream` bytes.
///
/// Sheets are walked from their BOUNDSHEET positions as readers do, so sheets that point into one
/// another are counted as often as a reader would parse them (and refused when they overlap).
///
/// # Errors
/// [`XlsSurveyError`].
pub fn survey_xls(bytes: &mut [u8], max_declared: u64, max_stream: u64) -> Result<XlsSurvey, XlsSurveyError> {
    let (stream, units, unit) = {
        let cfb = Cfb::open(bytes).map_err(broken)?;
        let entries = cfb.entries().map_err(broken)?;
        let find_entry = |name: &str| entries.iter().find(|e| e.kind == 2 && e.name.eq_ignore_ascii_case(name));
        let book = find_entry("Workbook").or_else(|| find_entry("Book")).ok_or(XlsSurveyError::NoWorkbook)?;
        if book.size > max_stream {
            return Err(XlsSurveyError::StreamTooLarge(book.size));
        }
        let root = entries.iter().find(|e| e.kind == 5).ok_or(XlsSurveyError::NoWorkbook)?;
        // The chains a reader follows on opening (the mini stream's, from the first directory entry,
        // and the mini FAT's, when the header counts mini FAT sectors), walked first: looping ones
        // are refused here (the directory's own chain is, by `entries`).
        if u32_at(cfb.bytes, 0x40).unwrap_or(0) > 0 {
            cfb.chain(entries.first().map_or(END_OF_CHAIN, |e| e.start), usize::MAX).map_err(broken)?;
            cfb.chain(cfb.first_minifat, usize::MAX).map_err(broken)?;
        }
        let (units, unit) = cfb.stream_units(book, root).map_err(broken)?;
        let size = usize::try_from(book.size).map_err(|_| XlsSurveyError::StreamTooLarge(book.size))?;
        let mut stream = Vec::with_capacity(size);
        for &at in &units {
            stream.extend_from_slice(bytes.get(at..at + unit).ok_or(XlsSurveyError::Truncated)?);
        }
        if stream.len() < size {
            return Err(XlsSurveyError::Truncated);
        }
        stream.truncate(size);
        (stream, units, unit)
    };
    let mut survey = XlsSurvey { stream_bytes: stream.len() as u64, ..XlsSurvey::default() };
    let mut patches = Vec::new();
    // Globals: every BOUNDSHEET up to the first EOF.
    let mut positions = Vec::new();
    survey.biff8 = stream.starts_with(&[0x09, 0x08]) && u16_at(&stream, 4) == Some(0x0600);
    let mut formats = XlsFormats::default();
    for (at, kind, data) in BiffRecords::new(&stream) {
        if survey.biff8 {
            formats.global(kind, data);
        }
        match kind {
            0x0085 if data.len() >= 8 => {
                let position = u32_at(data, 0).unwrap_or(0) as usize;
                let name = biff_short_string(data.get(6..).unwrap_or(&[]));
                positions.push(position);
                survey.sheets.push(XlsSheet { name, kind: data[5], ..XlsSheet::default() });
            }
            0x000A => break,
            _ => {}
        }
        let _ = at;
    }
    let mut walked = 0usize;
    for (sheet, &position) in survey.sheets.iter_mut().zip(&positions) {
        let part = stream.get(position..).ok_or(XlsSurveyError::Truncated)?;
        let mut bounds = Bounds::default();
        let mut formulas = Bounds::default();
        let mut seen_bof = false;
        let mut depth = 0usize;
        let mut dimensions = None;
        for (at, kind, data) in BiffRecords::new(part) {
            walked = walked.saturating_add(4 + data.len());
            if walked > stream.len().saturating_mul(2) + 4096 {
                return Err(XlsSurveyError::Malformed("sheets overlap one another".into()));
            }
            if depth > 0 {
                match kind {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let pos = |d: &[u8]| Some((u32::from(u16_at(d, 0)?), u32::from(u16_at(d, 2)?)));
            if survey.biff8 {
                formats.cell(kind, data, &mut sheet.formats);
            }
            match kind {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                0x0200 => {
                    let declared = biff_dimensions(data);
                    sheet.declared = declared;
                    dimensions = Some((position + at + 4, data.len(), declared));
                }
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD => {
                    if let Some((row, col)) = pos(data) {
                        bounds.add(row, col, col);
                        sheet.cells += 1;
                    }
                }
                0x0006 => {
                    if let Some((row, col)) = pos(data) {
                        bounds.add(row, col, col);
                        formulas.add(row, col, col);
                        sheet.cells += 1;
                    }
                }
                0x00BD if data.len() >= 6 => {
                    if let (Some((row, first)), Some(last)) = (pos(data), u16_at(data, data.len() - 2)) {
                        let last = u32::from(last).max(first);
                        bounds.add(row, first, last);
                        sheet.cells += u64::from(last - first + 1);
                    }
                }
                _ => {}
            }
        }
        sheet.span = bounds.area();
        sheet.formula_span = formulas.area();
        if let Some((at, len, declared)) = dimensions {
            if declared > max_declared {
                patches.push((at, len));
            }
        }
    }
    for (at, len) in patches {
        for i in at..at + len {
            if let Some(&sector) = units.get(i / unit) {
                if let Some(byte) = bytes.get_mut(sector + i % unit) {
                    *byte = 0;
                }
            }
        }
        survey.patched_dimensions += 1;
    }
    Ok(survey)
}

fn broken(b: Broken) -> XlsSurveyError {
    match b {
        Broken::Truncated => XlsSurveyError::Truncated,
        Broken::Malformed => XlsSurveyError::Malformed("the compound file's structure is damaged".into()),
    }
}

/// The smallest rectangle holding some cells.
#[derive(Default)]
struct Bounds {
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
}

impl Bounds {
    fn add(&mut self, row: u32, first_col: u32, last_col: u32) {
        self.rows = Some(self.rows.map_or((row, row), |(a, b)| (a.min(row), b.max(row))));
        self.cols = Some(self.cols.map_or((first_col, last_col), |(a, b)| (a.min(first_col), b.max(last_col))));
    }

    fn area(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1),
            _ => 0,
        }
    }
}

/// The area a DIMENSIONS record declares, read as readers do (BIFF8's 14 bytes, older ones' 10).
fn biff_dimensions(d: &[u8]) -> u64 {
    let (first_row, last_row, first_col, last_col) = match d.len() {
        10 => (
            u64::from(u16_at(d, 0).unwrap_or(0)),
            u64::from(u16_at(d, 2).unwrap_or(0)),
            u64::from(u16_at(d, 4).unwrap_or(0)),
            u64::from(u16_at(d, 6).unwrap_or(0)),
        ),
        14 | 16 => (
            u64::from(u32_at(d, 0).unwrap_or(0)),
            u64::from(u32_at(d, 4).unwrap_or(0)),
            u64::from(u16_at(d, 8).unwrap_or(0)),
            u64::from(u16_at(d, 10).unwrap_or(0)),
        ),
        _ => return 0,
    };
    let first_col = if first_col > 0xFF || last_col < first_col { 0 } else { first_col };
    if last_row >= 1 && last_col >= 1 {
        last_row.saturating_sub(first_row).max(1).saturating_mul(last_col.saturating_sub(first_col).max(1))
    } else {
        1
    }
}

/// A BIFF8 short string: length, flags (bit 0: two bytes a character), characters.
fn biff_short_string(d: &[u8]) -> String {
    let (Some(&len), Some(&flags)) = (d.first(), d.get(1)) else {
        return String::new();
    };
    let rest = d.get(2..).unwrap_or(&[]);
    let name = if flags & 1 == 1 {
        let units: Vec<u16> =
            rest.chunks_exact(2).take(usize::from(len)).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        rest.iter().take(usize::from(len)).map(|&b| char::from(b)).collect()
    };
    name.replace('\0', "")
}

/// A workbook stream's records: (offset, type, data); stops at the first one cut short.
struct BiffRecords<'a> {
    stream: &'a [u8],
    at: usize,
}

impl<'a> BiffRecords<'a> {
    fn new(stream: &'a [u8]) -> BiffRecords<'a> {
        BiffRecords { stream, at: 0 }
    }
}

impl<'a> Iterator for BiffRecords<'a> {
    type Item = (usize, u16, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let kind = u16_at(self.stream, self.at)?;
        let len = usize::from(u16_at(self.stream, self.at + 2)?);
        let data = self.stream.get(self.at + 4..self.at + 4 + len)?;
        let at = self.at;
        self.at += 4 + len;
        Some((at, kind, data))
    }
}

// ---------------------------------------------------------------------------------------------
// Text: web pages, XML, CSV.

fn sniff_text(head: &[u8], cut: bool, ext: &str) -> FileKind {
    let decoded: Vec<u8>;
    let text: &[u8] = if let Some(rest) = head.strip_prefix(b"\xEF\xBB\xBF") {
        rest
    } else if let Some(rest) = head.strip_prefix(b"\xFF\xFE") {
        decoded = utf16(rest, false).into_bytes();
        &decoded
    } else if let Some(rest) = head.strip_prefix(b"\xFE\xFF") {
        decoded = utf16(rest, true).into_bytes();
        &decoded
    } else {
        head
    };
    if !looks_like_text(text) {
        return FileKind::Binary;
    }
    if let Some(kind) = classify_markup(text) {
        return kind;
    }
    if is_delimited(text, cut, ext) {
        FileKind::Csv
    } else {
        FileKind::Text
    }
}

fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|c| {
        let pair = [c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    char::decode_utf16(units).map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER)).collect()
}

/// No NULs, hardly any control characters, and valid UTF-8 or GB18030-shaped (the end may be cut).
fn looks_like_text(t: &[u8]) -> bool {
    if t.contains(&0) {
        return false;
    }
    let control = t.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A | 0x1B)).count();
    if control * 200 > t.len() {
        return false;
    }
    let utf8 = match std::str::from_utf8(t) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    utf8 || gb18030_shaped(t)
}

/// Whether the bytes follow GB18030's structure (GBK two-byte and GB18030 four-byte sequences).
fn gb18030_shaped(t: &[u8]) -> bool {
    let mut i = 0usize;
    while let Some(&b) = t.get(i) {
        match b {
            0x00..=0x7F => i += 1,
            0x81..=0xFE => match t.get(i + 1) {
                None => return true,
                Some(0x40..=0x7E | 0x80..=0xFE) => i += 2,
                Some(0x30..=0x39) => {
                    let third = t.get(i + 2).is_none_or(|c| (0x81..=0xFE).contains(c));
                    let fourth = t.get(i + 3).is_none_or(|c| c.is_ascii_digit());
                    if !(third && fourth) {
                        return false;
                    }
                    i += 4;
                }
                Some(_) => return false,
            },
            _ => return false,
        }
    }
    true
}

fn classify_markup(text: &[u8]) -> Option<FileKind> {
    let trimmed = text.trim_ascii_start();
    let lower: Vec<u8> = trimmed.iter().take(4096).map(u8::to_ascii_lowercase).collect();
    let has = |needle: &[u8]| find(&lower, needle).is_some();
    let spreadsheet = || {
        has(b"urn:schemas-microsoft-com:office:spreadsheet")
            || has(b"progid=\"excel.sheet\"")
            || lower.starts_with(b"<workbook")
            || lower.starts_with(b"<ss:workbook")
    };
    const HTML: [&[u8]; 7] = [b"<!doctype html", b"<html", b"<table", b"<meta", b"<body", b"<head", b"<tr"];
    if find(lower.get(..1024).unwrap_or(&lower), b"mime-version:").is_some() && has(b"multipart/related") {
        return Some(FileKind::Mhtml);
    }
    if lower.starts_with(b"<?xml") || lower.starts_with(b"<?mso") {
        return Some(if spreadsheet() {
            FileKind::SpreadsheetMl
        } else if has(b"<html") {
            FileKind::Html
        } else {
            FileKind::Xml
        });
    }
    if lower.starts_with(b"<") {
        if HTML.iter().any(|m| has(m)) {
            return Some(FileKind::Html);
        }
        if spreadsheet() {
            return Some(FileKind::SpreadsheetMl);
        }
        if lower.get(1).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'!') {
            return Some(FileKind::Xml);
        }
    }
    if has(b"<table") && has(b"<td") {
        return Some(FileKind::Html);
    }
    None
}

/// Whether most lines hold the same (non-zero) number of commas, or of tabs.
fn is_delimited(text: &[u8], cut: bool, ext: &str) -> bool {
    let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    if cut && lines.len() > 1 {
        lines.pop();
    }
    lines.retain(|l| !l.trim_ascii().is_empty());
    let hinted = matches!(ext, "csv" | "tsv");
    [b',', b'\t'].iter().any(|&delimiter| {
        let counts: Vec<usize> = lines.iter().map(|l| count_outside_quotes(l, delimiter)).collect();
        if hinted && counts.iter().any(|&c| c > 0) {
            return true;
        }
        let mut best = (0usize, 0usize); // (count, lines having it)
        for &c in counts.iter().filter(|&&c| c > 0) {
            let n = counts.iter().filter(|&&d| d == c).count();
            if n > best.1 {
                best = (c, n);
            }
        }
        best.1 >= 2 && best.1 * 10 >= lines.len() * 6
    })
}

fn count_outside_quotes(line: &[u8], delimiter: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            n += 1;
        }
    }
    n
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// Building grids within the limits.

/// A bilingual error message: Chinese, then English.
fn error(zh: &str, en: &str) -> String {
    format!("{zh} / {en}")
}

#[derive(Default)]
struct Budget {
    cells: usize,
}

impl Budget {
    fn spend(&mut self, n: usize) -> Result<(), String> {
        self.cells = self.cells.saturating_add(n);
        if self.cells > MAX_CELLS {
            return Err(error(
                "表格超过 1,000,000 个单元格，拒绝读取",
                "the file holds more than 1,000,000 cells; refused",
            ));
        }
        Ok(())
    }
}

fn check_column(col: u32) -> Result<(), String> {
    if col >= MAX_COLUMNS {
        return Err(error("表格超过 10,000 列，拒绝读取", "a sheet has more than 10,000 columns; refused"));
    }
    Ok(())
}

fn check_row(row: u32) -> Result<(), String> {
    if row >= MAX_ROWS {
        return Err(error("表格超过 1,048,576 行，拒绝读取", "a sheet has more than 1,048,576 rows; refused"));
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), String> {
    // Bytes first (cheap), characters only when it may be too long.
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(error(
            "有单元格的文字超过 32,767 个字符，拒绝读取",
            "a cell holds more than 32,767 characters; refused",
        ));
    }
    Ok(())
}

/// Rows of cells grown on demand, merges, and the cells spent on them.
#[derive(Default)]
struct SheetBuilder {
    rows: Vec<Vec<GridCell>>,
    merges: Vec<Merge>,
}

impl SheetBuilder {
    fn ensure_row(&mut self, row: u32) -> Result<(), String> {
        check_row(row)?;
        let need = row as usize + 1;
        if self.rows.len() < need {
            self.rows.resize_with(need, Vec::new);
        }
        Ok(())
    }

    fn put(&mut self, row: u32, col: u32, value: Value, budget: &mut Budget) -> Result<(), String> {
        check_column(col)?;
        self.ensure_row(row)?;
        let Some(cells) = self.rows.get_mut(row as usize) else {
            return Ok(());
        };
        let need = col as usize + 1;
        if cells.len() < need {
            budget.spend(need - cells.len())?;
            cells.resize_with(need, GridCell::default);
        }
        if let Some(cell) = cells.get_mut(col as usize) {
            *cell = GridCell { value, ..GridCell::default() };
        }
        Ok(())
    }

    fn merge(&mut self, row: u32, col: u32, rows: u32, cols: u32, budget: &mut Budget) -> Result<(), String> {
        if rows <= 1 && cols <= 1 {
            return Ok(());
        }
        let last_col = col.saturating_add(cols - 1);
        let last_row = row.saturating_add(rows - 1);
        check_column(last_col)?;
        check_row(last_row)?;
        budget.spend((rows as usize).saturating_mul(cols as usize) - 1)?;
        self.merges.push(Merge { first_row: row, first_col: col, last_row, last_col });
        Ok(())
    }

    fn into_grid(self, name: &str) -> Grid {
        Grid::new(name, self.rows, self.merges)
    }

    /// A rowspan reaching past the last row stops at it, as in a browser.
    fn clip_merges(&mut self) {
        let last = self.rows.len().saturating_sub(1) as u32;
        for m in &mut self.merges {
            m.last_row = m.last_row.min(last).max(m.first_row);
        }
        self.merges.retain(|m| m.first_row <= last && (m.last_row > m.first_row || m.last_col > m.first_col));
    }
}

// ---------------------------------------------------------------------------------------------
// HTML tables.

/// Reads every `<table>` of a web page as a grid: `rowspan`/`colspan` become merges holding their
/// value in the top-left cell; cell text has its tags stripped, `<br>` as a line break and entities
/// decoded; numbers stay text (the figure parser reads text numbers and knows their decimals).
/// A lone table is named after the file (`name`'s stem), several are "stem-1", "stem-2"… ("Sheet1"…
/// without a name).
///
/// # Errors
/// A page in an encoding neither declared (any charset label a browser knows) nor recognisable
/// (UTF-8, UTF-16 with a BOM, GBK/GB18030 by its bytes),
/// holds no table, or exceeds the limits.
pub fn read_html_tables(bytes: &[u8], name: &str) -> Result<Vec<Grid>, String> {
    let text = decode_html(bytes)?;
    let mut tables = HtmlTables::default();
    tokenize_html(&text, &mut tables)?;
    while let Some(table) = tables.open.pop() {
        tables.finish(table)?;
    }
    let mut done = tables.done;
    if done.is_empty() {
        return Err(error("网页中没有表格", "the web page holds no table"));
    }
    done.sort_by_key(|(order, _)| *order);
    let stem = Path::new(name).file_stem().and_then(|s| s.to_str()).unwrap_or("").trim().to_string();
    let single = done.len() == 1;
    Ok(done
        .into_iter()
        .enumerate()
        .map(|(i, (_, sheet))| {
            let sheet_name = match (stem.is_empty(), single) {
                (false, true) => stem.clone(),
                (false, false) => format!("{stem}-{}", i + 1),
                (true, _) => format!("Sheet{}", i + 1),
            };
            sheet.into_grid(&sheet_name)
        })
        .collect())
}

fn decode_html(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok(String::from_utf8_lossy(rest));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Ok(Cow::Owned(utf16(rest, false)));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Ok(Cow::Owned(utf16(rest, true)));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    decode_declared(bytes).ok_or_else(|| match declared_charset(bytes.get(..4096).unwrap_or(bytes)) {
        Some(c) => error(
            &format!("网页的编码 {c} 无法识别：请用 Excel 打开后另存为 .xlsx 再检查"),
            &format!("the web page's encoding {c} is not known: open it in Excel and save it as .xlsx, then check it again"),
        ),
        None => error(
            "网页的编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）：请用 Excel 打开后另存为 .xlsx 再检查",
            "the web page's encoding is not recognised (neither UTF-8 nor GBK/GB18030): open it in Excel and save it as .xlsx, then check it again",
        ),
    })
}

/// Text that is not UTF-8, decoded by the charset it declares (`<meta charset>`, an XML
/// declaration's `encoding`), any label a browser knows; undeclared, as GB18030 (a superset of GBK
/// and GB2312, what Chinese web systems write) when its bytes are shaped like it.
fn decode_declared(bytes: &[u8]) -> Option<Cow<'_, str>> {
    let encoding = match declared_charset(bytes.get(..4096).unwrap_or(bytes)) {
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())?,
        None if gb18030_shaped(bytes) => encoding_rs::GB18030,
        None => return None,
    };
    // A page declaring UTF-8 that is not: GB18030 when it is shaped so, else lossy UTF-8.
    let encoding = match encoding == encoding_rs::UTF_8 && gb18030_shaped(bytes) {
        true => encoding_rs::GB18030,
        false => encoding,
    };
    Some(encoding.decode_without_bom_handling(bytes).0)
}

/// `charset=…` of a `<meta>` tag or `encoding="…"` of an XML declaration, lower-cased.
fn declared_charset(head: &[u8]) -> Option<String> {
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let after = find(&lower, b"charset").map(|i| i + 7).or_else(|| find(&lower, b"encoding").map(|i| i + 8))?;
    let rest = lower.get(after..)?;
    let rest = rest.trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
    let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
    let token: Vec<u8> = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b':'))
        .copied()
        .collect();
    String::from_utf8(token).ok().filter(|t| !t.is_empty())
}

/// The open tables (nested ones on top) and the finished ones with their opening order.
#[derive(Default)]
struct HtmlTables {
    open: Vec<HtmlTable>,
    done: Vec<(usize, SheetBuilder)>,
    opened: usize,
    budget: Budget,
}

#[derive(Default)]
struct HtmlTable {
    order: usize,
    sheet: SheetBuilder,
    /// Positions taken by a rowspan/colspan from an earlier cell.
    taken: HashSet<(u32, u32)>,
    /// The row being filled, if one is open.
    row: Option<u32>,
    next_row: u32,
    col: u32,
    cell: Option<OpenCell>,
}

struct OpenCell {
    row: u32,
    col: u32,
    text: String,
}

impl HtmlTables {
    fn start(&mut self, name: &str, attrs: &str) -> Result<(), String> {
        match name {
            "table" => {
                self.budget.spend(1)?;
                // Text around a nested table stays apart from it.
                self.line_break(true);
                self.open.push(HtmlTable { order: self.opened, ..HtmlTable::default() });
                self.opened += 1;
            }
            "tr" => {
                if let Some(table) = self.open.last_mut() {
                    table.close_cell(&mut self.budget)?;
                    table.open_row()?;
                }
            }
            "td" | "th" => {
                if let Some(table) = self.open.last_mut() {
                    table.close_cell(&mut self.budget)?;
                    if table.row.is_none() {
                        table.open_row()?;
                    }
                    let span = |key: &str, max: u32| {
                        attribute(attrs, key).and_then(|v| leading_number(&v)).map_or(1, |n| n.clamp(1, max))
                    };
                    table.open_cell(span("rowspan", 65_534), span("colspan", 1_000), &mut self.budget)?;
                }
            }
            "thead" | "tbody" | "tfoot" => {
                if let Some(table) = self.open.last_mut() {
                    table.close_cell(&mut self.budget)?;
                    table.row = None;
                }
            }
            "br" => self.line_break(false),
            "p" | "div" | "li" => self.line_break(true),
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &str) -> Result<(), String> {
        match name {
            "table" => {
                if let Some(table) = self.open.pop() {
                    self.finish(table)?;
                }
            }
            "td" | "th" => {
                if let Some(table) = self.open.last_mut() {
                    table.close_cell(&mut self.budget)?;
                }
            }
            "tr" | "thead" | "tbody" | "tfoot" => {
                if let Some(table) = self.open.last_mut() {
                    table.close_cell(&mut self.budget)?;
                    table.row = None;
                }
            }
            "p" | "div" | "li" => self.line_break(true),
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, mut table: HtmlTable) -> Result<(), String> {
        table.close_cell(&mut self.budget)?;
        table.sheet.clip_merges();
        self.done.push((table.order, table.sheet));
        Ok(())
    }

    fn text(&mut self, raw: &str) -> Result<(), String> {
        let Some(cell) = self.open.last_mut().and_then(|t| t.cell.as_mut()) else {
            return Ok(());
        };
        for c in decode_entities(raw).chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                if !cell.text.is_empty() && !cell.text.ends_with([' ', '\n']) {
                    cell.text.push(' ');
                }
            } else {
                cell.text.push(c);
            }
        }
        if cell.text.len() > MAX_CELL_CHARS * 4 {
            check_text(&cell.text)?;
        }
        Ok(())
    }

    /// `<br>` always breaks the line; a block element only when text precedes it.
    fn line_break(&mut self, block: bool) {
        if let Some(cell) = self.open.last_mut().and_then(|t| t.cell.as_mut()) {
            let kept = cell.text.trim_end_matches(' ').len();
            cell.text.truncate(kept);
            if !(block && (cell.text.is_empty() || cell.text.ends_with('\n'))) {
                cell.text.push('\n');
            }
        }
    }
}

impl HtmlTable {
    fn open_row(&mut self) -> Result<(), String> {
        check_row(self.next_row)?;
        self.sheet.ensure_row(self.next_row)?;
        self.row = Some(self.next_row);
        self.next_row += 1;
        self.col = 0;
        Ok(())
    }

    fn open_cell(&mut self, rows: u32, cols: u32, budget: &mut Budget) -> Result<(), String> {
        let Some(row) = self.row else {
            return Ok(());
        };
        while self.taken.contains(&(row, self.col)) {
            self.col += 1;
            check_column(self.col)?;
        }
        let col = self.col;
        check_column(col.saturating_add(cols - 1))?;
        self.sheet.merge(row, col, rows, cols, budget)?;
        if rows > 1 || cols > 1 {
            for r in row..row.saturating_add(rows) {
                for c in col..col + cols {
                    self.taken.insert((r, c));
                }
            }
        }
        self.cell = Some(OpenCell { row, col, text: String::new() });
        self.col = col + cols;
        Ok(())
    }

    fn close_cell(&mut self, budget: &mut Budget) -> Result<(), String> {
        let Some(cell) = self.cell.take() else {
            return Ok(());
        };
        let text = cell.text.replace('\u{a0}', " ");
        let lines: Vec<&str> = text.split('\n').map(|l| l.trim_matches(' ')).collect();
        let text = lines.join("\n").trim_matches('\n').to_string();
        check_text(&text)?;
        let value = if text.is_empty() { Value::Empty } else { Value::Text(text.into()) };
        self.sheet.put(cell.row, cell.col, value, budget)
    }
}

/// Splits a page into text and tags the way a browser tolerates them: comments, doctypes and the
/// insides of `<script>`/`<style>` are skipped; a `<` that opens no tag is text.
fn tokenize_html(s: &str, out: &mut HtmlTables) -> Result<(), String> {
    let b = s.as_bytes();
    let mut i = 0usize;
    while i < b.len() {
        let Some(lt) = b.get(i..).and_then(|rest| rest.iter().position(|&c| c == b'<')).map(|p| i + p) else {
            out.text(s.get(i..).unwrap_or(""))?;
            break;
        };
        if lt > i {
            out.text(s.get(i..lt).unwrap_or(""))?;
        }
        let rest = b.get(lt..).unwrap_or(&[]);
        if rest.starts_with(b"<!--") {
            i = find(b.get(lt + 4..).unwrap_or(&[]), b"-->").map_or(b.len(), |p| lt + 4 + p + 3);
            continue;
        }
        if rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            i = position_from(b, lt + 2, b'>').map_or(b.len(), |p| p + 1);
            continue;
        }
        let closing = rest.get(1) == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        if !b.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            if closing {
                // `</ …>` with no name: a bogus comment.
                i = position_from(b, name_start, b'>').map_or(b.len(), |p| p + 1);
            } else {
                out.text("<")?;
                i = lt + 1;
            }
            continue;
        }
        let name_len = b
            .get(name_start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_'))
            .count();
        let name_end = name_start + name_len;
        let tag_end = tag_end(b, name_end);
        let name = s.get(name_start..name_end).unwrap_or("").to_ascii_lowercase();
        let attrs = s.get(name_end..tag_end).unwrap_or("");
        i = tag_end.saturating_add(1).min(b.len());
        if closing {
            out.end(&name)?;
        } else {
            out.start(&name, attrs)?;
            if matches!(name.as_str(), "script" | "style" | "textarea" | "title" | "xml") {
                let close = format!("</{name}");
                i = find_ignore_case(b, i, close.as_bytes()).unwrap_or(b.len());
            }
        }
    }
    Ok(())
}

fn position_from(b: &[u8], from: usize, byte: u8) -> Option<usize> {
    b.get(from..)?.iter().position(|&c| c == byte).map(|p| from + p)
}

fn find_ignore_case(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)).map(|p| from + p)
}

/// Where a tag's `>` is (or the end of the input), skipping quoted attribute values.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut last = 0u8;
    for (j, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'>' => return j,
            None if matches!(c, b'"' | b'\'') && last == b'=' => quote = Some(c),
            None => {}
        }
        if !c.is_ascii_whitespace() {
            last = c;
        }
    }
    b.len()
}

/// An attribute's value (entities decoded) from a tag's attribute text.
fn attribute(attrs: &str, wanted: &str) -> Option<String> {
    let b = attrs.as_bytes();
    let mut i = 0usize;
    while i < b.len() {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace() || *c == b'/') {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/')) {
            i += 1;
        }
        let key = attrs.get(start..i).unwrap_or("");
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let mut value = "";
        if b.get(i) == Some(&b'=') {
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = position_from(b, i + 1, q).unwrap_or(b.len());
                    value = attrs.get(i + 1..end).unwrap_or("");
                    i = end + 1;
                }
                _ => {
                    let vstart = i;
                    while b.get(i).is_some_and(|c| !c.is_ascii_whitespace()) {
                        i += 1;
                    }
                    value = attrs.get(vstart..i).unwrap_or("");
                }
            }
        }
        if key.eq_ignore_ascii_case(wanted) {
            return Some(decode_entities(value).into_owned());
        }
        if i == start {
            i += 1; // a stray `=` or `/`: step over it
        }
    }
    None
}

/// The number an attribute starts with, as a browser reads `rowspan="2px"`.
fn leading_number(value: &str) -> Option<u32> {
    let digits: String = value.trim().chars().take_while(char::is_ascii_digit).take(9).collect();
    digits.parse().ok()
}

/// Decodes `&nbsp;` `&amp;` `&lt;` `&gt;` `&quot;` `&apos;`, `&#…;`, `&#x…;` and a few common names;
/// anything else is left as written.
fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or(""));
        rest = rest.get(amp..).unwrap_or("");
        let decoded = rest.get(1..).and_then(|after| {
            let semi = after.char_indices().take(12).find(|&(_, c)| c == ';').map(|(i, _)| i)?;
            let entity = after.get(..semi)?;
            Some((entity_char(entity)?, semi + 2))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = rest.get(used..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn entity_char(entity: &str) -> Option<char> {
    if let Some(number) = entity.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        return Some(char::from_u32(code).filter(|&c| c != '\0').unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    Some(match entity {
        "nbsp" => '\u{a0}',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "yen" => '¥',
        "middot" => '·',
        "times" => '×',
        "divide" => '÷',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "permil" => '‰',
        "plusmn" => '±',
        "deg" => '°',
        "copy" => '©',
        "reg" => '®',
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// XML Spreadsheet 2003.

/// Reads an XML Spreadsheet 2003 file: one grid per `<Worksheet>`, named by its `ss:Name`.
/// `ss:Type="Number"` data become numbers (that format stores them as such), the rest text;
/// `ss:Index` on a row or cell skips to that (1-based) position; `ss:MergeAcross`/`ss:MergeDown`
/// become merges.
///
/// # Errors
/// Malformed XML, an encoding neither declared nor UTF-8/UTF-16/GB18030, no worksheet, or input
/// past the limits.
pub fn read_spreadsheet_ml(bytes: &[u8]) -> Result<Vec<Grid>, String> {
    let text: Cow<'_, str> = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Cow::Borrowed(std::str::from_utf8(rest).map_err(|_| not_utf8())?)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        Cow::Owned(utf16(rest, false))
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        Cow::Owned(utf16(rest, true))
    } else {
        match std::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => decode_declared(bytes).ok_or_else(not_utf8)?,
        }
    };
    // A UTF-16 file's declaration still says UTF-16; the text is UTF-8 now.
    let mut xml = XmlReader::from_str(&text);
    let mut state = SpreadsheetMl::default();
    loop {
        let at = xml.buffer_position();
        let event = xml.read_event().map_err(|e| {
            error(
                &format!("XML 表格格式有误（第 {at} 字节附近）：{e}"),
                &format!("malformed XML Spreadsheet near byte {at}: {e}"),
            )
        })?;
        match event {
            Event::Start(e) => state.start(&e, false)?,
            Event::Empty(e) => state.start(&e, true)?,
            Event::End(e) => state.end(e.local_name().as_ref())?,
            Event::Text(t) => state.text(&t.xml10_content())?,
            Event::CData(t) => state.text(&t.xml10_content())?,
            Event::GeneralRef(r) => state.text(&xml_entity(&r))?,
            Event::Eof => break,
            _ => {}
        }
    }
    state.finish_sheet();
    if state.grids.is_empty() {
        return Err(error("XML 文件中没有工作表（Worksheet）", "the XML file holds no worksheet"));
    }
    Ok(state.grids)
}

fn not_utf8() -> String {
    error(
        "XML 表格的编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）：请用 Excel 打开后另存为 .xlsx 再检查",
        "the XML Spreadsheet's encoding is not recognised (neither UTF-8 nor GBK/GB18030): open it in Excel and save it as .xlsx, then check it again",
    )
}

fn xml_entity(reference: &BytesRef<'_>) -> String {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return c.to_string();
    }
    let name = reference.xml10_content();
    match entity_char(&name) {
        Some(c) => c.to_string(),
        None => format!("&{name};"),
    }
}

#[derive(Default)]
struct SpreadsheetMl {
    grids: Vec<Grid>,
    sheet: Option<(String, SheetBuilder)>,
    budget: Budget,
    next_row: u32,
    row: Option<u32>,
    col: u32,
    cell: Option<SmlCell>,
    in_data: bool,
    /// Depth inside `<Comment>`, whose `<Data>` is no cell value.
    in_comment: u32,
}

struct SmlCell {
    row: u32,
    col: u32,
    kind: Option<String>,
    text: Option<String>,
}

/// An attribute by its local name (`ss:Index` and `Index` alike).
fn sml_attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .with_checks(false)
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

fn sml_number(e: &BytesStart<'_>, local: &str) -> Option<u32> {
    sml_attr(e, local).and_then(|v| v.trim().parse::<u64>().ok()).map(|n| n.min(u64::from(u32::MAX)) as u32)
}

impl SpreadsheetMl {
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) -> Result<(), String> {
        match e.local_name().as_ref() {
            "Worksheet" => {
                self.finish_sheet();
                self.next_row = 0;
                let name = sml_attr(e, "Name").unwrap_or_else(|| format!("Sheet{}", self.grids.len() + 1));
                self.budget.spend(1)?;
                self.sheet = Some((name, SheetBuilder::default()));
                if empty {
                    self.finish_sheet();
                }
            }
            "Table" => {
                self.next_row = 0;
            }
            "Row" => {
                let Some((_, sheet)) = self.sheet.as_mut() else {
                    return Ok(());
                };
                let row = sml_number(e, "Index").filter(|&n| n >= 1).map_or(self.next_row, |n| n - 1);
                sheet.ensure_row(row)?;
                let span = sml_number(e, "Span").unwrap_or(0);
                self.next_row = row.saturating_add(1).saturating_add(span);
                self.row = if empty { None } else { Some(row) };
                self.col = 0;
            }
            "Cell" => {
                let (Some((_, sheet)), Some(row)) = (self.sheet.as_mut(), self.row) else {
                    return Ok(());
                };
                let col = sml_number(e, "Index").filter(|&n| n >= 1).map_or(self.col, |n| n - 1);
                check_column(col)?;
                let across = sml_number(e, "MergeAcross").unwrap_or(0).min(MAX_COLUMNS);
                let down = sml_number(e, "MergeDown").unwrap_or(0).min(MAX_ROWS);
                sheet.merge(row, col, down + 1, across + 1, &mut self.budget)?;
                self.col = col.saturating_add(across).saturating_add(1);
                let cell = SmlCell { row, col, kind: None, text: None };
                if empty {
                    self.place(cell)?;
                } else {
                    self.cell = Some(cell);
                }
            }
            "Comment" if !empty => self.in_comment += 1,
            "Data" if self.in_comment == 0 => {
                if let Some(cell) = self.cell.as_mut() {
                    cell.kind = sml_attr(e, "Type");
                    cell.text = Some(String::new());
                    self.in_data = !empty;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, local: &str) -> Result<(), String> {
        // The reader hands over the qualified name; compare its local part.
        let local = local.rsplit(':').next().unwrap_or(local);
        match local {
            "Worksheet" => self.finish_sheet(),
            "Row" => self.row = None,
            "Cell" => {
                if let Some(cell) = self.cell.take() {
                    self.place(cell)?;
                }
                self.in_data = false;
            }
            "Data" if self.in_comment == 0 => self.in_data = false,
            "Comment" => self.in_comment = self.in_comment.saturating_sub(1),
            _ => {}
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), String> {
        if !self.in_data || self.in_comment > 0 {
            return Ok(());
        }
        if let Some(buffer) = self.cell.as_mut().and_then(|c| c.text.as_mut()) {
            buffer.push_str(text);
            if buffer.len() > MAX_CELL_CHARS * 4 {
                check_text(buffer)?;
            }
        }
        Ok(())
    }

    fn place(&mut self, cell: SmlCell) -> Result<(), String> {
        let Some((_, sheet)) = self.sheet.as_mut() else {
            return Ok(());
        };
        let text = cell.text.unwrap_or_default();
        check_text(&text)?;
        let value = match cell.kind.as_deref().map(str::trim) {
            _ if text.is_empty() => Value::Empty,
            Some("Number") => match text.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Number(n),
                _ => Value::Text(text.into()),
            },
            Some("Boolean") => Value::Bool(matches!(text.trim(), "1" | "true" | "TRUE")),
            Some("DateTime") => Value::Date(text.into()),
            Some("Error") => Value::Error(text.into()),
            _ => Value::Text(text.into()),
        };
        sheet.put(cell.row, cell.col, value, &mut self.budget)
    }

    fn finish_sheet(&mut self) {
        if let Some((name, sheet)) = self.sheet.take() {
            self.grids.push(sheet.into_grid(&name));
        }
        self.row = None;
        self.cell = None;
        self.in_data = false;
        self.in_comment = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    // ----- samples -------------------------------------------------------------------------

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            // ODF wants its mimetype stored, first; deflate the rest.
            let method = if *name == "mimetype" { CompressionMethod::Stored } else { CompressionMethod::Deflated };
            zip.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const CONTENT_TYPES: &[u8] = br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
    const WORKBOOK_XML: &[u8] = br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>"#;

    fn xlsx() -> Vec<u8> {
        zip_of(&[
            ("[Content_Types].xml", CONTENT_TYPES),
            ("xl/workbook.xml", WORKBOOK_XML),
            ("xl/worksheets/sheet1.xml", b"<worksheet/>"),
        ])
    }

    const FREE: u32 = 0xFFFF_FFFF;
    const END: u32 = 0xFFFF_FFFE;
    const FAT_SECT: u32 = 0xFFFF_FFFD;

    fn alloc(data: &[u8], sectors: &mut Vec<Vec<u8>>, fat: &mut Vec<u32>) -> u32 {
        let start = sectors.len() as u32;
        let chunks: Vec<&[u8]> = data.chunks(512).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let mut sector = chunk.to_vec();
            sector.resize(512, 0);
            sectors.push(sector);
            fat.push(if i + 1 == chunks.len() { END } else { start + i as u32 + 1 });
        }
        start
    }

    /// A version-3 compound file holding up to three streams: ones of 4096 bytes or more in
    /// regular sectors, smaller ones in the mini stream.
    fn cfb_of(streams: &[(&str, Vec<u8>)]) -> Vec<u8> {
        assert!(streams.len() <= 3);
        let mut sectors = vec![vec![0u8; 512], vec![0u8; 512]]; // 0: FAT, 1: directory
        let mut fat = vec![FAT_SECT, END];
        let mut mini = Vec::new();
        let mut minifat: Vec<u32> = Vec::new();
        let mut starts = Vec::new();
        for (_, data) in streams {
            if data.len() >= 4096 {
                starts.push(alloc(data, &mut sectors, &mut fat));
            } else if data.is_empty() {
                starts.push(END);
            } else {
                let start = (mini.len() / 64) as u32;
                let chunks: Vec<&[u8]> = data.chunks(64).collect();
                for (i, chunk) in chunks.iter().enumerate() {
                    let mut piece = chunk.to_vec();
                    piece.resize(64, 0);
                    mini.extend(piece);
                    minifat.push(if i + 1 == chunks.len() { END } else { start + i as u32 + 1 });
                }
                starts.push(start);
            }
        }
        let (root_start, root_size) =
            if mini.is_empty() { (END, 0) } else { (alloc(&mini, &mut sectors, &mut fat), mini.len() as u32) };
        let (minifat_start, minifat_count) = if minifat.is_empty() {
            (END, 0)
        } else {
            minifat.resize(128, FREE);
            let raw: Vec<u8> = minifat.iter().flat_map(|v| v.to_le_bytes()).collect();
            (alloc(&raw, &mut sectors, &mut fat), 1)
        };
        let mut dir = vec![0u8; 512];
        let mut entry = |index: usize, name: &str, kind: u8, child: u32, right: u32, start: u32, size: u32| {
            let e = &mut dir[index * 128..(index + 1) * 128];
            let units: Vec<u16> = name.encode_utf16().collect();
            for (i, u) in units.iter().enumerate() {
                e[i * 2..i * 2 + 2].copy_from_slice(&u.to_le_bytes());
            }
            e[64..66].copy_from_slice(&(((units.len() + 1) * 2) as u16).to_le_bytes());
            e[66] = kind;
            e[67] = 1;
            e[68..72].copy_from_slice(&FREE.to_le_bytes());
            e[72..76].copy_from_slice(&right.to_le_bytes());
            e[76..80].copy_from_slice(&child.to_le_bytes());
            e[116..120].copy_from_slice(&start.to_le_bytes());
            e[120..124].copy_from_slice(&size.to_le_bytes());
        };
        entry(0, "Root Entry", 5, if streams.is_empty() { FREE } else { 1 }, FREE, root_start, root_size);
        for (i, (name, data)) in streams.iter().enumerate() {
            let right = if i + 1 < streams.len() { i as u32 + 2 } else { FREE };
            entry(i + 1, name, 2, FREE, right, starts[i], data.len() as u32);
        }
        sectors[1] = dir;
        assert!(fat.len() <= 128);
        fat.resize(128, FREE);
        sectors[0] = fat.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        let mut put16 = |at: usize, v: u16| header[at..at + 2].copy_from_slice(&v.to_le_bytes());
        put16(0x18, 0x3E);
        put16(0x1A, 3);
        put16(0x1C, 0xFFFE);
        put16(0x1E, 9);
        put16(0x20, 6);
        let mut put32 = |at: usize, v: u32| header[at..at + 4].copy_from_slice(&v.to_le_bytes());
        put32(0x2C, 1);
        put32(0x30, 1);
        put32(0x38, 4096);
        put32(0x3C, minifat_start);
        put32(0x40, minifat_count);
        put32(0x44, END);
        put32(0x48, 0);
        for i in 0..109 {
            put32(0x4C + 4 * i, if i == 0 { 0 } else { FREE });
        }
        let mut out = header;
        for sector in sectors {
            out.extend(sector);
        }
        out
    }

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    /// A BIFF8 globals stream: BOF, optionally FILEPASS, BOUNDSHEET, EOF; padded to `size`.
    fn biff(encrypted: bool, size: usize) -> Vec<u8> {
        let mut out = record(0x0809, &[0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        if encrypted {
            out.extend(record(0x002F, &[0x00, 0x00, 0x34, 0x12, 0x78, 0x56]));
        }
        out.extend(record(0x0085, &[0, 0, 0, 0, 0, 0, 1, 0, b'S']));
        out.extend(record(0x000A, &[]));
        out.resize(size.max(out.len()), 0);
        out
    }

    fn xls() -> Vec<u8> {
        cfb_of(&[("Workbook", biff(false, 4096))])
    }

    const HTML: &str = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\
        <title>导出</title><style>td { color: red } </td></style><!-- <table><tr><td>no</td></tr></table> --></head><body>\n\
        <table border=1>\n\
        <tr><th rowspan=\"2\">项目名称</th><th colspan=2>金额&nbsp;(万元)</th>\n\
        <tr><td>预算<br>数</td><td>实际 &amp;\n   支出</td></tr>\n\
        <tr><td>A&lt;1&gt;</td><td class=xl65 x:num=\"1411.64\">1,411.64<td>98.96%\n\
        <tr><td>&#39033;&#x76EE;</td><td> 12&nbsp;</td><td></td>\n\
        </table>\n<p>说明</p>\n<table><tr><td>x<table><tr><td>inner</td></tr></table>y</td></tr></table>";

    const SPREADSHEET_ML: &str = r#"<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <Worksheet ss:Name="表1">
  <Table ss:ExpandedColumnCount="4" x:FullColumns="1">
   <Row><Cell ss:MergeAcross="2" ss:StyleID="s1"><Data ss:Type="String">标题 &amp; 说明</Data></Cell></Row>
   <Row ss:Index="3"><Cell><Data ss:Type="String">项目</Data></Cell><Cell ss:Index="3"><Data ss:Type="Number">1411.64</Data></Cell><Cell ss:MergeDown="1"><Data ss:Type="Number">98.5</Data><Comment ss:Author="a"><ss:Data>note</ss:Data></Comment></Cell></Row>
   <Row><Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>粗</B>体&#x4E00;</ss:Data></Cell><Cell ss:Index="3"><Data ss:Type="Number">abc</Data></Cell><Cell/><Cell><Data ss:Type="Boolean">1</Data></Cell></Row>
  </Table>
 </Worksheet>
 <Worksheet ss:Name="Sheet2"><Table/></Worksheet>
</Workbook>"#;

    /// Every sample with the kind it must be recognised as.
    fn samples() -> Vec<(&'static str, Vec<u8>, FileKind)> {
        let xlsx = xlsx();
        let truncated = xlsx[..xlsx.len() / 2].to_vec();
        let mut utf16_html = vec![0xFF, 0xFE];
        utf16_html
            .extend("\r\n<HTML><body><table><tr><td>1</td></tr></table>".encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf16_tsv = vec![0xFF, 0xFE];
        utf16_tsv.extend("项目\t金额\r\nA\t1\r\nB\t2\r\n".encode_utf16().flat_map(u16::to_le_bytes));
        let broken_header = {
            let mut b = xls();
            b[0x1E] = 7;
            b
        };
        let mut random = vec![0u8; 3000];
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        random.iter_mut().for_each(|b| *b = rng.next() as u8);
        vec![
            ("xlsx", xlsx.clone(), FileKind::Xlsx),
            (
                "xlsm",
                zip_of(&[("xl/workbook.xml", WORKBOOK_XML), ("xl/vbaProject.bin", b"\x00\x01")]),
                FileKind::Xlsm,
            ),
            (
                "xlsm-content-type",
                zip_of(&[("[Content_Types].xml", b"<Types><Override ContentType=\"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/></Types>"), ("xl/workbook.xml", WORKBOOK_XML)]),
                FileKind::Xlsm,
            ),
            ("xlsb", zip_of(&[("xl/workbook.bin", b"\x83\x01\x00")]), FileKind::Xlsb),
            (
                "ods",
                zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<office:document-content/>")]),
                FileKind::Ods,
            ),
            ("odt", zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.text"), ("content.xml", b"<x/>")]), FileKind::Odf),
            ("docx", zip_of(&[("word/document.xml", b"<w:document/>")]), FileKind::Docx),
            ("pptx", zip_of(&[("ppt/presentation.xml", b"<p:presentation/>")]), FileKind::Pptx),
            ("ofd", zip_of(&[("OFD.xml", b"<ofd:OFD/>")]), FileKind::Ofd),
            ("zip", zip_of(&[("readme.txt", b"hello")]), FileKind::OtherZip),
            ("truncated-zip", truncated, FileKind::Truncated),
            ("xls", xls(), FileKind::Xls),
            ("xls-book", cfb_of(&[("Book", biff(false, 5000))]), FileKind::Xls),
            ("xls-encrypted", cfb_of(&[("Workbook", biff(true, 4096))]), FileKind::EncryptedXls),
            (
                "xls-encrypted-mini",
                cfb_of(&[("SummaryInformation", vec![1; 100]), ("Workbook", biff(true, 300))]),
                FileKind::EncryptedXls,
            ),
            ("xls-mini", cfb_of(&[("Workbook", biff(false, 200))]), FileKind::Xls),
            ("xls-truncated", xls()[..1500].to_vec(), FileKind::Truncated),
            ("xls-short", xls()[..300].to_vec(), FileKind::Truncated),
            ("xls-broken-header", broken_header, FileKind::Xls),
            (
                "xlsx-encrypted",
                cfb_of(&[("EncryptionInfo", vec![4; 200]), ("EncryptedPackage", vec![9; 5000])]),
                FileKind::EncryptedOoxml,
            ),
            ("doc", cfb_of(&[("WordDocument", vec![0xEC; 4096]), ("1Table", vec![0; 100])]), FileKind::Doc),
            ("ppt", cfb_of(&[("PowerPoint Document", vec![0; 600])]), FileKind::OtherOle),
            ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj".to_vec(), FileKind::Pdf),
            ("html", HTML.as_bytes().to_vec(), FileKind::Html),
            ("html-doctype", b"\xEF\xBB\xBF  <!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\">".to_vec(), FileKind::Html),
            ("html-table", b"\r\n<TABLE border=1><TR><TD>1</TD></TR></TABLE>".to_vec(), FileKind::Html),
            ("html-meta", b"<meta charset=gbk><table>".to_vec(), FileKind::Html),
            ("html-utf16", utf16_html, FileKind::Html),
            ("xhtml", b"<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>".to_vec(), FileKind::Html),
            (
                "mhtml",
                b"MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related; boundary=\"----=_NextPart\"\r\n".to_vec(),
                FileKind::Mhtml,
            ),
            ("spreadsheet-ml", SPREADSHEET_ML.as_bytes().to_vec(), FileKind::SpreadsheetMl),
            ("xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data><row a=\"1\"/></data>".to_vec(), FileKind::Xml),
            ("csv", "项目名称,调整后预算金额,实际支出金额\n\"A,B\",1,2\nC,3,4\n".as_bytes().to_vec(), FileKind::Csv),
            ("csv-gbk", b"\xcf\xee\xc4\xbf,\xd6\xd0\xce\xc4\r\n1,2\r\n3,4\r\n".to_vec(), FileKind::Csv),
            ("tsv-utf16", utf16_tsv, FileKind::Csv),
            ("text", "这是一段说明文字。\n没有分隔符。\n".as_bytes().to_vec(), FileKind::Text),
            ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(), FileKind::Image),
            ("jpeg", b"\xFF\xD8\xFF\xE0\x00\x10JFIF".to_vec(), FileKind::Image),
            ("rar", b"Rar!\x1a\x07\x01\x00".to_vec(), FileKind::Archive),
            ("zeros", vec![0; 4096], FileKind::Truncated),
            ("random", random, FileKind::Binary),
            ("empty", Vec::new(), FileKind::Empty),
        ]
    }

    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    // ----- sniff -----------------------------------------------------------------------------

    #[test]
    fn every_sample_is_recognised() {
        for (name, bytes, kind) in samples() {
            assert_eq!(sniff(&bytes, "xls"), kind, "{name}");
        }
    }

    #[test]
    fn the_extension_only_breaks_ties() {
        assert_eq!(sniff(b"a,b\n", "csv"), FileKind::Csv);
        assert_eq!(sniff(b"a,b\n", "xlsx"), FileKind::Text);
        assert_eq!(sniff(&xlsx(), "pdf"), FileKind::Xlsx);
    }

    #[test]
    fn filepass_only_counts_before_the_first_sheet() {
        assert!(has_filepass(&biff(true, 0)));
        assert!(!has_filepass(&biff(false, 0)));
        let mut late = record(0x0809, &[0; 16]);
        late.extend(record(0x0085, &[0; 9]));
        late.extend(record(0x002F, &[0; 6]));
        assert!(!has_filepass(&late));
        assert!(!has_filepass(&[0x09, 0x08, 0xFF]));
    }

    // ----- messages --------------------------------------------------------------------------

    #[test]
    fn messages_say_what_the_file_is_and_what_to_do() {
        let html = FileKind::Html;
        assert_eq!(html.describe_named("xls", true), "这个 .xls 文件其实是网页（HTML 表格），多为网上系统导出");
        assert_eq!(html.advice(true), "请用 Excel 打开后另存为 .xlsx 再检查");
        assert_eq!(
            html.describe_named(".XLS", false),
            "this .xls is a web page (an HTML table), as many web systems export"
        );
        assert_eq!(html.advice(false), "open it in Excel and save it as .xlsx, then check it again");
        assert_eq!(html.describe(true), "这是网页（HTML 表格），多为网上系统导出");
        assert_eq!(FileKind::Truncated.describe(true), "文件不完整（可能下载中断）");
        assert_eq!(FileKind::Truncated.advice(true), "请重新下载或向报送单位索取");
        assert_eq!(FileKind::Docx.describe(true), "这是 Word 文档（.docx），不是电子表格");
        assert_eq!(FileKind::Docx.advice(true), "请提交 Excel 工作簿（.xlsx 或 .xls）");
        assert_eq!(FileKind::Pdf.describe_named("xlsx", true), "这个 .xlsx 文件其实是 PDF 文件，不是电子表格");
        assert_eq!(FileKind::Pdf.describe_named("pdf", false), "this is a PDF file, not a spreadsheet");
        assert_eq!(FileKind::Csv.describe_named("xlsx", true), "这是 CSV/文本文件，被改成了 .xlsx 扩展名");
        assert_eq!(FileKind::Csv.advice_named("xlsx", true), "请把扩展名改回 .csv，用 Excel 打开后另存为 .xlsx 再检查");
        assert_eq!(FileKind::Xlsx.describe_named("xls", true), "这个 .xls 文件其实是 Excel 工作簿（.xlsx）");
        assert_eq!(FileKind::Xlsx.advice_named("xls", true), "请把扩展名改为 .xlsx 后再检查");
        assert!(FileKind::EncryptedXls.describe(true).contains("受密码保护"));
        assert!(FileKind::EncryptedOoxml.advice(false).contains("password"));
    }

    #[test]
    fn every_kind_has_both_languages() {
        for (_, _, kind) in samples() {
            for ext in ["", "xls", "xlsx"] {
                for zh in [true, false] {
                    let (d, a) = (kind.describe_named(ext, zh), kind.advice_named(ext, zh));
                    assert!(!d.is_empty() && !a.is_empty(), "{kind:?}");
                    let chinese = d.chars().chain(a.chars()).any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                    assert_eq!(chinese, zh, "{kind:?} {d} {a}");
                }
            }
            println!(
                "{kind:?}\n  {}；{}\n  {}; {}",
                kind.describe_named("xls", true),
                kind.advice_named("xls", true),
                kind.describe_named("xls", false),
                kind.advice_named("xls", false)
            );
        }
    }

    // ----- HTML ------------------------------------------------------------------------------

    fn text(grid: &Grid, row: u32, col: u32) -> Value {
        grid.cell(row, col).value.clone()
    }

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn html_tables_become_grids_with_merges() {
        let grids = read_html_tables(HTML.as_bytes(), "dir/导出.xls").unwrap();
        assert_eq!(grids.len(), 3);
        let names: Vec<&str> = grids.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["导出-1", "导出-2", "导出-3"]);
        let g = &grids[0];
        assert_eq!(g.height(), 4);
        assert_eq!(text(g, 0, 0), t("项目名称"));
        assert_eq!(text(g, 0, 1), t("金额 (万元)"));
        assert_eq!(text(g, 0, 2), Value::Empty);
        assert_eq!(text(g, 1, 0), Value::Empty);
        assert_eq!(text(g, 1, 1), t("预算\n数"));
        assert_eq!(text(g, 1, 2), t("实际 & 支出"));
        assert_eq!(text(g, 2, 0), t("A<1>"));
        assert_eq!(text(g, 2, 1), t("1,411.64"));
        assert_eq!(text(g, 2, 2), t("98.96%"));
        assert_eq!(text(g, 3, 0), t("项目"));
        assert_eq!(text(g, 3, 1), t("12"));
        assert_eq!(text(g, 3, 2), Value::Empty);
        assert_eq!(
            g.merges(),
            [
                Merge { first_row: 0, first_col: 0, last_row: 1, last_col: 0 },
                Merge { first_row: 0, first_col: 1, last_row: 0, last_col: 2 }
            ]
        );
        assert_eq!(g.visible(1, 0).value, t("项目名称"));
        // The outer table keeps its own text; the nested one is a grid of its own.
        assert_eq!(text(&grids[1], 0, 0), t("x\ny"));
        assert_eq!(text(&grids[2], 0, 0), t("inner"));
    }

    #[test]
    fn html_names_and_spans_past_the_end() {
        let grids =
            read_html_tables(b"<table><tr><td rowspan=5 colspan=\"2px\">a<td>b<tr><td>c</table>", "报表.xls").unwrap();
        assert_eq!(grids[0].name, "报表");
        assert_eq!(grids[0].merges(), [Merge { first_row: 0, first_col: 0, last_row: 1, last_col: 1 }]);
        assert_eq!(text(&grids[0], 0, 2), t("b"));
        assert_eq!(text(&grids[0], 1, 2), t("c"));
        let grids = read_html_tables(b"<table><tr><td>1</td></tr></table><table></table>", "").unwrap();
        assert_eq!(grids.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Sheet1", "Sheet2"]);
    }

    #[test]
    fn html_encodings() {
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("<table><tr><td>金额</td></tr></table>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(text(&read_html_tables(&utf16, "a").unwrap()[0], 0, 0), t("金额"));
        let gbk = b"<meta http-equiv=Content-Type content=\"text/html; charset=gb2312\"><table><tr><td>\xd6\xd0</td></tr></table>";
        assert_eq!(text(&read_html_tables(gbk, "a").unwrap()[0], 0, 0), t("中"));
        // Undeclared, but shaped like GB18030.
        assert_eq!(
            text(&read_html_tables(b"<table><tr><td>\xd6\xd0\xce\xc4</td></tr></table>", "a").unwrap()[0], 0, 0),
            t("中文")
        );
        // Declared UTF-8 but written in GBK, as some systems do.
        let lying = b"<meta charset=utf-8><table><tr><td>\xbd\xf0\xb6\xee</td></tr></table>";
        assert_eq!(text(&read_html_tables(lying, "a").unwrap()[0], 0, 0), t("金额"));
        let unknown = read_html_tables(b"<meta charset=x-martian><table><tr><td>\xff\xfe\x00</td></tr></table>", "a")
            .unwrap_err();
        assert!(unknown.contains("x-martian") && unknown.contains("另存为 .xlsx"), "{unknown}");
        let binary = read_html_tables(b"<table><tr><td>\xff\x00\xff</td></tr></table>", "a").unwrap_err();
        assert!(binary.contains("GBK"), "{binary}");
        let big5 = b"<meta charset=big5><table><tr><td>\xaa\xf7\xc3\x42</td></tr></table>";
        assert_eq!(text(&read_html_tables(big5, "a").unwrap()[0], 0, 0), t("金額"));
        let latin = b"<meta charset=iso-8859-1><table><tr><td>caf\xe9</td></tr></table>";
        assert_eq!(text(&read_html_tables(latin, "a").unwrap()[0], 0, 0), t("café"));
        // Declared GBK but plain ASCII: fine.
        assert!(read_html_tables(b"<meta charset=gbk><table><tr><td>1</td></tr></table>", "a").is_ok());
        assert!(read_html_tables(b"<html><body>no table</body></html>", "a").unwrap_err().contains("没有表格"));
    }

    #[test]
    fn html_limits() {
        let wide = format!("<table><tr>{}</table>", "<td colspan=1000>x".repeat(11));
        assert!(read_html_tables(wide.as_bytes(), "a").unwrap_err().contains("10,000"));
        let long = format!("<table><tr><td>{}</table>", "数".repeat(MAX_CELL_CHARS + 1));
        assert!(read_html_tables(long.as_bytes(), "a").unwrap_err().contains("32,767"));
        let ok = format!("<table><tr><td>{}</table>", "数".repeat(MAX_CELL_CHARS));
        assert!(read_html_tables(ok.as_bytes(), "a").is_ok());
        let huge = "<table><tr><td rowspan=65534 colspan=1000>x</table>";
        assert!(read_html_tables(huge.as_bytes(), "a").unwrap_err().contains("1,000,000"));
        let many = "<table><tr><td colspan=1000>x".repeat(1001);
        assert!(read_html_tables(many.as_bytes(), "a").unwrap_err().contains("1,000,000"));
    }

    #[test]
    fn entities_and_attributes() {
        assert_eq!(decode_entities("a&amp;b&lt;&#20013;&#x6587;&nbsp;&bogus;&"), "a&b<中文\u{a0}&bogus;&");
        assert_eq!(decode_entities("&#0;&#xFFFFFFFFFF;&#xD800;"), "\u{fffd}&#xFFFFFFFFFF;\u{fffd}");
        assert_eq!(attribute(" class=a ROWSPAN = '3' x:str", "rowspan").as_deref(), Some("3"));
        assert_eq!(attribute(" a=\"x>y\" colspan=2", "colspan").as_deref(), Some("2"));
        assert_eq!(attribute("=== / x", "x").as_deref(), Some(""));
        assert_eq!(leading_number(" 4px"), Some(4));
        assert_eq!(leading_number("x"), None);
    }

    // ----- SpreadsheetML ---------------------------------------------------------------------

    #[test]
    fn spreadsheet_ml_becomes_grids() {
        let grids = read_spreadsheet_ml(SPREADSHEET_ML.as_bytes()).unwrap();
        assert_eq!(grids.len(), 2);
        let g = &grids[0];
        assert_eq!(g.name, "表1");
        assert_eq!(text(g, 0, 0), t("标题 & 说明"));
        assert!(g.is_row_empty(1));
        assert_eq!(text(g, 2, 0), t("项目"));
        assert_eq!(text(g, 2, 1), Value::Empty);
        assert_eq!(text(g, 2, 2), Value::Number(1411.64));
        assert_eq!(text(g, 2, 3), Value::Number(98.5));
        assert_eq!(text(g, 3, 0), t("粗体一"));
        assert_eq!(text(g, 3, 2), t("abc"));
        assert_eq!(text(g, 3, 3), Value::Empty);
        assert_eq!(text(g, 3, 4), Value::Bool(true));
        assert_eq!(
            g.merges(),
            [
                Merge { first_row: 0, first_col: 0, last_row: 0, last_col: 2 },
                Merge { first_row: 2, first_col: 3, last_row: 3, last_col: 3 }
            ]
        );
        assert_eq!(grids[1].name, "Sheet2");
        assert_eq!(grids[1].height(), 0);
    }

    #[test]
    fn spreadsheet_ml_errors_and_limits() {
        let sheet = |body: &str| {
            format!("<Workbook xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet><Table>{body}</Table></Worksheet></Workbook>")
        };
        assert!(read_spreadsheet_ml(b"<Workbook><Worksheet><Table><Row></Cell>").is_err());
        assert!(read_spreadsheet_ml(b"<root/>").unwrap_err().contains("Worksheet"));
        assert!(read_spreadsheet_ml(b"<?xml version=\"1.0\" encoding=\"x-martian\"?><Workbook>\xff\x00</Workbook>")
            .unwrap_err()
            .contains("UTF-8"));
        let gbk = b"<?xml version=\"1.0\" encoding=\"gb2312\"?><Workbook xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet ss:Name=\"\xb1\xed1\"><Table><Row><Cell><Data ss:Type=\"String\">\xd6\xd0</Data></Cell></Row></Table></Worksheet></Workbook>";
        let grids = read_spreadsheet_ml(gbk).unwrap();
        assert_eq!((grids[0].name.as_str(), text(&grids[0], 0, 0)), ("表1", t("中")));
        let wide = sheet("<Row><Cell ss:Index=\"10001\"><Data ss:Type=\"String\">x</Data></Cell></Row>");
        assert!(read_spreadsheet_ml(wide.as_bytes()).unwrap_err().contains("10,000"));
        let merged = sheet("<Row><Cell ss:MergeAcross=\"9999\" ss:MergeDown=\"999\"/></Row>");
        assert!(read_spreadsheet_ml(merged.as_bytes()).unwrap_err().contains("1,000,000"));
        let deep = sheet("<Row ss:Index=\"2000000\"/>");
        assert!(read_spreadsheet_ml(deep.as_bytes()).unwrap_err().contains("1,048,576"));
        let long = sheet(&format!(
            "<Row><Cell><Data ss:Type=\"String\">{}</Data></Cell></Row>",
            "x".repeat(MAX_CELL_CHARS + 1)
        ));
        assert!(read_spreadsheet_ml(long.as_bytes()).unwrap_err().contains("32,767"));
        let g = &read_spreadsheet_ml(
            sheet("<Row ss:Span=\"2\"/><Row><Cell><Data ss:Type=\"Number\"> 7 </Data></Cell></Row>").as_bytes(),
        )
        .unwrap()[0];
        assert_eq!(g.name, "Sheet1");
        assert_eq!(text(g, 3, 0), Value::Number(7.0));
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            sheet("<Row><Cell><Data ss:Type=\"String\">中</Data></Cell></Row>")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        assert_eq!(text(&read_spreadsheet_ml(&utf16).unwrap()[0], 0, 0), t("中"));
    }

    // ----- never panic -----------------------------------------------------------------------

    fn run_all(bytes: &[u8]) {
        let _ = sniff(bytes, "xls");
        let _ = read_html_tables(bytes, "x.xls");
        let _ = read_spreadsheet_ml(bytes);
    }

    #[test]
    fn nothing_panics_on_random_bytes() {
        let samples = samples();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for i in 0..2000 {
            let len = (rng.next() % 2048) as usize;
            let mut bytes: Vec<u8> = Vec::with_capacity(len + 64);
            // Start most strings like a sample so every parser gets past its first check.
            if i % 4 != 0 {
                let (_, sample, _) = &samples[(rng.next() as usize) % samples.len()];
                let keep = (rng.next() as usize) % (sample.len() + 1);
                bytes.extend_from_slice(&sample[..keep]);
            }
            let markup = b"<>/=\"' &;#tabletrdthrowspancolspanCellRowDataIndexMergeAcross:1\n";
            for _ in 0..len {
                let r = rng.next();
                bytes.push(if r.is_multiple_of(3) {
                    markup[(r >> 8) as usize % markup.len()]
                } else {
                    (r >> 16) as u8
                });
            }
            run_all(&bytes);
        }
    }

    #[test]
    fn nothing_panics_on_damaged_samples() {
        let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
        for (_, sample, _) in samples() {
            for len in 0..=sample.len().min(512) {
                run_all(&sample[..len]);
            }
            if sample.is_empty() {
                continue;
            }
            for _ in 0..50 {
                let mut damaged = sample.clone();
                for _ in 0..1 + rng.next() % 8 {
                    let at = (rng.next() as usize) % damaged.len();
                    damaged[at] = rng.next() as u8;
                }
                run_all(&damaged);
            }
        }
    }

    // ----- BIFF survey -------------------------------------------------------------------------

    /// A BIFF8 workbook stream: globals naming one sheet per `sheets` entry (its type byte and its
    /// records), each sheet a substream of BOF, its records, EOF; padded to `size`.
    fn workbook_stream(sheets: &[(u8, Vec<Vec<u8>>)], size: usize) -> Vec<u8> {
        let bof = record(0x0809, &[0x00, 0x06, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let mut globals = bof.clone();
        let bound_len = 4 + 8 + 1;
        let globals_len = globals.len() + sheets.len() * bound_len + 4;
        let mut substreams = Vec::new();
        for (i, (kind, records)) in sheets.iter().enumerate() {
            let position = (globals_len + substreams.len()) as u32;
            let mut data = position.to_le_bytes().to_vec();
            data.extend([0, *kind, 1, 0, b'A' + i as u8]);
            globals.extend(record(0x0085, &data));
            substreams.extend(&bof);
            for r in records {
                substreams.extend(r);
            }
            substreams.extend(record(0x000A, &[]));
        }
        globals.extend(record(0x000A, &[]));
        globals.extend(substreams);
        globals.resize(size.max(globals.len()), 0);
        globals
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut data = row.to_le_bytes().to_vec();
        data.extend(col.to_le_bytes());
        data.extend([0, 0]);
        data.extend(1.5f64.to_le_bytes());
        record(0x0203, &data)
    }

    fn dimensions(last_row: u32, last_col: u16) -> Vec<u8> {
        let mut data = 0u32.to_le_bytes().to_vec();
        data.extend(last_row.to_le_bytes());
        data.extend(0u16.to_le_bytes());
        data.extend(last_col.to_le_bytes());
        data.extend([0, 0]);
        record(0x0200, &data)
    }

    #[test]
    fn the_survey_measures_each_sheet_and_disarms_false_dimensions() {
        for size in [0, 5000] {
            // Sheet A: two cells 16.7 million apart; B: a huge declared size over one cell; C: a chart.
            let stream = workbook_stream(
                &[
                    (0, vec![dimensions(65536, 256), number(0, 0), number(65535, 255)]),
                    (0, vec![dimensions(0x7FFF_FFFF, 0xFF), number(2, 3)]),
                    (2, vec![]),
                    (0, vec![dimensions(3, 4), number(2, 3)]),
                ],
                size,
            );
            let mut bytes = cfb_of(&[("Workbook", stream)]);
            let survey = survey_xls(&mut bytes, 5_000_000, u64::MAX).unwrap();
            let found: Vec<(&str, u8, u64, u64)> =
                survey.sheets.iter().map(|s| (s.name.as_str(), s.kind, s.cells, s.span)).collect();
            assert_eq!(
                found,
                [("A", 0, 2, 65536 * 256), ("B", 0, 1, 1), ("C", 2, 0, 0), ("D", 0, 1, 1)],
                "size {size}"
            );
            assert_eq!(survey.sheets[1].declared, 0x7FFF_FFFF * 0xFF);
            assert!(survey.biff8);
            assert_eq!(survey.patched_dimensions, 2);
            // Surveyed again, the declarations past the bound read as nothing; the true one is left alone.
            let again = survey_xls(&mut bytes, 5_000_000, u64::MAX).unwrap();
            assert_eq!(again.patched_dimensions, 0);
            let declared: Vec<u64> = again.sheets.iter().map(|s| s.declared).collect();
            assert_eq!(declared, [1, 1, 0, 12]);
            assert_eq!(survey_xls(&mut bytes, 5_000_000, 100), Err(XlsSurveyError::StreamTooLarge(again.stream_bytes)));
        }
    }

    #[test]
    fn the_survey_refuses_what_is_no_workbook_or_cut_short() {
        let mut doc = cfb_of(&[("WordDocument", vec![1; 100])]);
        assert_eq!(survey_xls(&mut doc, 1, u64::MAX), Err(XlsSurveyError::NoWorkbook));
        let whole = cfb_of(&[("Workbook", workbook_stream(&[(0, vec![number(0, 0)])], 8192))]);
        let mut cut = whole[..whole.len() / 2].to_vec();
        assert!(survey_xls(&mut cut, 1, u64::MAX).is_err());
        // Every sheet pointing at the same large substream: refused before a reader parses it again and again.
        let mut stream = workbook_stream(&[(0, (0..600).map(|i| number(i, 0)).collect())], 0);
        let first = stream.windows(2).position(|w| w == [0x85, 0x00]).unwrap();
        let boundsheet = stream[first..first + 13].to_vec();
        let mut many = stream[..first].to_vec();
        for _ in 0..50 {
            many.extend(&boundsheet);
        }
        let shift = (many.len() - first - 13) as u32;
        many.extend(&stream[first + 13..]);
        stream = many;
        let position = u32::from_le_bytes(stream[first + 4..first + 8].try_into().unwrap()) + shift;
        for i in 0..50 {
            let at = first + i * 13 + 4;
            stream[at..at + 4].copy_from_slice(&position.to_le_bytes());
        }
        let mut bytes = cfb_of(&[("Workbook", stream)]);
        assert!(matches!(survey_xls(&mut bytes, 1, u64::MAX), Err(XlsSurveyError::Malformed(_))));
        // Never a panic on damage.
        let mut rng = Rng(7);
        let sample = cfb_of(&[("Workbook", workbook_stream(&[(0, vec![dimensions(10, 10), number(1, 1)])], 5000))]);
        for _ in 0..300 {
            let mut damaged = sample.clone();
            for _ in 0..1 + rng.next() % 16 {
                let at = (rng.next() as usize) % damaged.len();
                damaged[at] = rng.next() as u8;
            }
            let _ = survey_xls(&mut damaged, 100, u64::MAX);
        }
    }

    /// Found by fuzzing (tests/fuzz_regressions/workbook/oom-xls-directory-loop.xls): a 5.6 KB .xls
    /// whose directory chain loops back made calamine allocate until the process ran out of memory.
    #[test]
    fn chains_that_loop_back_are_damage() {
        let fat_entry = |sector: usize| 512 + 4 * sector; // the FAT is sector 0, after the header
        let large = cfb_of(&[("Workbook", workbook_stream(&[(0, vec![dimensions(10, 10), number(1, 1)])], 5000))]);
        assert!(survey_xls(&mut large.clone(), 100, u64::MAX).is_ok());
        let mut directory_loop = large;
        directory_loop[fat_entry(1)..fat_entry(1) + 4].copy_from_slice(&1u32.to_le_bytes());
        assert!(matches!(survey_xls(&mut directory_loop, 100, u64::MAX), Err(XlsSurveyError::Malformed(_))));
        // A small workbook stream lives in the mini stream (sector 2, after the FAT and the directory).
        let small = cfb_of(&[("Workbook", workbook_stream(&[(0, vec![dimensions(1, 1), number(1, 1)])], 300))]);
        assert!(survey_xls(&mut small.clone(), 100, u64::MAX).is_ok());
        let mut mini_stream_loop = small;
        mini_stream_loop[fat_entry(2)..fat_entry(2) + 4].copy_from_slice(&2u32.to_le_bytes());
        assert!(matches!(survey_xls(&mut mini_stream_loop, 100, u64::MAX), Err(XlsSurveyError::Malformed(_))));
    }
}
