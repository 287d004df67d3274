//! A pass over a large XML part that wants a few of its elements: it jumps from `<` to `<` (memchr)
//! and looks at a tag's attributes only when asked, instead of making an event of every tag, text
//! and attribute. A sheet of a million rows holds some 20 million tags, and the layout pass
//! ([`crate::read::layout`]) needs a handful of them; run beside the cells' reader, a full parse
//! slowed that reader by a third.
//!
//! It checks what quick-xml's reader checks by default (end tags match their start tags, markup
//! ends before the file does, references in wanted text are closed), so a sheet it accepts is one
//! the event reader accepted.

use std::borrow::Cow;
use std::io::{ErrorKind, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use memchr::{memchr, memmem};

/// Told of the elements of a part, in order.
pub(crate) trait Visitor {
    /// A start tag, or an empty element (`empty`), by its local name (without a prefix).
    fn start(&mut self, name: &[u8], tag: &Tag<'_>, empty: bool);
    /// An end tag, by its local name.
    fn end(&mut self, name: &[u8]);
    /// Whether the text that follows is wanted: it is then given to [`Visitor::text`], in pieces.
    fn wants_text(&self) -> bool;
    /// A piece of wanted text, raw (`cdata`: the content of a CDATA section, which has no references).
    ///
    /// # Errors
    /// The text is not well-formed (an `&` without its `;`).
    fn text(&mut self, text: &[u8], cdata: bool) -> Result<(), String>;
    /// Markup passed over: what a reader that stops at the first event inside an element sees there.
    fn skipped(&mut self, _what: Skipped) {}
}

/// Markup the scan passes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skipped {
    Comment,
    Instruction,
    /// `<!DOCTYPE …>`, or anything else after `<!` (which quick-xml may refuse).
    Declaration,
}

/// The attributes of one start tag.
pub(crate) struct Tag<'a> {
    attributes: &'a [u8],
}

impl<'a> Tag<'a> {
    /// The attributes written in a start tag, after its name (`r="A1" s="2"`).
    pub(crate) fn new(attributes: &'a [u8]) -> Tag<'a> {
        Tag { attributes }
    }

    /// The raw value of attribute `key` (its qualified name, as written).
    pub(crate) fn raw(&self, key: &str) -> Option<&'a [u8]> {
        self.raw_where(|k| k == key.as_bytes())
    }

    /// The value of attribute `key`, references resolved and whitespace normalized as XML does.
    pub(crate) fn value(&self, key: &str) -> Option<String> {
        decoded(self.raw(key)?)
    }

    /// [`Tag::value`] of the first attribute whose name ends with `suffix` (`:id`, whatever its prefix).
    pub(crate) fn value_ending(&self, suffix: &str) -> Option<String> {
        decoded(self.raw_where(|k| k.ends_with(suffix.as_bytes()))?)
    }

    /// Every attribute as written: (qualified name, raw value), up to the first written otherwise
    /// ([`Attributes::all_read`] tells whether there was one).
    pub(crate) fn attributes(&self) -> Attributes<'a> {
        Attributes { rest: self.attributes }
    }

    fn raw_where(&self, wanted: impl Fn(&[u8]) -> bool) -> Option<&'a [u8]> {
        self.attributes().find(|(k, _)| wanted(k)).map(|(_, v)| v)
    }
}

fn decoded(raw: &[u8]) -> Option<String> {
    let raw = String::from_utf8_lossy(raw).replace(['\t', '\n', '\r'], " ");
    unescape(&raw).ok().map(Cow::into_owned)
}

pub(crate) struct Attributes<'a> {
    rest: &'a [u8],
}

impl Attributes<'_> {
    /// Whether every attribute was read: nothing but white space is left.
    pub(crate) fn all_read(&self) -> bool {
        self.rest.iter().all(u8::is_ascii_whitespace)
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (&'a [u8], &'a [u8]);

    /// `key="value"` or `key='value'`; stops at the first attribute written otherwise.
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.rest.trim_ascii_start();
        let equals = memchr(b'=', rest)?;
        let key = rest[..equals].trim_ascii_end();
        let after = rest[equals + 1..].trim_ascii_start();
        let (&quote, after) = after.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let close = memchr(quote, after)?;
        self.rest = &after[close + 1..];
        Some((key, &after[..close]))
    }
}

/// `text` with its references (`&amp;`, `&#20013;`) resolved; a name XML does not define is kept as written.
///
/// # Errors
/// An `&` without its `;`.
pub(crate) fn unescape(text: &str) -> Result<Cow<'_, str>, String> {
    if !text.contains('&') {
        return Ok(Cow::Borrowed(text));
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after.find(';').ok_or_else(|| format!("ill-formed XML: `&` without its `;` in `{}`", preview(text.as_bytes())))?;
        let name = &after[..semi];
        match reference(name) {
            Some(c) => out.push(c),
            None => out.push_str(&rest[amp..=amp + 1 + semi]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

pub(crate) fn reference(name: &str) -> Option<char> {
    let number = |digits: &str, radix| u32::from_str_radix(digits, radix).ok().and_then(char::from_u32);
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => match name.strip_prefix('#') {
            Some(hex) if hex.starts_with(['x', 'X']) => number(&hex[1..], 16),
            Some(decimal) => number(decimal, 10),
            None => None,
        },
    }
}

/// How much is read from the part at a time.
const READ_SIZE: usize = 1 << 16;
const STOPPED: &str = "stopped";
/// How often (in tags) the pass looks whether it is to stop.
const TAGS_PER_STOP_CHECK: u32 = 4096;

/// The bytes of the part not yet passed, read a piece at a time.
struct Window<R> {
    source: R,
    bytes: Vec<u8>,
    read_size: usize,
    at_end: bool,
}

impl<R: Read> Window<R> {
    /// Drops the bytes before `keep` and reads more after the rest; returns how many were dropped.
    ///
    /// At least as much is read as is kept: markup or wanted text longer than a read (a long comment,
    /// a huge attribute) is looked at again from its start after each read, so the window doubles
    /// and the part is still passed in time proportional to its length.
    fn advance(&mut self, keep: usize, stop: &AtomicBool) -> Result<usize, String> {
        // Checked here too: a part may be one long run of text, without tags to count.
        if stop.load(Ordering::Relaxed) {
            return Err(STOPPED.into());
        }
        self.bytes.drain(..keep);
        let held = self.bytes.len();
        let wanted = held + self.read_size.max(held);
        self.bytes.resize(wanted, 0);
        let mut filled = held;
        while filled < wanted {
            match self.source.read(&mut self.bytes[filled..]) {
                Ok(0) => {
                    self.at_end = true;
                    break;
                }
                Ok(read) => filled += read,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        self.bytes.truncate(filled);
        Ok(keep)
    }
}

/// Passes over the XML read from `source`, telling `visitor` of its elements.
///
/// # Errors
/// The source fails, the XML is ill-formed as quick-xml's reader would say, or `stop` was set.
pub(crate) fn scan(source: impl Read, visitor: &mut impl Visitor, stop: &AtomicBool) -> Result<(), String> {
    scan_reading(source, READ_SIZE, visitor, stop)
}

fn scan_reading(source: impl Read, read_size: usize, visitor: &mut impl Visitor, stop: &AtomicBool) -> Result<(), String> {
    let mut window = Window { source, bytes: Vec::with_capacity(read_size * 2), read_size, at_end: false };
    let mut open = OpenElements::default();
    // Where the text after the last markup starts; `pos`, where the search for the next `<` resumes.
    let (mut text_start, mut pos): (usize, usize) = (0, 0);
    let mut tags = 0u32;
    loop {
        let Some(lt) = memchr(b'<', &window.bytes[pos..]).map(|i| pos + i) else {
            if window.at_end {
                return Ok(());
            }
            // Text is kept from where it starts while it is wanted, so it is given whole.
            let searched = window.bytes.len();
            let keep = if visitor.wants_text() { text_start } else { searched };
            let dropped = window.advance(keep, stop)?;
            (text_start, pos) = (text_start.saturating_sub(dropped), searched - dropped);
            continue;
        };
        if visitor.wants_text() && text_start < lt {
            visitor.text(&window.bytes[text_start..lt], false)?;
        }
        match markup(&window.bytes, lt, visitor, &mut open)? {
            Some(next) => {
                (text_start, pos) = (next, next);
                tags = tags.wrapping_add(1);
                if tags.is_multiple_of(TAGS_PER_STOP_CHECK) && stop.load(Ordering::Relaxed) {
                    return Err(STOPPED.into());
                }
            }
            None if window.at_end => return Err(format!("ill-formed XML: the part ends inside `{}`", preview(&window.bytes[lt..]))),
            None => {
                let dropped = window.advance(lt, stop)?;
                (text_start, pos) = (lt - dropped, lt - dropped);
            }
        }
    }
}

/// The start of some markup or text, for an error message.
fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned()
}

/// The names of the elements open, innermost last, as written (prefix included).
#[derive(Default)]
struct OpenElements {
    names: Vec<u8>,
    starts: Vec<usize>,
}

impl OpenElements {
    fn push(&mut self, name: &[u8]) {
        self.starts.push(self.names.len());
        self.names.extend_from_slice(name);
    }

    fn pop(&mut self, name: &[u8]) -> Result<(), String> {
        let Some(start) = self.starts.pop() else {
            return Err(format!("ill-formed XML: `</{}>` closes no element", String::from_utf8_lossy(name)));
        };
        if &self.names[start..] != name {
            let expected = String::from_utf8_lossy(&self.names[start..]).into_owned();
            return Err(format!("ill-formed XML: expected `</{expected}>`, found `</{}>`", String::from_utf8_lossy(name)));
        }
        self.names.truncate(start);
        Ok(())
    }
}

/// The markup starting at `lt`: where the bytes after it start, or `None` when it does not end within
/// `bytes` (more must be read).
fn markup(bytes: &[u8], lt: usize, visitor: &mut impl Visitor, open: &mut OpenElements) -> Result<Option<usize>, String> {
    let rest = &bytes[lt..];
    let Some(&first) = rest.get(1) else { return Ok(None) };
    match first {
        b'!' => special(rest, visitor).map(|end| end.map(|end| lt + end)),
        b'?' => Ok(memmem::find(&rest[2..], b"?>").map(|end| {
            visitor.skipped(Skipped::Instruction);
            lt + 2 + end + 2
        })),
        b'/' => {
            let Some(gt) = memchr(b'>', rest) else { return Ok(None) };
            let name = rest[2..gt].trim_ascii_end();
            open.pop(name)?;
            visitor.end(local(name));
            Ok(Some(lt + gt + 1))
        }
        _ => {
            let Some(gt) = tag_end(rest) else { return Ok(None) };
            let inner = &rest[1..gt];
            let empty = inner.last() == Some(&b'/');
            let inner = if empty { &inner[..inner.len() - 1] } else { inner };
            let name_len = inner.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(inner.len());
            let name = &inner[..name_len];
            if name.is_empty() {
                return Err(format!("ill-formed XML: a tag without a name: `{}`", preview(rest)));
            }
            if !empty {
                open.push(name);
            }
            visitor.start(local(name), &Tag { attributes: &inner[name_len..] }, empty);
            Ok(Some(lt + gt + 1))
        }
    }
}

/// A comment, a CDATA section (wanted text, when it is wanted) or a declaration: where it ends.
fn special(rest: &[u8], visitor: &mut impl Visitor) -> Result<Option<usize>, String> {
    const CDATA: &[u8] = b"<![CDATA[";
    if rest.len() < 4 || (rest.len() < CDATA.len() && CDATA.starts_with(rest)) {
        return Ok(None);
    }
    if rest.starts_with(b"<!--") {
        return Ok(memmem::find(&rest[4..], b"-->").map(|end| {
            visitor.skipped(Skipped::Comment);
            4 + end + 3
        }));
    }
    if rest.starts_with(CDATA) {
        let Some(end) = memmem::find(&rest[CDATA.len()..], b"]]>") else { return Ok(None) };
        if visitor.wants_text() {
            visitor.text(&rest[CDATA.len()..CDATA.len() + end], true)?;
        }
        return Ok(Some(CDATA.len() + end + 3));
    }
    // `<!DOCTYPE …>`, with an internal subset in brackets.
    let close: &[u8] = if memchr(b'[', rest).is_some_and(|bracket| memchr(b'>', rest).is_none_or(|gt| bracket < gt)) { b"]>" } else { b">" };
    Ok(memmem::find(rest, close).map(|end| {
        visitor.skipped(Skipped::Declaration);
        end + close.len()
    }))
}

/// Where a start tag ends (its `>`), quotes heeded: `>` may stand in an attribute's value.
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in tag.iter().enumerate().skip(1) {
        match (quote, b) {
            (None, b'>') => return Some(i),
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            _ => {}
        }
    }
    None
}

/// A name without its prefix (`x:c` → `c`).
fn local(name: &[u8]) -> &[u8] {
    memchr::memrchr(b':', name).map_or(name, |colon| &name[colon + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a visitor is told, written out.
    #[derive(Default)]
    struct Record {
        told: Vec<String>,
        text: String,
        wants: bool,
    }

    impl Visitor for Record {
        fn start(&mut self, name: &[u8], tag: &Tag<'_>, empty: bool) {
            self.flush();
            let name = String::from_utf8_lossy(name);
            self.wants = name == "f";
            self.told.push(format!("<{name} r={:?}{}>", tag.value("r"), if empty { "/" } else { "" }));
        }
        fn end(&mut self, name: &[u8]) {
            self.flush();
            self.wants = false;
            self.told.push(format!("</{}>", String::from_utf8_lossy(name)));
        }
        fn wants_text(&self) -> bool {
            self.wants
        }
        fn text(&mut self, text: &[u8], cdata: bool) -> Result<(), String> {
            let text = String::from_utf8_lossy(text);
            let text = if cdata { text } else { Cow::Owned(unescape(&text)?.into_owned()) };
            self.text.push_str(&text);
            Ok(())
        }
    }

    impl Record {
        fn flush(&mut self) {
            if !self.text.is_empty() {
                self.told.push(format!("text {:?}", std::mem::take(&mut self.text)));
            }
        }
    }

    fn scanned(xml: &str, read_size: usize) -> Result<Vec<String>, String> {
        let mut record = Record::default();
        scan_reading(xml.as_bytes(), read_size, &mut record, &AtomicBool::new(false))?;
        record.flush();
        Ok(record.told)
    }

    const SHEET: &str = concat!(
        "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE x [<!ENTITY e \"v\">]>",
        "<x:worksheet xmlns:x=\"main\"><!-- a > comment --><x:sheetData>",
        "<x:row r='1' note=\"a > b\"><x:c r=\"A1\"><x:f>SUM(A2:A3)&amp;&#x4E2D;&#20013;&lt;\r\n<![CDATA[<raw>&amp;]]>&unknown;</x:f><x:v>1</x:v></x:c>",
        "<c r=\"B&#49;\" t=\"s\"/></x:row></x:sheetData></x:worksheet>",
    );

    #[test]
    fn elements_and_wanted_text_come_whole_whatever_the_piece_read() {
        let expected = [
            "<worksheet r=None>",
            "<sheetData r=None>",
            "<row r=Some(\"1\")>",
            "<c r=Some(\"A1\")>",
            "<f r=None>",
            "text \"SUM(A2:A3)&中中<\\r\\n<raw>&amp;&unknown;\"",
            "</f>",
            "<v r=None>",
            "</v>",
            "</c>",
            "<c r=Some(\"B1\")/>",
            "</row>",
            "</sheetData>",
            "</worksheet>",
        ];
        for read_size in [1, 2, 3, 7, 64, READ_SIZE] {
            assert_eq!(scanned(SHEET, read_size).unwrap(), expected, "read {read_size} bytes at a time");
        }
    }

    #[test]
    fn ill_formed_xml_is_refused_as_the_event_reader_refuses_it() {
        for read_size in [1, 5, READ_SIZE] {
            let error = |xml: &str| scanned(xml, read_size).unwrap_err();
            assert!(error("<a><b></a>").contains("expected `</b>`, found `</a>`"));
            assert!(error("<a></a></b>").contains("`</b>` closes no element"));
            assert!(error("<a><b r=\"1").contains("ends inside `<b r=\"1`"));
            assert!(error("<a><!-- open").contains("ends inside"));
            assert!(error("<a><f>1 & 2</f></a>").contains("`&` without its `;`"));
            assert!(error("<a>< b/></a>").contains("a tag without a name"));
        }
        // Unclosed elements at the end are let through, as quick-xml does; unwanted text is not looked at.
        assert!(scanned("<a><b>1 & 2", 3).is_ok());
    }

    #[test]
    fn markup_longer_than_a_read_is_passed_once_not_again_for_each_read() {
        /// A source that counts the reads asked of it.
        struct Counted<'a>(&'a [u8], usize);
        impl Read for Counted<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                self.1 += 1;
                self.0.read(buf)
            }
        }
        let xml = format!("<a><!--{}--><b/></a>", "x".repeat(200_000));
        let (mut source, mut record) = (Counted(xml.as_bytes(), 0), Record::default());
        scan_reading(&mut source, 1, &mut record, &AtomicBool::new(false)).unwrap();
        assert_eq!(record.told, ["<a r=None>", "<b r=None/>", "</a>"]);
        // The window doubles while the comment is unfinished: some 20 reads, not one per byte (each of
        // which would look at the comment again from its start).
        assert!(source.1 < 100, "{} reads", source.1);
    }

    #[test]
    fn a_pass_stops_when_told() {
        let xml = "<a/>".repeat(TAGS_PER_STOP_CHECK as usize * 2);
        let error = scan_reading(xml.as_bytes(), READ_SIZE, &mut Record::default(), &AtomicBool::new(true)).unwrap_err();
        assert_eq!(error, "stopped");
    }

    /// Pieces of XML, well-formed and not, that a generated part is made of.
    const PIECES: &[&str] = &[
        "<c r=\"A1\">", "</c>", "<x:f>", "</x:f>", "<f t='shared' si=\"0\"/>", "<v>", "</v>", "<row r=\"1\" a=\"x>y\">",
        "</row>", "<is/>", "1 &amp; 2", "&#x4E2D;", "&", ";", "<", ">", "/", "\"", "'", "=", "<![CDATA[", "]]>", "<!--",
        "-->", "<?x", "?>", "<!DOCTYPE a [", "]>", "中文", " ", "\r\n", "<>", "</>", "<a/>",
    ];

    proptest::proptest! {
        /// Whatever the part holds, the pass ends without panicking, and tells the same (or refuses
        /// it alike) whether it reads a byte at a time or all at once.
        #[test]
        fn any_part_is_passed_alike_whatever_the_piece_read(
            picks in proptest::collection::vec(0..PIECES.len(), 0..60),
            read_size in 1usize..16,
        ) {
            let xml: String = picks.iter().map(|&i| PIECES[i]).collect();
            let whole = scanned(&xml, READ_SIZE);
            let pieces = scanned(&xml, read_size);
            proptest::prop_assert_eq!(whole.is_ok(), pieces.is_ok(), "{:?}", xml);
            if let (Ok(whole), Ok(pieces)) = (whole, pieces) {
                proptest::prop_assert_eq!(whole, pieces, "{:?}", xml);
            }
        }

        #[test]
        fn any_bytes_end_the_pass_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400), read_size in 1usize..8) {
            let _ = scan_reading(&bytes[..], read_size, &mut Record::default(), &AtomicBool::new(false));
        }
    }

    #[test]
    fn attribute_values_are_found_by_their_written_name() {
        let tag = Tag { attributes: b" r=\"D5\"  x14ac:dyDescent = '0.25' ht=\"1&#46;5\n\" broken=1 after=\"x\"" };
        assert_eq!(tag.raw("r"), Some(&b"D5"[..]));
        assert_eq!(tag.value("x14ac:dyDescent").as_deref(), Some("0.25"));
        assert_eq!(tag.value("dyDescent"), None);
        assert_eq!(tag.value_ending(":dyDescent").as_deref(), Some("0.25"));
        assert_eq!(tag.value("ht").as_deref(), Some("1.5 "));
        assert_eq!(tag.value("after"), None);
    }
}
