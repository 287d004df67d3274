//! Settings: a `budgetlint.toml` (working directory or `--config`), then CLI flags, then Python keywords.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::check::catalog::{rule, Severity};
use crate::custom_rules::{check_rules, CustomRule};
use crate::error::{Error, Result};
use crate::model::Lang;
use crate::read::grid::ReadLimits;

/// When the command line exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Error,
    Warning,
    Never,
}

impl FailOn {
    pub fn parse(text: &str) -> Option<FailOn> {
        match text {
            "error" => Some(FailOn::Error),
            "warning" => Some(FailOn::Warning),
            "never" => Some(FailOn::Never),
            _ => None,
        }
    }

    /// Whether a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// Thresholds of the rules that have one, in percent (or a plain factor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds {
    /// E002: execution below this percent needs a 偏差原因.
    pub low_execution_percent: Decimal,
    /// E003: adjustments larger than this percent of the initial budget.
    pub budget_adjustment_percent: Decimal,
    /// V005: an amount this many times off its column's median looks like the wrong unit.
    pub unit_mismatch_factor: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            low_execution_percent: Decimal::from(90),
            budget_adjustment_percent: Decimal::from(30),
            unit_mismatch_factor: Decimal::from(1000),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Settings {
    pub lang: Lang,
    pub show_info: bool,
    pub fail_on: FailOn,
    /// Rule ids switched off.
    pub disabled: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
    pub thresholds: Thresholds,
    /// The user's own rules (`[[rules]]`), applied after the built-in ones.
    pub rules: Vec<CustomRule>,
    /// Bounds on the work reading one file may cause (`[limits]`, `--limit`, `limits=`).
    pub limits: ReadLimits,
}

/// The file form; every field optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    lang: Option<Lang>,
    show_info: Option<bool>,
    fail_on: Option<FailOn>,
    disable: Option<Vec<String>>,
    severity: Option<BTreeMap<String, Severity>>,
    thresholds: Option<ThresholdsFile>,
    rules: Option<Vec<CustomRule>>,
    limits: Option<LimitsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsFile {
    low_execution_percent: Option<toml::Value>,
    budget_adjustment_percent: Option<toml::Value>,
    unit_mismatch_factor: Option<toml::Value>,
}

/// `[limits]`: each a positive whole number (`20_000_000` in TOML, or a string such as `"20_000_000"`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    max_bytes: Option<toml::Value>,
    max_cells_per_sheet: Option<toml::Value>,
    max_cells_per_workbook: Option<toml::Value>,
    max_merged_cells_per_sheet: Option<toml::Value>,
    max_merged_cells_per_workbook: Option<toml::Value>,
    max_sheets: Option<toml::Value>,
    max_cell_chars: Option<toml::Value>,
}

/// The keys of `[limits]` (and of `--limit` and Python's `limits=`), as [`ReadLimits`] names its fields.
pub const LIMIT_KEYS: [&str; 7] = [
    "max_bytes",
    "max_cells_per_sheet",
    "max_cells_per_workbook",
    "max_merged_cells_per_sheet",
    "max_merged_cells_per_workbook",
    "max_sheets",
    "max_cell_chars",
];

pub const CONFIG_FILE_NAME: &str = "budgetlint.toml";

impl Settings {
    /// Defaults, overlaid with `config` when given (it must exist), else with `./budgetlint.toml` when present.
    ///
    /// # Errors
    /// [`Error::Config`] for a missing explicit file, bad TOML, an unknown key, an unknown rule id or a bad value.
    pub fn load(config: Option<&Path>) -> Result<Settings> {
        let mut settings = Settings::default();
        let path = match config {
            Some(path) => Some(path.to_path_buf()),
            None => Some(PathBuf::from(CONFIG_FILE_NAME)).filter(|p| p.is_file()),
        };
        if let Some(path) = path {
            settings.apply_file(&path)?;
        }
        Ok(settings)
    }

    fn apply_file(&mut self, path: &Path) -> Result<()> {
        let config_error = |detail: String| Error::Config { path: path.to_path_buf(), detail };
        let text = std::fs::read_to_string(path).map_err(|e| config_error(e.to_string()))?;
        let file: SettingsFile = toml::from_str(&text).map_err(|e| config_error(e.to_string()))?;
        self.apply_parsed(file).map_err(config_error)
    }

    fn apply_parsed(&mut self, file: SettingsFile) -> std::result::Result<(), String> {
        if let Some(lang) = file.lang {
            self.lang = lang;
        }
        if let Some(show_info) = file.show_info {
            self.show_info = show_info;
        }
        if let Some(fail_on) = file.fail_on {
            self.fail_on = fail_on;
        }
        for id in file.disable.unwrap_or_default() {
            self.disable(&id)?;
        }
        for (id, severity) in file.severity.unwrap_or_default() {
            self.set_severity(&id, severity)?;
        }
        let thresholds = file.thresholds.unwrap_or_default();
        let pairs = [
            ("low_execution_percent", thresholds.low_execution_percent),
            ("budget_adjustment_percent", thresholds.budget_adjustment_percent),
            ("unit_mismatch_factor", thresholds.unit_mismatch_factor),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                self.set_threshold(name, &as_written(value))?;
            }
        }
        if let Some(rules) = file.rules {
            check_rules(&rules, self.lang)?;
            self.rules = rules;
        }
        let limits = file.limits.unwrap_or_default();
        let pairs = [
            ("max_bytes", limits.max_bytes),
            ("max_cells_per_sheet", limits.max_cells_per_sheet),
            ("max_cells_per_workbook", limits.max_cells_per_workbook),
            ("max_merged_cells_per_sheet", limits.max_merged_cells_per_sheet),
            ("max_merged_cells_per_workbook", limits.max_merged_cells_per_workbook),
            ("max_sheets", limits.max_sheets),
            ("max_cell_chars", limits.max_cell_chars),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                self.set_limit(name, &as_written(value)).map_err(|e| format!("[limits] {e}"))?;
            }
        }
        Ok(())
    }

    fn unknown_rule(&self, id: &str) -> String {
        match self.lang {
            Lang::Zh => format!("未知规则 {id}；budgetlint rules 列出全部规则"),
            Lang::En => format!("unknown rule {id}; budgetlint rules lists them all"),
        }
    }

    /// Switches a rule off.
    pub fn disable(&mut self, id: &str) -> std::result::Result<(), String> {
        let info = rule(id).ok_or_else(|| self.unknown_rule(id))?;
        if !self.disabled.iter().any(|d| d == info.id) {
            self.disabled.push(info.id.to_string());
        }
        Ok(())
    }

    pub fn set_severity(&mut self, id: &str, severity: Severity) -> std::result::Result<(), String> {
        let info = rule(id).ok_or_else(|| self.unknown_rule(id))?;
        self.severity.insert(info.id.to_string(), severity);
        Ok(())
    }

    /// Sets a threshold by name from its written value (`"85"`, `"12.5"`).
    pub fn set_threshold(&mut self, name: &str, value: &str) -> std::result::Result<(), String> {
        let parsed = Decimal::from_str(value.trim().trim_matches('"'))
            .ok()
            .filter(|d| *d >= Decimal::ZERO)
            .ok_or_else(|| match self.lang {
                Lang::Zh => format!("阈值 {name} 应为非负数，而不是 {value}"),
                Lang::En => format!("threshold {name} must be a non-negative number, not {value}"),
            })?;
        let slot = match name {
            "low_execution_percent" => &mut self.thresholds.low_execution_percent,
            "budget_adjustment_percent" => &mut self.thresholds.budget_adjustment_percent,
            "unit_mismatch_factor" => &mut self.thresholds.unit_mismatch_factor,
            other => {
                return Err(match self.lang {
                    Lang::Zh => format!("未知阈值 {other}（可用：low_execution_percent、budget_adjustment_percent、unit_mismatch_factor）"),
                    Lang::En => format!("unknown threshold {other} (known: low_execution_percent, budget_adjustment_percent, unit_mismatch_factor)"),
                })
            }
        };
        *slot = parsed;
        Ok(())
    }

    /// Sets a bound of [`ReadLimits`] by its key from its written value (`"20000000"`, `"20_000_000"`).
    ///
    /// # Errors
    /// An unknown key, or a value that is not a whole number above zero, in the settings' language.
    pub fn set_limit(&mut self, name: &str, value: &str) -> std::result::Result<(), String> {
        let lang = self.lang;
        let slot = match name.trim() {
            "max_bytes" => &mut self.limits.max_bytes,
            "max_cells_per_sheet" => &mut self.limits.max_cells_per_sheet,
            "max_cells_per_workbook" => &mut self.limits.max_cells_per_workbook,
            "max_merged_cells_per_sheet" => &mut self.limits.max_merged_cells_per_sheet,
            "max_merged_cells_per_workbook" => &mut self.limits.max_merged_cells_per_workbook,
            "max_sheets" => &mut self.limits.max_sheets,
            "max_cell_chars" => &mut self.limits.max_cell_chars,
            other => {
                return Err(match lang {
                    Lang::Zh => format!("未知读取上限 {other}（可用：{}）", LIMIT_KEYS.join("、")),
                    Lang::En => format!("unknown limit {other} (known: {})", LIMIT_KEYS.join(", ")),
                })
            }
        };
        *slot = parse_limit(value).map_err(|bad| match (bad, lang) {
            (BadLimit::TooLarge, Lang::Zh) => format!("读取上限 {name} 最大可设为 {}，{} 超出了这个范围", u64::MAX, value.trim()),
            (BadLimit::TooLarge, Lang::En) => format!("limit {name} can be at most {}; {} is beyond that", u64::MAX, value.trim()),
            (BadLimit::NotAWholeNumber, Lang::Zh) => format!(
                "读取上限 {name} 应为大于 0 的整数（可用 _ 分隔，如 20_000_000），而不是 {}",
                value.trim()
            ),
            (BadLimit::NotAWholeNumber, Lang::En) => format!(
                "limit {name} must be a whole number above 0 (`_` separators allowed, as in 20_000_000), not {}",
                value.trim()
            ),
        })?;
        Ok(())
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        !self.disabled.iter().any(|d| d == id)
    }

    pub fn severity_of(&self, id: &str, default: Severity) -> Severity {
        self.severity.get(id).copied().unwrap_or(default)
    }

    /// Whether a finding of this severity is shown.
    pub fn shows(&self, severity: Severity) -> bool {
        self.show_info || severity > Severity::Info
    }
}

/// Why a limit's value is refused.
enum BadLimit {
    /// Zero, a sign, a fraction or anything else.
    NotAWholeNumber,
    /// Digits only, past u64.
    TooLarge,
}

/// `20000000`, `20_000_000`, `"20_000_000"` → 20,000,000.
fn parse_limit(value: &str) -> Result<u64, BadLimit> {
    let digits = value.trim().trim_matches('"').trim();
    let well_placed = !digits.starts_with('_') && !digits.ends_with('_') && !digits.contains("__");
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if !well_placed || digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(BadLimit::NotAWholeNumber);
    }
    match digits.parse::<u64>() {
        Ok(0) => Err(BadLimit::NotAWholeNumber),
        Ok(n) => Ok(n),
        Err(_) => Err(BadLimit::TooLarge),
    }
}

/// A TOML value as the user would type it on the command line, for the same parser to read.
fn as_written(value: toml::Value) -> String {
    match value {
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::String(s) => s,
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Settings, String> {
        let file: SettingsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut settings = Settings::default();
        settings.apply_parsed(file)?;
        Ok(settings)
    }

    #[test]
    fn a_file_sets_every_kind_of_setting() {
        let settings = parse(
            "lang = \"en\"\nshow_info = true\nfail_on = \"warning\"\ndisable = [\"v004\"]\n\
             [severity]\nE002 = \"error\"\n[thresholds]\nlow_execution_percent = 85.5\n",
        )
        .unwrap();
        assert_eq!(settings.lang, Lang::En);
        assert!(settings.show_info);
        assert_eq!(settings.fail_on, FailOn::Warning);
        assert!(!settings.is_enabled("V004"));
        assert_eq!(settings.severity_of("E002", Severity::Warning), Severity::Error);
        assert_eq!(settings.thresholds.low_execution_percent, Decimal::from_str("85.5").unwrap());
    }

    #[test]
    fn unknown_keys_and_rules_are_errors() {
        assert!(parse("colour = true").unwrap_err().contains("colour"));
        assert!(parse("[thresholds]\nlow_execution = 80").unwrap_err().contains("low_execution"));
        assert!(parse("disable = [\"Z999\"]").unwrap_err().contains("Z999"));
        assert!(parse("[thresholds]\nlow_execution_percent = -1").is_err());
    }

    #[test]
    fn limits_are_read_from_their_table() {
        let settings = parse("[limits]\nmax_cells_per_sheet = 20_000_000\nmax_sheets = 5\nmax_bytes = \"1_000_000_000\"\n").unwrap();
        assert_eq!(settings.limits.max_cells_per_sheet, 20_000_000);
        assert_eq!(settings.limits.max_sheets, 5);
        assert_eq!(settings.limits.max_bytes, 1_000_000_000);
        // The others keep their defaults.
        let defaults = ReadLimits::default();
        assert_eq!(settings.limits.max_cells_per_workbook, defaults.max_cells_per_workbook);
        assert_eq!(settings.limits.max_merged_cells_per_sheet, defaults.max_merged_cells_per_sheet);
        assert_eq!(settings.limits.max_cell_chars, defaults.max_cell_chars);
        assert_eq!(parse("").unwrap().limits, defaults);
        let every = LIMIT_KEYS.iter().map(|k| format!("{k} = 7\n")).collect::<String>();
        let settings = parse(&format!("[limits]\n{every}")).unwrap();
        assert_eq!(
            settings.limits,
            ReadLimits {
                max_bytes: 7,
                max_cells_per_sheet: 7,
                max_cells_per_workbook: 7,
                max_merged_cells_per_sheet: 7,
                max_merged_cells_per_workbook: 7,
                max_sheets: 7,
                max_cell_chars: 7
            }
        );
    }

    #[test]
    fn bad_limits_are_refused_naming_the_key() {
        let error = parse("[limits]\nmax_cells = 10").unwrap_err();
        assert!(error.contains("max_cells"), "{error}");
        let error = parse("[limits]\nmax_cells_per_sheet = 0").unwrap_err();
        assert!(error.starts_with("[limits] 读取上限 max_cells_per_sheet 应为大于 0 的整数"), "{error}");
        assert!(error.ends_with("而不是 0"), "{error}");
        let error = parse("[limits]\nmax_sheets = -3").unwrap_err();
        assert!(error.contains("max_sheets") && error.contains("-3"), "{error}");
        for bad in ["1.5", "true", "\"many\"", "\"_1\"", "\"1__0\"", "\"\""] {
            let error = parse(&format!("[limits]\nmax_bytes = {bad}")).unwrap_err();
            assert!(error.contains("max_bytes"), "{bad}: {error}");
        }
        let error = parse("lang = \"en\"\n[limits]\nmax_cell_chars = 0").unwrap_err();
        assert!(error.contains("limit max_cell_chars must be a whole number above 0"), "{error}");
    }

    #[test]
    fn a_limit_is_set_from_its_written_value() {
        let mut settings = Settings::default();
        settings.set_limit("max_cells_per_sheet", "20_000_000").unwrap();
        settings.set_limit("max_cell_chars", " 100 ").unwrap();
        assert_eq!(settings.limits.max_cells_per_sheet, 20_000_000);
        assert_eq!(settings.limits.max_cell_chars, 100);
        assert!(settings.set_limit("max_rows", "5").unwrap_err().contains("未知读取上限 max_rows"));
        for bad in ["0", "0_000", "-1", "+5", "1e6", "", "2_", "99999999999999999999999"] {
            let error = settings.set_limit("max_sheets", bad).unwrap_err();
            assert!(error.contains("max_sheets"), "{bad}: {error}");
        }
        let too_large = settings.set_limit("max_bytes", "99999999999999999999999").unwrap_err();
        assert!(too_large.contains("最大可设为 18446744073709551615"), "{too_large}");
        assert_eq!(settings.limits.max_sheets, ReadLimits::default().max_sheets);
    }
}
