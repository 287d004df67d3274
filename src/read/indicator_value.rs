//! Indicator values (FORMATS.md §2.3): the short phrases typed into 年度指标值 (target) and
//! 实际完成值 (actual) cells, read as a quantity, a range, a deadline or words; and a target
//! measured against its actual.
//!
//! Reading is generous, since the phrases are typed by hand (`满意度≥90%`, `不少于3次`,
//! `2020年12月31日前`, `有效保障`). Comparing is strict: a verdict only when both sides are read and
//! their units agree, otherwise the [`Reason`] they cannot be compared. Numbers are compared
//! exactly as written, not under the rounding model (FORMATS.md §4): a target is a threshold the
//! unit chose, not a rounded aggregate, and `≥95%` is missed by `94.99%`.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::model::Lang;
use crate::read::text::squash;

/// How an actual must stand to a number for the target to be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `≥`, 不低于, 不少于, 达到, …以上
    AtLeast,
    /// `≤`, 不高于, 不超过, 控制在, …以内, …以下
    AtMost,
    /// `=`, 等于, or a bare number
    Exactly,
    /// `>`, 大于, 高于, 超过, …余
    MoreThan,
    /// `<`, 小于, 低于, 少于
    LessThan,
}

impl Operator {
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::AtLeast => "≥",
            Operator::AtMost => "≤",
            Operator::Exactly => "=",
            Operator::MoreThan => ">",
            Operator::LessThan => "<",
        }
    }
}

/// A number with its operator and unit, as written: `≥95%`, `=12处`, `≤405.81万元`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    pub op: Operator,
    pub value: Decimal,
    /// Decimals as written: `98.50%` has 2.
    pub decimals: u32,
    /// Canonical spelling (`㎡` → 平方米, `千米` → 公里, `个工作日` → 工作日). A scale stays in the
    /// unit (万元, 万人次) because that is what the cell says; it is converted only to compare.
    pub unit: Option<String>,
}

/// A date the work is due by. `day: None` is the end of the month, and a quarter also sets its
/// last month, so a deadline always orders by (year, month, day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// `None` when the phrase names no year (`12月底前`): the form's own year is meant.
    pub year: Option<i32>,
    pub month: u32,
    pub day: Option<u32>,
    pub quarter: Option<u32>,
}

/// What an indicator cell says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorValue {
    /// Blank, or a placeholder for nothing: `（空）`, `—`, `/`, `无`, `不适用`.
    Empty,
    Quantity(Quantity),
    /// `90%-100%`, `90～100%`, `3至5个`: both ends included, one unit.
    Range {
        low: Quantity,
        high: Quantity,
    },
    Deadline(Deadline),
    /// Words. `positive` tells whether they report success (`已保障`, `是`), failure (`未完成`,
    /// `否`) or neither (`一般`, `控制在预算范围内`); the text keeps the words, squashed.
    Qualitative {
        text: String,
        positive: Option<bool>,
    },
    /// Digits or symbols that make no single value (`1.2.3`, `新建3处、改造5处`, `≥`), as written.
    Unparsed(String),
}

/// The kind of an [`IndicatorValue`], to name in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Empty,
    Quantity,
    Range,
    Deadline,
    Qualitative,
    Unparsed,
}

impl Kind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Kind::Empty => lang.pick("空白", "empty"),
            Kind::Quantity => lang.pick("数值", "a number"),
            Kind::Range => lang.pick("区间", "a range"),
            Kind::Deadline => lang.pick("时限", "a deadline"),
            Kind::Qualitative => lang.pick("文字描述", "words"),
            Kind::Unparsed => lang.pick("无法识别的内容", "unreadable text"),
        }
    }
}

impl IndicatorValue {
    pub fn kind(&self) -> Kind {
        match self {
            IndicatorValue::Empty => Kind::Empty,
            IndicatorValue::Quantity(_) => Kind::Quantity,
            IndicatorValue::Range { .. } => Kind::Range,
            IndicatorValue::Deadline(_) => Kind::Deadline,
            IndicatorValue::Qualitative { .. } => Kind::Qualitative,
            IndicatorValue::Unparsed(_) => Kind::Unparsed,
        }
    }

    /// A number, a range or a deadline: what rule I005 asks of a target.
    pub fn is_quantified(&self) -> bool {
        matches!(self, IndicatorValue::Quantity(_) | IndicatorValue::Range { .. } | IndicatorValue::Deadline(_))
    }
}

/// A target measured against its actual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Met,
    NotMet,
    NotComparable(Reason),
}

/// Why a target and its actual cannot be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    TargetMissing,
    ActualMissing,
    TargetUnreadable(String),
    ActualUnreadable(String),
    /// The target is words and the actual a number or a date: nothing to measure it against.
    TargetNotQuantified,
    /// The target is a number and the actual words that say neither met nor missed.
    ActualNotQuantified,
    /// `None` is a number written without a unit.
    UnitsDiffer {
        target: Option<String>,
        actual: Option<String>,
    },
    /// A number against a deadline, or the reverse.
    KindsDiffer {
        target: Kind,
        actual: Kind,
    },
    /// Words against words (or a deadline), but the actual's say neither met nor missed (`一般`).
    ActualUnclear(String),
    /// The actual is itself a bound or a span (`≥90%`, `第四季度`) only partly inside the target.
    ActualImprecise,
    /// Converting the units goes beyond rust_decimal's range.
    OutOfRange,
}

impl Reason {
    /// The reason in the requested language.
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => self.chinese(),
            Lang::En => self.english(),
        }
    }

    fn chinese(&self) -> String {
        let unit = |u: &Option<String>| u.clone().unwrap_or_else(|| "无单位".to_string());
        match self {
            Reason::TargetMissing => "未填写年度指标值".to_string(),
            Reason::ActualMissing => "未填写实际完成值".to_string(),
            Reason::TargetUnreadable(text) => format!("无法识别年度指标值“{text}”"),
            Reason::ActualUnreadable(text) => format!("无法识别实际完成值“{text}”"),
            Reason::TargetNotQuantified => "年度指标值未量化（既无数值也无时限），无法衡量实际完成值".to_string(),
            Reason::ActualNotQuantified => "实际完成值未量化，无法与量化的年度指标值比较".to_string(),
            Reason::UnitsDiffer { target, actual } => {
                format!("单位不一致：年度指标值为“{}”，实际完成值为“{}”", unit(target), unit(actual))
            }
            Reason::KindsDiffer { target, actual } => {
                format!("年度指标值是{}，实际完成值是{}，无法比较", target.label(Lang::Zh), actual.label(Lang::Zh))
            }
            Reason::ActualUnclear(text) => format!("实际完成值“{text}”未说明是否达到年度指标值"),
            Reason::ActualImprecise => "实际完成值是一个范围，只有部分落在年度指标值之内".to_string(),
            Reason::OutOfRange => "数值超出可换算的范围，无法比较".to_string(),
        }
    }

    fn english(&self) -> String {
        let unit = |u: &Option<String>| u.clone().unwrap_or_else(|| "no unit".to_string());
        match self {
            Reason::TargetMissing => "the target (年度指标值) is empty".to_string(),
            Reason::ActualMissing => "the actual value (实际完成值) is empty".to_string(),
            Reason::TargetUnreadable(text) => format!("the target '{text}' cannot be read"),
            Reason::ActualUnreadable(text) => format!("the actual value '{text}' cannot be read"),
            Reason::TargetNotQuantified => {
                "the target is not quantified (no number, no deadline): the actual cannot be measured against it".to_string()
            }
            Reason::ActualNotQuantified => {
                "the actual value is words, not a number: it cannot be measured against the target".to_string()
            }
            Reason::UnitsDiffer { target, actual } => {
                format!("units differ: the target is in '{}', the actual value in '{}'", unit(target), unit(actual))
            }
            Reason::KindsDiffer { target, actual } => {
                format!("the target is {} and the actual value {}", target.label(Lang::En), actual.label(Lang::En))
            }
            Reason::ActualUnclear(text) => format!("the actual value '{text}' does not say whether the target was met"),
            Reason::ActualImprecise => "the actual value is a span only partly inside the target".to_string(),
            Reason::OutOfRange => "the figures are too large to convert between their units".to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads one cell's phrase. Never fails: what is not understood is [`IndicatorValue::Unparsed`]
/// (digits or symbols) or [`IndicatorValue::Qualitative`] (words).
pub fn parse(text: &str) -> IndicatorValue {
    let s = normalize(text);
    if is_placeholder(&s) {
        return IndicatorValue::Empty;
    }
    let Some(numbers) = numbers_in(&s) else {
        return unparsed(text);
    };
    if let Some(deadline) = deadline(&s, &numbers) {
        return IndicatorValue::Deadline(deadline);
    }
    match numbers.as_slice() {
        [] if !s.chars().any(char::is_alphabetic) => unparsed(text),
        [] => chinese_quantity(&s).map_or_else(|| words(text, &s), IndicatorValue::Quantity),
        [one] => IndicatorValue::Quantity(quantity(&s, one)),
        [low, high] => range(&s, low, high).unwrap_or_else(|| unparsed(text)),
        _ => unparsed(text),
    }
}

fn unparsed(text: &str) -> IndicatorValue {
    IndicatorValue::Unparsed(text.trim().to_string())
}

fn words(text: &str, normalized: &str) -> IndicatorValue {
    IndicatorValue::Qualitative { text: squash(text).into_owned(), positive: positivity(normalized) }
}

/// What units type for "nothing here", after [`normalize`].
const PLACEHOLDERS: &[&str] =
    &["(空)", "空", "空白", "无", "(无)", "暂无", "不适用", "n/a", "N/A", "#N/A", "NA", "null", "NULL", "/", "\\"];

fn is_placeholder(s: &str) -> bool {
    s.is_empty() || PLACEHOLDERS.contains(&s) || s.chars().all(|c| matches!(c, '-' | '/' | '\\' | '~' | '_' | '.' | '…'))
}

/// One spelling for what forms write many ways: squashed and half-width, one symbol per operator
/// and dash, no thousands separators, `百分之` as `%`, and `2020.12.31` as `2020年12月31日`.
fn normalize(text: &str) -> String {
    let folded: String = squash(text).chars().map(fold_symbol).collect();
    let folded = folded.replace(">=", "≥").replace("=>", "≥").replace("<=", "≤").replace("=<", "≤");
    numeric_dates(&spell_percent(&drop_thousands_separators(&drop_inclusion_notes(&folded))))
}

/// `≥95%（含95%）`, `90%以上（含）`: the note repeats what the operator says.
fn drop_inclusion_notes(s: &str) -> String {
    let mut out = s.to_string();
    while let Some(at) = out.find("(含") {
        let Some(close) = out[at..].find(')') else { break };
        out.replace_range(at..at + close + 1, "");
    }
    out
}

/// Symbols squash leaves (it folds only the full-width block) to the one the parser knows.
fn fold_symbol(c: char) -> char {
    match c {
        '≧' | '⩾' | '≮' => '≥',
        '≦' | '⩽' | '≯' => '≤',
        '—' | '–' | '−' | '─' | '━' | '‐' | '‑' | '―' => '-',
        '〜' | '∼' => '~',
        '﹪' => '%',
        '﹤' => '<',
        '﹥' => '>',
        '﹦' => '=',
        _ => c,
    }
}

fn drop_thousands_separators(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let separator = |i: usize| {
        let before = i.checked_sub(1).and_then(|j| chars.get(j)).is_some_and(char::is_ascii_digit);
        let group = chars.get(i + 1..i + 4).is_some_and(|g| g.iter().all(char::is_ascii_digit));
        before && group && chars.get(i + 4).is_none_or(|c| !c.is_ascii_digit())
    };
    chars.iter().enumerate().filter(|(i, c)| **c != ',' || !separator(*i)).map(|(_, c)| *c).collect()
}

/// `百分之95` and `百分之九十五` as `95%`, `百分之百` as `100%`.
fn spell_percent(s: &str) -> String {
    const WORD: &str = "百分之";
    let Some(at) = s.find(WORD) else {
        return s.to_string();
    };
    let (head, tail) = (&s[..at], &s[at + WORD.len()..]);
    let digits = tail.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    if digits > 0 {
        return format!("{head}{}%{}", &tail[..digits], &tail[digits..]);
    }
    match chinese_numeral(tail) {
        Some((value, len)) => format!("{head}{value}%{}", &tail[len..]),
        None => s.to_string(),
    }
}

/// `2020.12.31`, `2020-12-31` and `2020/12/31` as `2020年12月31日`, before the dots read as
/// decimal points or the dashes as a range.
fn numeric_dates(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
        out.push_str(&rest[..at]);
        let run = &rest[at..];
        let (written, len) = match numeric_date_at(run) {
            Some((date, len)) => (date, len),
            None => {
                let len = run.bytes().take_while(u8::is_ascii_digit).count();
                (run[..len].to_string(), len)
            }
        };
        out.push_str(&written);
        rest = &run[len..];
    }
    out.push_str(rest);
    out
}

fn numeric_date_at(run: &str) -> Option<(String, usize)> {
    let b = run.as_bytes();
    let digits_at = |i: usize| b.get(i..).map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count());
    let sep = *b.get(4)?;
    if digits_at(0) != 4 || !matches!(sep, b'.' | b'-' | b'/') {
        return None;
    }
    let month_len = digits_at(5);
    let day_len = digits_at(6 + month_len);
    let end = 6 + month_len + day_len;
    let lengths_ok = (1..=2).contains(&month_len) && (1..=2).contains(&day_len);
    if !lengths_ok || b.get(5 + month_len) != Some(&sep) || b.get(end) == Some(&sep) {
        return None;
    }
    let month: u32 = run.get(5..5 + month_len)?.parse().ok()?;
    let day: u32 = run.get(6 + month_len..end)?.parse().ok()?;
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day);
    valid.then(|| (format!("{}年{month}月{day}日", &run[..4]), end))
}

/// A number as written, with its byte span in the normalized text.
#[derive(Debug, Clone)]
struct Number {
    start: usize,
    end: usize,
    value: Decimal,
    decimals: u32,
}

impl Number {
    fn whole(&self) -> Option<u32> {
        if self.decimals == 0 {
            self.value.to_u32()
        } else {
            None
        }
    }

    fn whole_in(&self, range: std::ops::RangeInclusive<u32>) -> bool {
        self.whole().is_some_and(|n| range.contains(&n))
    }

    fn followed_by(&self, s: &str, word: &str) -> bool {
        s.get(self.end..).is_some_and(|rest| rest.starts_with(word))
    }
}

/// Every number in the text; `None` when one is malformed (`1.2.3`) or beyond rust_decimal.
fn numbers_in(s: &str) -> Option<Vec<Number>> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s.as_bytes()[i].is_ascii_digit() {
            let number = number_at(s, i)?;
            i = number.end;
            found.push(number);
        } else {
            i += 1;
        }
    }
    Some(found)
}

fn number_at(s: &str, start: usize) -> Option<Number> {
    let b = s.as_bytes();
    let digits = |from: usize| b.get(from..).map_or(0, |t| t.iter().take_while(|c| c.is_ascii_digit()).count());
    let point_at = |i: usize| b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
    let mut end = start + digits(start);
    let mut decimals = 0;
    if point_at(end) {
        decimals = digits(end + 1);
        end += 1 + decimals;
    }
    if point_at(end) {
        return None;
    }
    let start = if minus_before(s, start) { start - 1 } else { start };
    let value = Decimal::from_str_exact(s.get(start..end)?).ok()?;
    Some(Number { start, end, value, decimals: u32::try_from(decimals).ok()? })
}

/// A dash is a minus only where no number can precede it; elsewhere it joins a range (`90-100`).
fn minus_before(s: &str, start: usize) -> bool {
    let Some(before) = start.checked_sub(1).and_then(|i| s.get(..i)) else {
        return false;
    };
    s.as_bytes()[start - 1] == b'-' && before.chars().next_back().is_none_or(|c| "≥≤<>=≈约为(:".contains(c))
}

// Deadlines

/// Words after a deadline that keep it one (`年底前完成`); others make the phrase words.
const DEADLINE_TAILS: &[&str] = &["前", "之前", "以前", "内", "以内", "之内", "完成", "底", "末"];

/// Parts of a year named without numbers, and the month they end in.
const YEAR_PARTS: &[(&str, u32)] = &[
    ("上半年", 6),
    ("下半年", 12),
    ("年底", 12),
    ("年末", 12),
    ("年终", 12),
    ("年度内", 12),
    ("年内", 12),
    ("本年度", 12),
    ("本年", 12),
    ("当年", 12),
];

/// A deadline when the text names a date and every number in it belongs to that date.
fn deadline(s: &str, numbers: &[Number]) -> Option<Deadline> {
    let year = numbers.iter().find(|n| n.followed_by(s, "年") && n.whole_in(1900..=2100));
    let month = numbers.iter().find(|n| n.followed_by(s, "月") && n.whole_in(1..=12));
    let day = month.and_then(|m| {
        let marked = |n: &&Number| n.followed_by(s, "日") || n.followed_by(s, "号");
        numbers.iter().filter(marked).find(|n| n.start == m.end + "月".len() && n.whole_in(1..=31))
    });
    let quarter = quarter_in(s);
    let used = [year.is_some(), month.is_some(), day.is_some(), quarter.is_some_and(|(_, arabic)| arabic)];
    if used.iter().filter(|u| **u).count() != numbers.len() {
        return None;
    }
    let year_value = year.and_then(Number::whole).and_then(|y| i32::try_from(y).ok());
    let at = |month: u32, day: Option<u32>, quarter: Option<u32>| Some(Deadline { year: year_value, month, day, quarter });
    if let Some(m) = month {
        let day = day.and_then(Number::whole).or_else(|| part_of_month(&s[m.end + "月".len()..]));
        return at(m.whole()?, day, None);
    }
    if let Some((q, _)) = quarter {
        return at(q * 3, None, Some(q));
    }
    let after_year = year.map_or(s, |n| &s[n.end..]);
    if let Some(month) = year_part(after_year).or_else(|| after_year.strip_prefix("年").and_then(year_part)) {
        return at(month, None, None);
    }
    let tail = after_year.strip_prefix("年度").or_else(|| after_year.strip_prefix("年"))?;
    year.filter(|_| is_deadline_tail(tail)).and_then(|_| at(12, None, None))
}

fn is_deadline_tail(tail: &str) -> bool {
    tail.is_empty() || DEADLINE_TAILS.iter().any(|w| tail.starts_with(w))
}

fn year_part(text: &str) -> Option<u32> {
    YEAR_PARTS.iter().find_map(|(word, month)| text.strip_prefix(word).filter(|t| is_deadline_tail(t)).map(|_| *month))
}

/// 上旬 and 中旬 end on the 10th and 20th; 下旬, 底 and 末 end with the month.
fn part_of_month(after_month: &str) -> Option<u32> {
    if after_month.starts_with("上旬") {
        Some(10)
    } else if after_month.starts_with("中旬") {
        Some(20)
    } else {
        None
    }
}

/// `第四季度`, `四季度`, `第4季度`: the quarter, and whether it was written in digits.
fn quarter_in(s: &str) -> Option<(u32, bool)> {
    let at = s.find("季度")?;
    let mut before = s[..at].chars().rev();
    let c = before.next()?;
    let quarter = match c {
        '一' | '1' => 1,
        '二' | '2' => 2,
        '三' | '3' => 3,
        '四' | '4' => 4,
        _ => return None,
    };
    let part_of_number = c.is_ascii_digit() && before.next().is_some_and(|p| p.is_ascii_digit() || p == '.');
    (!part_of_number).then_some((quarter, c.is_ascii_digit()))
}

// Quantities and ranges

/// Operators written before a number. The bool is false for words that only hint at a direction
/// (`达到`, `控制在`): an explicit `以上`/`以内` after the number wins over them.
const PREFIX_OPERATORS: &[(&str, Operator, bool)] = &[
    ("大于或等于", Operator::AtLeast, true),
    ("大于等于", Operator::AtLeast, true),
    ("不低于", Operator::AtLeast, true),
    ("不少于", Operator::AtLeast, true),
    ("不小于", Operator::AtLeast, true),
    ("不短于", Operator::AtLeast, true),
    ("至少", Operator::AtLeast, true),
    ("最少", Operator::AtLeast, true),
    ("最低", Operator::AtLeast, true),
    ("≥", Operator::AtLeast, true),
    ("小于或等于", Operator::AtMost, true),
    ("小于等于", Operator::AtMost, true),
    ("不高于", Operator::AtMost, true),
    ("不超过", Operator::AtMost, true),
    ("不超出", Operator::AtMost, true),
    ("不多于", Operator::AtMost, true),
    ("不大于", Operator::AtMost, true),
    ("不长于", Operator::AtMost, true),
    ("至多", Operator::AtMost, true),
    ("最多", Operator::AtMost, true),
    ("最高", Operator::AtMost, true),
    ("≤", Operator::AtMost, true),
    ("大于", Operator::MoreThan, true),
    ("高于", Operator::MoreThan, true),
    ("超过", Operator::MoreThan, true),
    ("多于", Operator::MoreThan, true),
    (">", Operator::MoreThan, true),
    ("小于", Operator::LessThan, true),
    ("低于", Operator::LessThan, true),
    ("少于", Operator::LessThan, true),
    ("<", Operator::LessThan, true),
    ("等于", Operator::Exactly, true),
    ("=", Operator::Exactly, true),
    ("达到", Operator::AtLeast, false),
    ("达", Operator::AtLeast, false),
    ("控制在", Operator::AtMost, false),
];

/// Operators written after a number and its unit. Chinese usage counts the number itself in
/// 以上 and 以下.
const SUFFIX_OPERATORS: &[(&str, Operator)] = &[
    ("及以上", Operator::AtLeast),
    ("或以上", Operator::AtLeast),
    ("以上", Operator::AtLeast),
    ("之上", Operator::AtLeast),
    ("及以下", Operator::AtMost),
    ("或以下", Operator::AtMost),
    ("以下", Operator::AtMost),
    ("以内", Operator::AtMost),
    ("之内", Operator::AtMost),
    ("内", Operator::AtMost),
    ("左右", Operator::Exactly),
];

/// The operator closest before a number, longest word first (`不低于` is not `低于`).
fn prefix_operator(prefix: &str) -> Option<(Operator, bool)> {
    let found = PREFIX_OPERATORS.iter().filter(|(word, ..)| prefix.ends_with(word)).max_by_key(|(word, ..)| word.len());
    found.map(|(_, op, strong)| (*op, *strong))
}

fn suffix_operator(rest: &str) -> Option<Operator> {
    // `完成12项内容`: 内 begins a word there, it does not bound the number.
    if ["内容", "内部", "内涵"].iter().any(|word| rest.starts_with(word)) {
        return None;
    }
    SUFFIX_OPERATORS.iter().find(|(word, _)| rest.starts_with(word)).map(|(_, op)| *op)
}

/// The one number of the text with its operator and unit; words around it are labels
/// (`租赁房屋数量12处`, `满意度≥90%`).
fn quantity(s: &str, number: &Number) -> Quantity {
    let after = &s[number.end..];
    // `100余人`, `30多个`: more than the number.
    let (about, after) = match after.strip_prefix('余').or_else(|| after.strip_prefix('多')) {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    let (unit, unit_len) = read_unit(after);
    let prefix = &s[..number.start];
    let unit = match (unit, per_in(prefix)) {
        (Some(unit), Some(per)) if !unit.contains('/') => Some(format!("{unit}/{per}")),
        (unit, _) => unit,
    };
    let op = match prefix_operator(prefix) {
        Some((op, true)) => op,
        hint => suffix_operator(&after[unit_len..])
            .or(about.then_some(Operator::MoreThan))
            .or(hint.map(|(op, _)| op))
            .unwrap_or(Operator::Exactly),
    };
    // A rank counts down: `全区前10名` is reached by any place from 1st to 10th.
    let op = match op {
        Operator::Exactly if unit.as_deref() == Some("名") && prefix.ends_with('前') => Operator::AtMost,
        op => op,
    };
    Quantity { op, value: number.value, decimals: number.decimals, unit }
}

/// `每季度1次` is `1次/季度`, as `1次/季度` would be.
fn per_in(prefix: &str) -> Option<String> {
    let at = prefix.rfind('每')?;
    known_unit(&prefix[at + '每'.len_utf8()..]).map(|(unit, _)| unit)
}

/// Two numbers joined by a dash, a tilde, 至 or 到, in one unit, low first.
fn range(s: &str, low: &Number, high: &Number) -> Option<IndicatorValue> {
    let (low_unit, low_len) = read_unit(s.get(low.end..)?);
    let between = s.get(low.end + low_len..high.start)?;
    if between.is_empty() || !between.chars().all(|c| matches!(c, '-' | '~' | '至' | '到')) {
        return None;
    }
    let (high_unit, _) = read_unit(&s[high.end..]);
    let unit = match (low_unit, high_unit) {
        (Some(l), Some(h)) if l != h => return None,
        (l, h) => l.or(h),
    };
    // `1-7月`, `1-2季度`: a period of the year, not a number of months.
    if low.value > high.value || matches!(unit.as_deref(), Some("月" | "季度")) {
        return None;
    }
    let end = |n: &Number, op| Quantity { op, value: n.value, decimals: n.decimals, unit: unit.clone() };
    Some(IndicatorValue::Range { low: end(low, Operator::AtLeast), high: end(high, Operator::AtMost) })
}

/// `不少于两次`, `三场`: a number in Chinese numerals, only when the whole phrase is operator,
/// numeral, known unit and suffix, since numerals are also words (`一般`, `十分满意`, `一次性`).
fn chinese_quantity(s: &str) -> Option<Quantity> {
    let start = s.find(is_chinese_digit)?;
    let prefix = &s[..start];
    let before = match prefix {
        "" => None,
        _ => Some(PREFIX_OPERATORS.iter().find(|(word, ..)| *word == prefix)?.1),
    };
    let (value, len) = chinese_numeral(&s[start..])?;
    let after = &s[start + len..];
    let (unit, unit_len) = known_unit(after).or_else(|| scaled_unit(after))?;
    let after_op = match &after[unit_len..] {
        "" => None,
        rest => Some(SUFFIX_OPERATORS.iter().find(|(word, _)| *word == rest)?.1),
    };
    let op = before.or(after_op).unwrap_or(Operator::Exactly);
    Some(Quantity { op, value: Decimal::from(value), decimals: 0, unit: Some(unit) })
}

fn is_chinese_digit(c: char) -> bool {
    "零〇一二两三四五六七八九十百千".contains(c)
}

/// A Chinese numeral below ten thousand at the start of the text, and its byte length.
fn chinese_numeral(text: &str) -> Option<(u32, usize)> {
    let (mut total, mut digit, mut len) = (0u32, None::<u32>, 0);
    for c in text.chars() {
        let place = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => {
                let Some(d) = chinese_digit(c) else { break };
                digit = Some(d);
                len += c.len_utf8();
                continue;
            }
        };
        total = total.saturating_add(digit.take().unwrap_or(1) * place);
        len += c.len_utf8();
    }
    (len > 0).then(|| (total.saturating_add(digit.unwrap_or(0)), len))
}

fn chinese_digit(c: char) -> Option<u32> {
    match c {
        '零' | '〇' => Some(0),
        '两' => Some(2),
        _ => "一二三四五六七八九".chars().position(|x| x == c).and_then(|d| u32::try_from(d + 1).ok()),
    }
}

// Units

/// Classifiers: counts of things, where a number without a unit on the other side is taken to
/// count the same things (`=12处` against `12`).
const COUNT_UNITS: &[&str] = &[
    "人次", "户次", "场次", "批次", "期次", "辆次", "车次", "架次", "篇次", "课时", "学时", "人天", "个", "处", "人", "户", "件",
    "次", "集", "套", "场", "篇", "期", "所", "家", "项", "台", "辆", "册", "份", "批", "条", "座", "间", "张", "本", "部", "门",
    "节", "名", "位", "类", "种", "支", "队", "幅", "首", "栋", "株", "棵", "盏", "块", "根", "只", "头", "班", "堂", "课", "组",
    "宗", "例", "起", "艘", "片", "段",
];

/// Other units, each spelling with its canonical form. A number without a unit is never taken
/// to be in one of these: `98` against `≥95%` may be a count, a score or a typo.
const MEASURE_UNITS: &[(&str, &str)] = &[
    ("%", "%"),
    ("‰", "‰"),
    ("个百分点", "百分点"),
    ("百分点", "百分点"),
    ("元", "元"),
    ("平方公里", "平方公里"),
    ("平方千米", "平方公里"),
    ("km²", "平方公里"),
    ("平方米", "平方米"),
    ("平米", "平方米"),
    ("㎡", "平方米"),
    ("m²", "平方米"),
    ("立方米", "立方米"),
    ("m³", "立方米"),
    ("亩", "亩"),
    ("公顷", "公顷"),
    ("公里", "公里"),
    ("千米", "公里"),
    ("km", "公里"),
    ("米", "米"),
    ("m", "米"),
    ("吨", "吨"),
    ("千克", "千克"),
    ("公斤", "千克"),
    ("kg", "千克"),
    ("克", "克"),
    ("斤", "斤"),
    ("个工作日", "工作日"),
    ("工作日", "工作日"),
    ("个小时", "小时"),
    ("小时", "小时"),
    ("分钟", "分钟"),
    ("天", "天"),
    ("日", "天"),
    ("周", "周"),
    ("个月", "个月"),
    ("月", "月"),
    ("季度", "季度"),
    ("年", "年"),
    ("分", "分"),
    ("倍", "倍"),
];

/// Scale words that may lead a unit (万元, 万人次, 亿元); 万 and 亿 may also stand alone.
const SCALES: &[(&str, i64)] = &[("亿", 100_000_000), ("千万", 10_000_000), ("百万", 1_000_000), ("万", 10_000), ("千", 1_000)];

/// Units that convert exactly into a smaller one; the scales above convert the same way.
const CONVERSIONS: &[(&str, &str, i64)] = &[
    ("公里", "米", 1_000),
    ("平方公里", "平方米", 1_000_000),
    ("公顷", "平方米", 10_000),
    ("吨", "克", 1_000_000),
    ("斤", "克", 500),
    ("小时", "分钟", 60),
];

/// Characters that follow a number without being its unit.
const NOT_UNITS: &str = "以及或之内左约至到和与的为前后每等并且余多中是已未完达第共累含占不超";

/// The unit right after a number, and its byte length; `元/人` and `次/年` are one unit.
fn read_unit(after: &str) -> (Option<String>, usize) {
    let Some((unit, len)) = unit_at(after) else {
        return (None, 0);
    };
    match after[len..].strip_prefix('/').and_then(unit_at) {
        Some((per, per_len)) => (Some(format!("{unit}/{per}")), len + 1 + per_len),
        None => (Some(unit), len),
    }
}

fn unit_at(text: &str) -> Option<(String, usize)> {
    known_unit(text).or_else(|| scaled_unit(text)).or_else(|| ascii_unit(text)).or_else(|| classifier(text))
}

/// The longest listed unit the text starts with, as its canonical spelling.
fn known_unit(text: &str) -> Option<(String, usize)> {
    let counts = COUNT_UNITS.iter().map(|u| (*u, *u));
    let listed = counts.chain(MEASURE_UNITS.iter().copied()).filter(|(alias, _)| unit_starts(text, alias));
    listed.max_by_key(|(alias, _)| alias.len()).map(|(alias, canonical)| (canonical.to_string(), alias.len()))
}

/// Latin spellings match whole words and any case (`KM`, `kg`), so `MB` is not `m`.
fn unit_starts(text: &str, alias: &str) -> bool {
    let Some(head) = text.get(..alias.len()) else {
        return false;
    };
    let whole = !alias.is_ascii() || !text[alias.len()..].starts_with(|c: char| c.is_ascii_alphabetic());
    head.eq_ignore_ascii_case(alias) && whole
}

fn scaled_unit(text: &str) -> Option<(String, usize)> {
    SCALES.iter().find_map(|(scale, _)| {
        let rest = text.strip_prefix(scale)?;
        match known_unit(rest) {
            Some((unit, len)) => {
                // `千M` is 千米, whose own spelling is 公里: a scaled unit that is itself listed takes its name.
                let scaled = format!("{scale}{unit}");
                let listed = known_unit(&scaled).filter(|(_, whole)| *whole == scaled.len()).map(|(name, _)| name);
                Some((listed.unwrap_or(scaled), scale.len() + len))
            }
            None if matches!(*scale, "万" | "亿") => Some((scale.to_string(), scale.len())),
            None => None,
        }
    })
}

fn ascii_unit(text: &str) -> Option<(String, usize)> {
    let len = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    (len > 0).then(|| (text[..len].to_string(), len))
}

/// An unlisted character after a number is taken for its classifier (`5栋`), so that `栋` and
/// `座` are told apart rather than both read as no unit.
fn classifier(text: &str) -> Option<(String, usize)> {
    let c = text.chars().next().filter(|c| is_cjk(*c) && !NOT_UNITS.contains(*c))?;
    Some((c.to_string(), c.len_utf8()))
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

fn is_count(unit: &str) -> bool {
    COUNT_UNITS.contains(&unit) || (unit.chars().count() == 1 && unit.chars().all(is_cjk) && !is_measure(unit))
}

fn is_measure(unit: &str) -> bool {
    MEASURE_UNITS.iter().any(|(_, canonical)| *canonical == unit) || SCALES.iter().any(|(scale, _)| *scale == unit)
}

/// The unit a value converts into exactly, and the factor: 万元 is (元, 10000), 公里 is (米, 1000),
/// 万元/人 is (元/人, 10000).
fn base_of(unit: &str) -> (String, Decimal) {
    if let Some((what, per)) = unit.split_once('/') {
        let (base, factor) = base_of(what);
        return (format!("{base}/{per}"), factor);
    }
    let scaled = SCALES.iter().find_map(|(scale, f)| unit.strip_prefix(scale).filter(|r| !r.is_empty()).map(|r| (r, *f)));
    let (rest, scale) = scaled.unwrap_or((unit, 1));
    match CONVERSIONS.iter().find(|(from, ..)| *from == rest) {
        Some((_, to, f)) => (to.to_string(), Decimal::from(scale * f)),
        None => (rest.to_string(), Decimal::from(scale)),
    }
}

/// The factors that bring target and actual into one unit. A number without a unit stands for
/// the other side's unit only when that is a classifier; a percentage, money or a measure must
/// be written on both sides.
fn common_unit(target: Option<&str>, actual: Option<&str>) -> Result<(Decimal, Decimal), Reason> {
    let differ = || Reason::UnitsDiffer { target: target.map(str::to_string), actual: actual.map(str::to_string) };
    match (target, actual) {
        (None, None) => Ok((Decimal::ONE, Decimal::ONE)),
        (Some(t), Some(a)) if t == a => Ok((Decimal::ONE, Decimal::ONE)),
        (Some(unit), None) | (None, Some(unit)) if is_count(unit) => Ok((Decimal::ONE, Decimal::ONE)),
        (Some(t), Some(a)) => {
            let ((t_base, t_factor), (a_base, a_factor)) = (base_of(t), base_of(a));
            if t_base == a_base {
                Ok((t_factor, a_factor))
            } else {
                Err(differ())
            }
        }
        _ => Err(differ()),
    }
}

// Words

/// Words that report a miss; looked for before the positive words, which they contain.
const NEGATIVE: &[&str] = &[
    "未完成", "未达到", "未达标", "未实现", "未按时", "未按期", "未及时", "未保障", "未落实", "未到位", "未开展", "未执行",
    "未通过", "未改善", "未提高", "未提升", "尚未", "没有完成", "没完成", "没有达到", "不满意", "不合格", "不达标", "不及时",
    "不到位", "不理想", "不明显", "不好", "无明显", "无效", "延期", "延迟", "滞后", "推迟", "逾期", "较差", "很差",
];

/// Words that report success when no grade below says more.
const POSITIVE: &[&str] = &[
    "完成", "达到", "达标", "实现", "保障", "满意", "合格", "优秀", "良好", "有效", "明显", "显著", "提高", "提升", "改善",
    "增强", "加强", "按时", "及时", "按期", "到位", "落实", "符合", "通过", "正常", "规范", "稳定", "促进", "持续", "未发生",
    "未超", "无超支", "无安全事故", "无事故", "零事故", "无投诉", "零投诉", "好",
];

/// Grades on one scale, so that `良好` misses `优秀` though both are positive. Per scale, the more
/// specific words first (`基本满意` before `满意`); a rank with its positivity.
type Step = (&'static str, u8, Option<bool>);
const LADDERS: &[&[Step]] = &[
    &[
        ("非常满意", 4, Some(true)),
        ("很满意", 4, Some(true)),
        ("十分满意", 4, Some(true)),
        ("比较满意", 2, Some(true)),
        ("较满意", 2, Some(true)),
        ("基本满意", 2, None),
        ("满意", 3, Some(true)),
    ],
    &[
        ("超额完成", 4, Some(true)),
        ("全面完成", 3, Some(true)),
        ("全部完成", 3, Some(true)),
        ("基本完成", 2, None),
        ("部分完成", 1, Some(false)),
        ("完成", 3, Some(true)),
    ],
    &[
        ("优秀", 4, Some(true)),
        ("良好", 3, Some(true)),
        ("较好", 3, Some(true)),
        ("中等", 2, None),
        ("一般", 2, None),
        ("合格", 2, Some(true)),
        ("及格", 2, Some(true)),
    ],
    &[
        ("较为明显", 2, Some(true)),
        ("较明显", 2, Some(true)),
        ("较为显著", 2, Some(true)),
        ("较显著", 2, Some(true)),
        ("显著", 3, Some(true)),
        ("明显", 3, Some(true)),
        ("大幅", 3, Some(true)),
        ("有所", 1, Some(true)),
        ("一定", 1, Some(true)),
    ],
];

/// What the words answer: the part after a colon (`是否发生安全事故:否`), and single-character
/// grades spelled out, only when they are all there is (`优` is also in `优化`).
fn answer(s: &str) -> &str {
    let s = s.rsplit_once(':').map(|(_, a)| a).filter(|a| !a.is_empty()).unwrap_or(s);
    match s {
        "优" => "优秀",
        "良" | "好" => "良好",
        "中" => "中等",
        "差" => "较差",
        other => other,
    }
}

fn is_negative(s: &str) -> bool {
    s == "否" || NEGATIVE.iter().any(|w| s.contains(w))
}

/// The scale and rank of words, unless they report a miss.
fn grade(s: &str) -> Option<(usize, u8, Option<bool>)> {
    let s = answer(s);
    if is_negative(s) {
        return None;
    }
    LADDERS
        .iter()
        .enumerate()
        .find_map(|(i, steps)| steps.iter().find(|(word, ..)| s.contains(word)).map(|(_, rank, positive)| (i, *rank, *positive)))
}

fn positivity(s: &str) -> Option<bool> {
    let s = answer(s);
    if s == "是" {
        return Some(true);
    }
    if is_negative(s) {
        return Some(false);
    }
    match grade(s) {
        Some((_, _, positive)) => positive,
        None => POSITIVE.iter().any(|w| s.contains(w)).then_some(true),
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing

/// Measures an actual against its target.
pub fn compare(target: &IndicatorValue, actual: &IndicatorValue) -> Verdict {
    use IndicatorValue as V;
    match (target, actual) {
        (V::Empty, _) => refuse(Reason::TargetMissing),
        (_, V::Empty) => refuse(Reason::ActualMissing),
        (V::Unparsed(text), _) => refuse(Reason::TargetUnreadable(text.clone())),
        (_, V::Unparsed(text)) => refuse(Reason::ActualUnreadable(text.clone())),
        (V::Qualitative { text: wanted, .. }, V::Qualitative { text: done, positive }) => compare_words(wanted, done, *positive),
        (V::Qualitative { .. }, _) => refuse(Reason::TargetNotQuantified),
        (_, V::Qualitative { text, positive }) => against_words(target, text, *positive),
        (V::Deadline(due), V::Deadline(done)) => judge(done.span(due.year.is_some()), due.limit(done.year.is_some())),
        (V::Deadline(_), _) | (_, V::Deadline(_)) => refuse(Reason::KindsDiffer { target: target.kind(), actual: actual.kind() }),
        _ => compare_amounts(target, actual),
    }
}

fn refuse(reason: Reason) -> Verdict {
    Verdict::NotComparable(reason)
}

/// Words against words: yes/no answers must match, grades on one scale are ranked, otherwise
/// what the actual's words report decides.
fn compare_words(target: &str, actual: &str, positive: Option<bool>) -> Verdict {
    let (wanted, done) = (normalize(target), normalize(actual));
    if answer(&wanted) == "否" {
        return match answer(&done) {
            "否" => Verdict::Met,
            "是" => Verdict::NotMet,
            _ => refuse(Reason::ActualUnclear(actual.to_string())),
        };
    }
    if let (Some((scale, wanted_rank, _)), Some((done_scale, done_rank, _))) = (grade(&wanted), grade(&done)) {
        if scale == done_scale {
            return if done_rank >= wanted_rank { Verdict::Met } else { Verdict::NotMet };
        }
    }
    match positive {
        Some(true) => Verdict::Met,
        Some(false) => Verdict::NotMet,
        None => refuse(Reason::ActualUnclear(actual.to_string())),
    }
}

/// A number or a deadline against words: a reported miss is a miss either way; success in words
/// meets a deadline (`按时完成`), but says nothing about how much was done.
fn against_words(target: &IndicatorValue, text: &str, positive: Option<bool>) -> Verdict {
    match (positive, target) {
        (Some(false), _) => Verdict::NotMet,
        (Some(true), IndicatorValue::Deadline(_)) => Verdict::Met,
        (None, IndicatorValue::Deadline(_)) => refuse(Reason::ActualUnclear(text.to_string())),
        _ => refuse(Reason::ActualNotQuantified),
    }
}

fn compare_amounts(target: &IndicatorValue, actual: &IndicatorValue) -> Verdict {
    let (Some((wanted, wanted_unit)), Some((done, done_unit))) = (Span::of(target), Span::of(actual)) else {
        return refuse(Reason::KindsDiffer { target: target.kind(), actual: actual.kind() });
    };
    let (wanted_factor, done_factor) = match common_unit(wanted_unit, done_unit) {
        Ok(factors) => factors,
        Err(reason) => return refuse(reason),
    };
    match (wanted.scaled(wanted_factor), done.scaled(done_factor)) {
        (Some(wanted), Some(done)) => judge(done, wanted),
        _ => refuse(Reason::OutOfRange),
    }
}

/// Met when every value the actual allows meets the target, missed when none does.
fn judge(actual: Span, target: Span) -> Verdict {
    if actual.within(target) {
        Verdict::Met
    } else if actual.misses(target) {
        Verdict::NotMet
    } else {
        refuse(Reason::ActualImprecise)
    }
}

/// One end of a span; an open end excludes its value (`>95%`).
#[derive(Debug, Clone, Copy)]
struct Bound {
    value: Decimal,
    closed: bool,
}

/// The values a target allows or an actual may stand for; `None` ends are unbounded.
#[derive(Debug, Clone, Copy)]
struct Span {
    lo: Option<Bound>,
    hi: Option<Bound>,
}

impl Span {
    fn of(value: &IndicatorValue) -> Option<(Span, Option<&str>)> {
        match value {
            IndicatorValue::Quantity(q) => Some((Span::of_quantity(q), q.unit.as_deref())),
            IndicatorValue::Range { low, high } => {
                let span = Span {
                    lo: Some(Bound { value: low.value, closed: true }),
                    hi: Some(Bound { value: high.value, closed: true }),
                };
                Some((span, low.unit.as_deref().or(high.unit.as_deref())))
            }
            _ => None,
        }
    }

    fn of_quantity(q: &Quantity) -> Span {
        let at = |closed| Some(Bound { value: q.value, closed });
        match q.op {
            Operator::AtLeast => Span { lo: at(true), hi: None },
            Operator::AtMost => Span { lo: None, hi: at(true) },
            Operator::Exactly => Span { lo: at(true), hi: at(true) },
            Operator::MoreThan => Span { lo: at(false), hi: None },
            Operator::LessThan => Span { lo: None, hi: at(false) },
        }
    }

    fn scaled(self, factor: Decimal) -> Option<Span> {
        let scale = |b: Option<Bound>| match b {
            None => Some(None),
            Some(b) => b.value.checked_mul(factor).map(|value| Some(Bound { value, ..b })),
        };
        Some(Span { lo: scale(self.lo)?, hi: scale(self.hi)? })
    }

    /// At a shared end value the inner span fits when the outer includes that value or the inner
    /// excludes it too (`>95%` fits in `≥95%`, `≥95%` does not fit in `>95%`).
    fn within(self, outer: Span) -> bool {
        let lower = match (self.lo, outer.lo) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.value > b.value || (a.value == b.value && (b.closed || !a.closed)),
        };
        let upper = match (self.hi, outer.hi) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => a.value < b.value || (a.value == b.value && (b.closed || !a.closed)),
        };
        lower && upper
    }

    fn misses(self, other: Span) -> bool {
        let lo = tighter(self.lo, other.lo, |a, b| a.value > b.value || (a.value == b.value && !a.closed));
        let hi = tighter(self.hi, other.hi, |a, b| a.value < b.value || (a.value == b.value && !a.closed));
        match (lo, hi) {
            (Some(lo), Some(hi)) => lo.value > hi.value || (lo.value == hi.value && !(lo.closed && hi.closed)),
            _ => false,
        }
    }
}

fn tighter(a: Option<Bound>, b: Option<Bound>, first_is_tighter: impl Fn(Bound, Bound) -> bool) -> Option<Bound> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if first_is_tighter(a, b) { a } else { b }),
        (a, b) => a.or(b),
    }
}

impl Deadline {
    /// Years count only when both sides name one; otherwise both are the form's year.
    fn key(&self, with_year: bool, month: u32, day: u32) -> Decimal {
        let year = if with_year { i64::from(self.year.unwrap_or(0)) } else { 0 };
        Decimal::from(year * 10_000 + i64::from(month) * 100 + i64::from(day))
    }

    /// Due by the last day named.
    fn limit(&self, other_has_year: bool) -> Span {
        let with_year = other_has_year && self.year.is_some();
        Span { lo: None, hi: Some(Bound { value: self.key(with_year, self.month, self.day.unwrap_or(31)), closed: true }) }
    }

    /// Done some time in the days named: a quarter or a month is all of its days.
    fn span(&self, other_has_year: bool) -> Span {
        let with_year = other_has_year && self.year.is_some();
        let first_month = self.quarter.map_or(self.month, |q| (q * 3).saturating_sub(2));
        let first = self.key(with_year, first_month, self.day.unwrap_or(1));
        let last = self.key(with_year, self.month, self.day.unwrap_or(31));
        Span { lo: Some(Bound { value: first, closed: true }), hi: Some(Bound { value: last, closed: true }) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    use Operator::*;

    fn quantity_of(op: Operator, value: &str, unit: Option<&str>) -> Quantity {
        let decimals = value.split_once('.').map_or(0, |(_, f)| f.len() as u32);
        Quantity { op, value: Decimal::from_str(value).unwrap(), decimals, unit: unit.map(str::to_string) }
    }

    fn q(op: Operator, value: &str, unit: &str) -> IndicatorValue {
        IndicatorValue::Quantity(quantity_of(op, value, Some(unit).filter(|u| !u.is_empty())))
    }

    fn range_of(low: &str, high: &str, unit: &str) -> IndicatorValue {
        let unit = Some(unit).filter(|u| !u.is_empty());
        IndicatorValue::Range { low: quantity_of(AtLeast, low, unit), high: quantity_of(AtMost, high, unit) }
    }

    fn due(year: Option<i32>, month: u32, day: Option<u32>) -> IndicatorValue {
        IndicatorValue::Deadline(Deadline { year, month, day, quarter: None })
    }

    fn quarter(year: Option<i32>, q: u32) -> IndicatorValue {
        IndicatorValue::Deadline(Deadline { year, month: q * 3, day: None, quarter: Some(q) })
    }

    fn said(text: &str, positive: Option<bool>) -> IndicatorValue {
        IndicatorValue::Qualitative { text: text.to_string(), positive }
    }

    fn unparsed(text: &str) -> IndicatorValue {
        IndicatorValue::Unparsed(text.to_string())
    }

    const YES: Option<bool> = Some(true);
    const NO: Option<bool> = Some(false);

    /// Phrases as they stand in 年度指标值 and 实际完成值 cells of 绩效目标 forms.
    #[test]
    fn phrases_of_real_forms() {
        let cases: Vec<(&str, IndicatorValue)> = vec![
            // 产出指标 — 数量指标
            ("=12处", q(Exactly, "12", "处")),
            ("12处", q(Exactly, "12", "处")),
            ("租赁房屋数量12处", q(Exactly, "12", "处")),
            (" 12 处 ", q(Exactly, "12", "处")),
            ("20集", q(Exactly, "20", "集")),
            ("不少于3次", q(AtLeast, "3", "次")),
            ("不少于两次", q(AtLeast, "2", "次")),
            ("三场", q(Exactly, "3", "场")),
            ("≥1次/年", q(AtLeast, "1", "次/年")),
            ("每季度不少于1次", q(AtLeast, "1", "次/季度")),
            ("1次/季度", q(Exactly, "1", "次/季度")),
            ("1,200人次", q(Exactly, "1200", "人次")),
            ("1.2万人次", q(Exactly, "1.2", "万人次")),
            ("100余人", q(MoreThan, "100", "人")),
            ("≥500平方米", q(AtLeast, "500", "平方米")),
            ("300㎡", q(Exactly, "300", "平方米")),
            ("12公里", q(Exactly, "12", "公里")),
            ("5千米", q(Exactly, "5", "公里")),
            ("≥1.5吨", q(AtLeast, "1.5", "吨")),
            ("3栋", q(Exactly, "3", "栋")),
            ("10项", q(Exactly, "10", "项")),
            ("完成12项内容", q(Exactly, "12", "项")),
            ("一百零五人", q(Exactly, "105", "人")),
            ("培训≥200人", q(AtLeast, "200", "人")),
            ("0起", q(Exactly, "0", "起")),
            ("5GB", q(Exactly, "5", "GB")),
            ("3-5个", range_of("3", "5", "个")),
            ("新建3处、改造5处", unparsed("新建3处、改造5处")),
            // 质量指标
            ("100%", q(Exactly, "100", "%")),
            ("≥95%", q(AtLeast, "95", "%")),
            ("≥95%\n", q(AtLeast, "95", "%")),
            ("98%", q(Exactly, "98", "%")),
            ("98.50%", q(Exactly, "98.50", "%")),
            ("９９．５％", q(Exactly, "99.5", "%")),
            ("≧90％", q(AtLeast, "90", "%")),
            ("＞85%", q(MoreThan, "85", "%")),
            ("＜5%", q(LessThan, "5", "%")),
            (">=80%", q(AtLeast, "80", "%")),
            ("不低于95%", q(AtLeast, "95", "%")),
            ("不高于5%", q(AtMost, "5", "%")),
            ("大于等于90%", q(AtLeast, "90", "%")),
            ("小于等于1%", q(AtMost, "1", "%")),
            ("高于80%", q(MoreThan, "80", "%")),
            ("低于3%", q(LessThan, "3", "%")),
            ("90%以上", q(AtLeast, "90", "%")),
            ("90%以上（含）", q(AtLeast, "90", "%")),
            ("≥95%（含95%）", q(AtLeast, "95", "%")),
            ("达到100%", q(AtLeast, "100", "%")),
            ("验收合格率达到95%以上", q(AtLeast, "95", "%")),
            ("100%完成", q(Exactly, "100", "%")),
            ("百分之百", q(Exactly, "100", "%")),
            ("百分之九十五", q(Exactly, "95", "%")),
            ("控制在5%以内", q(AtMost, "5", "%")),
            ("≤2个百分点", q(AtMost, "2", "百分点")),
            ("较上年提高5个百分点", q(Exactly, "5", "百分点")),
            ("安全事故发生率为0", q(Exactly, "0", "")),
            ("-5%", q(Exactly, "-5", "%")),
            ("≥90分", q(AtLeast, "90", "分")),
            ("90%-100%", range_of("90", "100", "%")),
            ("90%～100%", range_of("90", "100", "%")),
            ("90—100%", range_of("90", "100", "%")),
            ("80至100分", range_of("80", "100", "分")),
            ("优秀", said("优秀", YES)),
            ("良好", said("良好", YES)),
            ("合格", said("合格", YES)),
            ("优", said("优", YES)),
            ("一般", said("一般", None)),
            // 时效指标
            ("2020年12月31日前", due(Some(2020), 12, Some(31))),
            ("2020年12月底前", due(Some(2020), 12, None)),
            ("12月底前", due(None, 12, None)),
            ("2020年6月30日前", due(Some(2020), 6, Some(30))),
            ("2020.12.31", due(Some(2020), 12, Some(31))),
            ("2020-12-31前完成", due(Some(2020), 12, Some(31))),
            ("6月中旬", due(None, 6, Some(20))),
            ("12月", due(None, 12, None)),
            ("第四季度", quarter(None, 4)),
            ("第4季度", quarter(None, 4)),
            ("2020年第三季度", quarter(Some(2020), 3)),
            ("年底前", due(None, 12, None)),
            ("2021年底前完成", due(Some(2021), 12, None)),
            ("2020年内", due(Some(2020), 12, None)),
            ("2020年度", due(Some(2020), 12, None)),
            ("上半年", due(None, 6, None)),
            ("15个工作日内", q(AtMost, "15", "工作日")),
            ("<=10个工作日", q(AtMost, "10", "工作日")),
            ("30日内", q(AtMost, "30", "天")),
            ("≤ 3 天", q(AtMost, "3", "天")),
            ("3个月", q(Exactly, "3", "个月")),
            ("按时完成", said("按时完成", YES)),
            ("及时", said("及时", YES)),
            // 成本指标
            ("≤405.81万元", q(AtMost, "405.81", "万元")),
            ("395.41万元", q(Exactly, "395.41", "万元")),
            ("不超过400万元", q(AtMost, "400", "万元")),
            ("≤500元/人", q(AtMost, "500", "元/人")),
            ("1,411.64万元", q(Exactly, "1411.64", "万元")),
            ("控制在405.81万元", q(AtMost, "405.81", "万元")),
            ("控制在预算范围内", said("控制在预算范围内", None)),
            // 效益指标
            ("有效保障", said("有效保障", YES)),
            ("已保障", said("已保障", YES)),
            ("显著提高", said("显著提高", YES)),
            ("作用明显", said("作用明显", YES)),
            ("有所提高", said("有所提高", YES)),
            ("作用不明显", said("作用不明显", NO)),
            ("是", said("是", YES)),
            ("否", said("否", NO)),
            ("未完成", said("未完成", NO)),
            ("延期", said("延期", NO)),
            ("未发生安全事故", said("未发生安全事故", YES)),
            ("全年无安全事故", said("全年无安全事故", YES)),
            ("是否发生安全事故：否", said("是否发生安全事故:否", NO)),
            // 满意度指标
            ("满意度≥90%", q(AtLeast, "90", "%")),
            ("服务对象满意度不低于 90 %", q(AtLeast, "90", "%")),
            ("很满意", said("很满意", YES)),
            ("满意", said("满意", YES)),
            ("基本满意", said("基本满意", None)),
            ("不满意", said("不满意", NO)),
            // Empty cells and placeholders
            ("（空）", IndicatorValue::Empty),
            ("", IndicatorValue::Empty),
            ("  \n ", IndicatorValue::Empty),
            ("—", IndicatorValue::Empty),
            ("——", IndicatorValue::Empty),
            ("-", IndicatorValue::Empty),
            ("/", IndicatorValue::Empty),
            ("无", IndicatorValue::Empty),
            ("不适用", IndicatorValue::Empty),
            // Neither
            ("1.2.3", unparsed("1.2.3")),
            ("≥", unparsed("≥")),
            ("%%", unparsed("%%")),
            ("1-7月", unparsed("1-7月")),
            ("第1-2季度", unparsed("第1-2季度")),
            ("PM2.5浓度≤35微克/立方米", unparsed("PM2.5浓度≤35微克/立方米")),
        ];
        assert!(cases.len() >= 80, "{} phrases", cases.len());
        let mut wrong = Vec::new();
        for (text, expected) in &cases {
            let found = parse(text);
            if found != *expected {
                wrong.push(format!("{text:?}: expected {expected:?}, found {found:?}"));
            }
        }
        assert!(wrong.is_empty(), "{} of {} phrases misread:\n{}", wrong.len(), cases.len(), wrong.join("\n"));
    }

    fn units_differ(target: Option<&str>, actual: Option<&str>) -> Verdict {
        refuse(Reason::UnitsDiffer { target: target.map(str::to_string), actual: actual.map(str::to_string) })
    }

    /// Targets against actuals, including the pairs that must be refused and why.
    #[test]
    fn targets_against_actuals() {
        let (met, missed) = (Verdict::Met, Verdict::NotMet);
        let kinds = |target, actual| refuse(Reason::KindsDiffer { target, actual });
        let unclear = |text: &str| refuse(Reason::ActualUnclear(text.to_string()));
        let pairs: Vec<(&str, &str, Verdict)> = vec![
            ("=12处", "12处", met.clone()),
            ("=12处", "12", met.clone()),
            ("=12处", "13处", missed.clone()),
            ("20集", "5集", missed.clone()),
            ("不少于3次", "三次", met.clone()),
            ("≥95%", "98%", met.clone()),
            ("≥95%", "95.00%", met.clone()),
            ("≥95%", "94.99%", missed.clone()),
            (">95%", "95%", missed.clone()),
            ("≤5%", "5%", met.clone()),
            ("<5%", "5%", missed.clone()),
            ("100%", "100.0%", met.clone()),
            ("≥95%", "≥96%", met.clone()),
            ("≥95%", "≥90%", refuse(Reason::ActualImprecise)),
            ("90%-100%", "95%", met.clone()),
            ("90%-100%", "85%", missed.clone()),
            ("3-5个", "6个", missed.clone()),
            ("≤405.81万元", "395.41万元", met.clone()),
            ("≤405.81万元", "4058100元", met.clone()),
            ("≤405.81万元", "4,100,000元", missed.clone()),
            ("≤500元/人", "0.04万元/人", met.clone()),
            ("≥1公里", "800米", missed.clone()),
            ("≥1万人次", "12000人次", met.clone()),
            ("全区前10名", "第8名", met.clone()),
            ("全区前10名", "第12名", missed.clone()),
            ("培训100名", "100名", met.clone()),
            ("2020年12月31日前", "按时完成", met.clone()),
            ("2020年12月31日前", "2020年11月20日", met.clone()),
            ("2020年12月31日前", "2021年1月15日", missed.clone()),
            ("2020年12月底前", "12月20日", met.clone()),
            ("第四季度", "2020年11月", met.clone()),
            ("11月底前", "第四季度", refuse(Reason::ActualImprecise)),
            ("12月底前", "延期", missed.clone()),
            ("12月底前", "一般", unclear("一般")),
            ("有效保障", "已保障", met.clone()),
            ("显著提高", "作用明显", met.clone()),
            ("作用明显", "作用较明显", missed.clone()),
            ("优秀", "良好", missed.clone()),
            ("良好", "优秀", met.clone()),
            ("满意", "很满意", met.clone()),
            ("完成", "基本完成", missed.clone()),
            ("完成", "按时完成", met.clone()),
            ("是", "否", missed.clone()),
            ("否", "否", met.clone()),
            ("否", "是否发生安全事故：否", met.clone()),
            ("≥1次/季度", "每季度2次", met.clone()),
            ("≤2小时", "90分钟", met.clone()),
            ("完成", "一般", unclear("一般")),
            ("≥95%", "未完成", missed.clone()),
            // Refused
            ("≥95%", "98", units_differ(Some("%"), None)),
            ("10人次", "10人", units_differ(Some("人次"), Some("人"))),
            ("≤405.81万元", "395.41", units_differ(Some("万元"), None)),
            ("5栋", "5座", units_differ(Some("栋"), Some("座"))),
            ("≥90%", "（空）", refuse(Reason::ActualMissing)),
            ("", "98%", refuse(Reason::TargetMissing)),
            ("显著提高", "95%", refuse(Reason::TargetNotQuantified)),
            ("控制在预算范围内", "395.41万元", refuse(Reason::TargetNotQuantified)),
            ("≥95%", "较好", refuse(Reason::ActualNotQuantified)),
            ("≤30天", "按时完成", refuse(Reason::ActualNotQuantified)),
            ("12月底前", "12处", kinds(Kind::Deadline, Kind::Quantity)),
            ("≥90%", "2020年12月", kinds(Kind::Quantity, Kind::Deadline)),
            ("1.2.3", "5", refuse(Reason::TargetUnreadable("1.2.3".to_string()))),
            ("≥5处", "新建3处、改造5处", refuse(Reason::ActualUnreadable("新建3处、改造5处".to_string()))),
        ];
        assert!(pairs.len() >= 25, "{} pairs", pairs.len());
        let mut wrong = Vec::new();
        for (target, actual, expected) in &pairs {
            let found = compare(&parse(target), &parse(actual));
            if found != *expected {
                wrong.push(format!("{target:?} vs {actual:?}: expected {expected:?}, found {found:?}"));
            }
        }
        assert!(wrong.is_empty(), "{} of {} pairs misjudged:\n{}", wrong.len(), pairs.len(), wrong.join("\n"));
    }

    #[test]
    fn reasons_say_why_in_both_languages() {
        let reason = Reason::UnitsDiffer { target: Some("%".to_string()), actual: None };
        assert_eq!(reason.message(Lang::Zh), "单位不一致：年度指标值为“%”，实际完成值为“无单位”");
        assert_eq!(reason.message(Lang::En), "units differ: the target is in '%', the actual value in 'no unit'");
        let kinds = Reason::KindsDiffer { target: Kind::Deadline, actual: Kind::Quantity };
        assert_eq!(kinds.message(Lang::Zh), "年度指标值是时限，实际完成值是数值，无法比较");
        assert_eq!(kinds.message(Lang::En), "the target is a deadline and the actual value a number");
    }

    #[test]
    fn quantified_means_a_number_or_a_deadline() {
        for text in ["≥95%", "90%-100%", "12月底前", "第四季度", "20集"] {
            assert!(parse(text).is_quantified(), "{text}");
        }
        for text in ["有效保障", "显著提高", "", "控制在预算范围内", "1.2.3"] {
            assert!(!parse(text).is_quantified(), "{text}");
        }
    }

    #[test]
    fn odd_input_never_panics() {
        let long = "满意度≥90%".repeat(2000);
        let digits = "9".repeat(200);
        let mut odd: Vec<String> = [
            "",
            " ",
            "≥",
            "%%",
            "1.2.3",
            "９９．５％",
            "😀",
            "💯%",
            "≥😀5",
            "\u{0}",
            "\u{200B}",
            "年月日",
            "季度",
            "第季度",
            "0月0日",
            "13月32日",
            "2020年13月",
            "2020年2月30日",
            "-",
            "--5",
            "5--",
            ".5",
            "5.",
            "%5",
            "万",
            "万元",
            "/元",
            "元/",
            "1/2",
            "½",
            "Ⅳ季度",
            "٣",
            "12,34",
            "1,,000",
            "1,000,00",
            "9999年",
            "百分之",
            "百分之千万",
            "十十十十次",
            "千千千千千千千千千千千千个",
            "2020.13.45",
            "2020..12",
            "99999999999999999999999999999%",
            "-0",
            "≥-",
            "5~",
            "~5",
            "至",
            "5至",
            "第4",
            "4季度前3",
            "Q4",
            "≥≥≥95%%",
            "1e5",
            "0x1F",
            "NaN",
            "inf",
            "∞",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        odd.push(long);
        odd.push(format!("{digits}%"));
        odd.push(format!("≥{digits}万元"));
        odd.push(format!("{digits}.{digits}"));
        odd.push("１".repeat(50) + "％");
        let parsed: Vec<IndicatorValue> = odd.iter().map(|s| parse(s)).collect();
        for target in &parsed {
            for actual in &parsed {
                let verdict = compare(target, actual);
                if let Verdict::NotComparable(reason) = verdict {
                    let _ = (reason.message(Lang::Zh), reason.message(Lang::En));
                }
            }
        }
        assert_eq!(parse("1.2.3"), IndicatorValue::Unparsed("1.2.3".to_string()));
        assert_eq!(parse("９９．５％"), q(Exactly, "99.5", "%"));
    }

    #[test]
    fn unit_conversion_beyond_range_is_refused_not_a_panic() {
        let huge = format!("≤{}亿元", "7".repeat(28));
        assert_eq!(compare(&parse(&huge), &parse("5元")), refuse(Reason::OutOfRange));
    }

    #[test]
    fn deadlines_given_by_hand_compare_without_overflow() {
        let odd =
            IndicatorValue::Deadline(Deadline { year: Some(i32::MAX), month: u32::MAX, day: Some(u32::MAX), quarter: Some(0) });
        let _ = compare(&odd, &odd);
        let _ = compare(&parse("12月底前"), &odd);
    }
}
