//! The rule catalog: ids, default severities and the text `budgetlint rules` / `explain` print.

use serde::{Deserialize, Serialize};

use crate::model::Lang;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Allowed, but the unit must explain it.
    Warning,
    /// The figures contradict each other.
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Severity::Info => lang.pick("提示", "info"),
            Severity::Warning => lang.pick("警告", "warning"),
            Severity::Error => lang.pick("错误", "error"),
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Text in both languages.
#[derive(Debug, Clone, Copy)]
pub struct Bilingual {
    pub zh: &'static str,
    pub en: &'static str,
}

impl Bilingual {
    pub fn get(&self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}

const fn t(zh: &'static str, en: &'static str) -> Bilingual {
    Bilingual { zh, en }
}

/// One rule: what it finds, why it matters, an example.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    pub title: Bilingual,
    pub why: Bilingual,
    pub example: Bilingual,
}

pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "A001",
        severity: Severity::Error,
        title: t("预算支出比例与“实际支出 ÷ 调整后预算”不符（超出四舍五入范围）", "ratio ≠ actual ÷ adjusted budget, beyond rounding"),
        why: t(
            "比例由两个金额算出。每个数字按显示的小数位代表一个区间（19.98 代表 [19.975, 19.985)）；只有当两个金额在各自区间内取任何值都得不到所填比例时，才判为错误。",
            "The ratio is computed from two amounts. Each shown figure stands for an interval (19.98 means [19.975, 19.985)); only when no values inside those intervals give the stated ratio is it an error.",
        ),
        example: t(
            "残疾人两项补贴：266.47 ÷ 270.00 = 98.69%，表中填 100.00% → A001。学区理事会工作经费：19.98 ÷ 25.00 = 79.92%，表中填 79.94%，但 19.985 ÷ 25.00 = 79.94%，属尾差 → 仅 A005。",
            "残疾人两项补贴: 266.47 ÷ 270.00 = 98.69 % but 100.00 % is shown → A001. 学区理事会工作经费: 19.98 ÷ 25.00 = 79.92 % but 79.94 % is shown; 19.985 ÷ 25.00 = 79.94 %, so it is a rounding remainder → A005 only.",
        ),
    },
    RuleInfo {
        id: "A002",
        severity: Severity::Error,
        title: t("合计/总计与各行之和不符（超出四舍五入范围）", "合计 / 总计 ≠ sum of its rows, beyond rounding"),
        why: t(
            "合计应等于各项目之和。n 个各舍入到 0.01 的数相加，和的误差最多 n × 0.005，超出此范围即为错误。",
            "A total must equal the sum of its project rows. n figures rounded to 0.01 can make the sum drift by up to n × 0.005; beyond that it is an error.",
        ),
        example: t(
            "三个项目 100.00、200.00、300.00，合计填 610.00 → A002（应为 600.00）。",
            "Three projects 100.00, 200.00, 300.00 with a 合计 of 610.00 → A002 (expected 600.00).",
        ),
    },
    RuleInfo {
        id: "A003",
        severity: Severity::Error,
        title: t("小计与本部室各行之和不符（超出四舍五入范围）", "小计 ≠ sum of its department's rows, beyond rounding"),
        why: t(
            "小计应等于其上方同一部室（或同一单位）各项目之和；一、／（一）等层级行应等于其下各项目之和，无论它在项目之上还是之下。",
            "A subtotal must equal the sum of the department's (or unit's) project rows above it; a level row (一、 / （一）) the sum of the projects below it.",
        ),
        example: t("综合办公室两个项目 10.00 与 20.00，小计填 31.00 → A003。", "Two projects 10.00 and 20.00 with a 小计 of 31.00 → A003."),
    },
    RuleInfo {
        id: "A004",
        severity: Severity::Info,
        title: t("调整后预算为 0，比例无法计算，但表中填了比例", "ratio not computable (adjusted budget 0) but a ratio is shown"),
        why: t("除数为 0 时比例没有意义，应留空、填“—”或注明。", "With a zero divisor the ratio means nothing; leave it blank, write a dash or explain it."),
        example: t("在乡及伤残人员全年经费：调整后预算 0.00，实际支出 0.00，比例填 0.00% → A004。", "在乡及伤残人员全年经费: adjusted budget 0.00, actual 0.00, ratio 0.00 % → A004."),
    },
    RuleInfo {
        id: "A005",
        severity: Severity::Info,
        title: t("尾差：在四舍五入范围内，但与按显示数字计算的结果不同", "rounding remainder (尾差) within the rounding interval"),
        why: t(
            "不是错误：所填数字可由未舍入的真实金额得到。默认不显示（--show-info 显示）。",
            "Not an error: the stated figure follows from the unrounded amounts. Hidden unless info is shown (--show-info).",
        ),
        example: t("19.98 ÷ 25.00 按显示值为 79.92%，表中填 79.94% → A005。", "19.98 ÷ 25.00 gives 79.92 % on the shown figures, 79.94 % is stated → A005."),
    },
    RuleInfo {
        id: "A006",
        severity: Severity::Error,
        title: t("“其中”分项之和超过其上级，或分项已列全却与上级不符", "其中 parts exceed their parent, or a complete breakdown does not add up to it"),
        why: t(
            "“其中：市级资金／区级资金”等分项是上一行的组成部分，不是另外的项目：分项之和不能超过上级（按四舍五入区间判断）；分项列到“其他…”时即为全部，之和应等于上级。",
            "其中 rows are parts of the row above, not more projects: their sum cannot exceed the parent (within rounding); when the parts run down to 其他… they are complete and must add up to it.",
        ),
        example: t(
            "宣传经费年初预算 100.00，其中：市级资金 60.00、区级资金 50.00（之和 110.00）→ A006。合计 100.00，其中：财政拨款 60.00、其他资金 35.00 → A006（应为 100.00）。",
            "宣传经费 100.00 with 其中 市级资金 60.00 and 区级资金 50.00 (110.00) → A006. A 合计 of 100.00 with 财政拨款 60.00 and 其他资金 35.00 → A006 (expected 100.00).",
        ),
    },
    RuleInfo {
        id: "A007",
        severity: Severity::Warning,
        title: t("合计在最坏舍入范围内，但偏离超过 4 个标准差，不像尾差", "a total inside the worst-case rounding interval but beyond 4σ of plausible rounding"),
        why: t(
            "n 个舍入数字之和的最坏误差是 n 个半单位（10 万个 0.01 的数字可达 ±500），但各自独立的舍入误差相互抵消，其和的标准差只有 半单位 × √(n/3)（同样 10 万个数字约 0.91）。差异超过 4 个标准差就不是舍入造成的。",
            "The worst case of n rounded figures is n half-units (±500 for 100,000 figures at 0.01), but independent rounding errors cancel: their sum's standard deviation is half-unit × √(n/3) (0.91 for those 100,000). Beyond 4 standard deviations the difference is not rounding.",
        ),
        example: t(
            "10 万行清单的合计比各行之和多 12.34 万元：在 ±500 的最坏范围内，但约为 13.5 个标准差 → A007。",
            "A 100,000-row list whose 合计 is 12.34 above the sum of its rows: inside ±500, but about 13.5 standard deviations out → A007.",
        ),
    },
    RuleInfo {
        id: "A008",
        severity: Severity::Error,
        title: t("由其他列算出的列与其定义不符（追加 = 调整后 − 年初，结余 = 调整后 − 实际）", "a derived column ≠ its definition beyond rounding (change = adjusted − initial, balance = adjusted − actual)"),
        why: t(
            "“追加（减）预算数”“调整数”应等于调整后预算减年初预算，“结余资金”“未支出”应等于调整后预算减实际支出；按三者的四舍五入区间判断，逐行检查。",
            "追加（减）/ 调整数 must equal the adjusted budget minus the initial one, 结余 / 未支出 the adjusted budget minus actual spending; checked row by row on the rounding intervals of the three.",
        ),
        example: t(
            "调整后预算 60.00，实际支出 40.00，结余资金填 30.00 → A008（应为 20.00）。",
            "Adjusted budget 60.00, actual 40.00, 结余资金 30.00 → A008 (expected 20.00).",
        ),
    },
    RuleInfo {
        id: "V001",
        severity: Severity::Error,
        title: t("必填金额缺失", "required figure missing"),
        why: t("年初预算、调整后预算、实际支出三项金额都应填写（为零填 0 或“—”）。", "The three amounts must be filled in (write 0 or — for zero)."),
        example: t("某项目“实际支出金额”单元格为空 → V001。", "A project's 实际支出金额 cell is empty → V001."),
    },
    RuleInfo {
        id: "V002",
        severity: Severity::Error,
        title: t("金额或比例不是数字", "figure not a number"),
        why: t(
            "“约300”“#DIV/0!”等无法参与计算，需改为确切数字；绝对值达到 10^15 的数字不可能是预算金额，多为录入错误，同样不参与计算。",
            "Text such as 约300 or #DIV/0! cannot be recomputed; write the exact figure. A number of 10^15 or more is no budget figure (a typo) and is left out too.",
        ),
        example: t("实际支出金额填“约300” → V002。", "实际支出金额 reads 约300 → V002."),
    },
    RuleInfo {
        id: "V003",
        severity: Severity::Warning,
        title: t("金额为负数", "negative amount"),
        why: t("预算和支出通常不为负，负数多为冲减或录入错误，需说明。", "Budgets and spending are rarely negative; a negative figure is a write-back or a typo and needs explaining."),
        example: t("调整后预算金额填 -12.00 → V003。", "调整后预算金额 reads -12.00 → V003."),
    },
    RuleInfo {
        id: "V004",
        severity: Severity::Info,
        title: t("数字以文本形式存储", "number stored as text"),
        why: t("文本形式的数字在 Excel 中不参与求和，合计公式可能漏算。", "Numbers stored as text are skipped by Excel's SUM, so totals built by formula may miss them."),
        example: t("单元格内容为文本“1,411.64” → V004。", "A cell holds the text \"1,411.64\" → V004."),
    },
    RuleInfo {
        id: "V005",
        severity: Severity::Warning,
        title: t("金额量级异常：疑似以“元”填入“万元”表（或相反）", "amount looks like 元 in a 万元 table (or the reverse)"),
        why: t(
            "与同列其他项目相差上千倍的金额，多半是单位填错。倍数阈值可在配置中设置（unit_mismatch_factor，默认 1000）。",
            "An amount a thousand times off the rest of its column is most likely in the wrong unit. The factor is a setting (unit_mismatch_factor, default 1000).",
        ),
        example: t("万元表中某项目填 4,058,100.00，其余项目均为数百 → V005。", "In a 万元 table one project reads 4,058,100.00 while the others are in the hundreds → V005."),
    },
    RuleInfo {
        id: "S001",
        severity: Severity::Error,
        title: t("工作簿中没有可识别的清单或绩效表", "nothing in the workbook is a list or a form"),
        why: t(
            "清单需要“项目名称”以及“调整后预算金额”或“实际支出金额”等列；绩效表需要“…绩效跟踪分析表”“…执行监控表”“…自评表”“…绩效目标申报表”等标题。两者都没有时无法检查。",
            "A list needs a 项目名称 column and 调整后预算金额 or 实际支出金额 columns; a form needs a title such as …绩效跟踪分析表, …执行监控表, …自评表 or …绩效目标申报表. With neither, nothing can be checked.",
        ),
        example: t("提交的工作簿只有文字说明，没有清单表 → S001。", "The workbook holds only a note, no list → S001."),
    },
    RuleInfo {
        id: "S002",
        severity: Severity::Warning,
        title: t("同一单位的同一项目在一张表中重复列示", "the same project listed twice within one unit's table"),
        why: t(
            "同一单位、同一部室的同名项目出现两次，合计会重复计算。不同单位的同名项目（公用经费、宣传经费……）是不同的项目，不算重复。",
            "The same project of the same unit and department twice makes the total count it twice. Same-named projects of different units (公用经费, 宣传经费 …) are different projects.",
        ),
        example: t("“宣传经费”在党群工作办公室下出现两行 → S002。", "宣传经费 appears twice under 党群工作办公室 → S002."),
    },
    RuleInfo {
        id: "S003",
        severity: Severity::Info,
        title: t("既不是清单也不是绩效表的工作表（或图表、宏表），已跳过", "a sheet that is neither a list nor a form (or a chart or macro sheet), skipped"),
        why: t("项目基本信息、立项依据、支出明细、图表等工作表不在检查范围内；列出以便确认没有漏读。", "Sheets such as 项目基本信息, 立项依据, 支出明细 or charts are not checked; they are named so that nothing is missed unnoticed."),
        example: t("工作簿中的“评审报告”工作表只有文字 → S003。", "A 评审报告 sheet holding only text → S003."),
    },
    RuleInfo {
        id: "S004",
        severity: Severity::Warning,
        title: t("公式没有保存计算结果，且无法计算", "formulas without a stored result that cannot be computed"),
        why: t(
            "脚本（如 openpyxl）和部分网上系统导出的工作簿只写公式、不写结果，要在 Excel 中打开才会计算。budgetlint 能精确计算四则运算、比较、SUM、ROUND、IF 等公式及本工作簿内的引用；其他函数（如 VLOOKUP、SUBTOTAL）或外部引用无法计算，这些单元格不作核对，也不当作未填写。每张工作表报告一次。",
            "Workbooks written by scripts (openpyxl) or some web systems carry formulas without their results, which Excel computes on opening. budgetlint computes arithmetic, comparisons, SUM, ROUND, IF and the like over cells of the workbook exactly; other functions (VLOOKUP, SUBTOTAL …) or outside references cannot be computed, and such cells are neither checked nor taken as missing. Reported once per sheet.",
        ),
        example: t(
            "“项目清单”的 G5:G40 为 =VLOOKUP(...)，文件中没有结果 → S004：请在 Excel 中打开并保存后再检查。",
            "G5:G40 of 项目清单 hold =VLOOKUP(...) with no stored result → S004: open and save in Excel, then check again.",
        ),
    },
    RuleInfo {
        id: "S005",
        severity: Severity::Warning,
        title: t("公式保存的结果与按表中数据重算的结果不符", "a formula's stored result differs from what its cells give"),
        why: t(
            "公式单元格保存的结果与按当前数据重算的结果相差超过显示精度，说明工作簿在修改数据后没有重新计算（例如用脚本改写了数据）。检查使用的是保存的结果。",
            "A formula whose stored result differs, beyond what the cell shows, from what the cells it reads give now means the workbook was changed without being recalculated (a script rewrote figures, say). The checks use the stored result.",
        ),
        example: t(
            "合计 D20 =SUM(D5:D19) 保存为 1,200.00，按各行重算为 1,250.00 → S005。",
            "合计 D20 =SUM(D5:D19) is stored as 1,200.00, but the rows give 1,250.00 → S005.",
        ),
    },
    RuleInfo {
        id: "I001",
        severity: Severity::Warning,
        title: t("绩效指标未填写年度指标值", "indicator without a target (年度指标值)"),
        why: t("没有目标值的指标无法考核。", "An indicator without a target cannot be assessed."),
        example: t("三级指标“租赁房屋数量”的年度指标值为空 → I001。", "租赁房屋数量 with an empty 年度指标值 → I001."),
    },
    RuleInfo {
        id: "I002",
        severity: Severity::Warning,
        title: t("绩效指标未填写实际完成值", "indicator without an actual value"),
        why: t("跟踪表、监控表、自评表都应写明指标的完成情况（监控表为 1-N 月执行数）。申报表不检查。", "Tracking, monitoring and self-evaluation forms must state what was achieved (a monitoring form its 1-N月执行数). Declarations are not checked."),
        example: t("“居民满意度”实际完成值为空 → I002。", "居民满意度 with an empty 实际完成值 → I002."),
    },
    RuleInfo {
        id: "I003",
        severity: Severity::Warning,
        title: t("指标未达到目标值，且未说明偏差原因", "target not met and no deviation cause given"),
        why: t(
            "目标值与完成值可比较时（同单位的数值、期限或明确的定性词），未达标必须在“偏差原因分析”中说明；监控表以“全年预计执行数”比较，原因可以勾选。",
            "Where target and actual can be compared (numbers in the same unit, deadlines, clear words), a miss must be explained in 偏差原因分析; a monitoring form compares its 全年预计执行数 and may tick a cause.",
        ),
        example: t("质量指标 ≥95%，实际 92%，偏差原因分析为空 → I003。", "A quality target of ≥95 % with 92 % achieved and no cause → I003."),
    },
    RuleInfo {
        id: "I004",
        severity: Severity::Warning,
        title: t("缺少必设的指标类别（产出数量、产出时效、满意度）", "a required indicator kind is missing (output quantity, output timeliness, satisfaction)"),
        why: t("按绩效目标管理要求，每个项目应设数量指标、时效指标和满意度指标。", "Performance-target rules require quantity, timeliness and satisfaction indicators for every project."),
        example: t("跟踪分析表中没有任何满意度指标 → I004。", "A tracking form without any 满意度 indicator → I004."),
    },
    RuleInfo {
        id: "I005",
        severity: Severity::Info,
        title: t("指标值未量化（无数值、无时限）", "target not quantified (no number, no deadline)"),
        why: t("“有效保障”“显著提高”等表述无法衡量，评审常要求细化量化。", "Phrases such as 有效保障 or 显著提高 cannot be measured; reviewers ask for figures."),
        example: t("社会效益指标的年度指标值为“有效保障” → I005。", "A social-benefit target of 有效保障 → I005."),
    },
    RuleInfo {
        id: "I006",
        severity: Severity::Error,
        title: t("分值/得分计算错误（得分超过分值、总分不等于各项之和、分值合计不为 100、执行率得分不等于分值 × 执行率）", "score arithmetic wrong (score above its maximum, total ≠ sum, maxima ≠ 100, execution score ≠ maximum × ratio)"),
        why: t(
            "自评表按规则打分：预算执行率一项得分 = 分值 × 执行率（不超过分值），各项得分不超过其分值，分值合计 100，总分等于各项得分之和；均按四舍五入区间判断。",
            "Self-evaluation scores follow fixed rules: the execution line scores its maximum × its ratio (capped), no score exceeds its maximum, the maxima total 100 and the total is the sum of the scores; all within rounding.",
        ),
        example: t("分值 10、执行率 90.00%，得分填 10.00 → I006（应为 9.00）。", "Maximum 10 at 90.00 % execution scored 10.00 → I006 (expected 9.00)."),
    },
    RuleInfo {
        id: "I007",
        severity: Severity::Warning,
        title: t("同一项目同一年度的不同表中，同一指标的目标值不同", "the same indicator's target differs between forms of one project and year"),
        why: t("申报表、监控表、自评表、跟踪分析表中同一指标的年度目标应一致；不同年度的表不比较。", "A target must be the same in a project's declaration, monitoring, self-evaluation and tracking forms of one year; forms of different years are not compared."),
        example: t("执行监控表中“完成动画短剧的制作”为 20集，自评表中为 15集 → I007。", "完成动画短剧的制作 is 20集 in the monitoring form and 15集 in the self-evaluation → I007."),
    },
    RuleInfo {
        id: "X001",
        severity: Severity::Warning,
        title: t("附件1中的项目没有附件2分析表，或附件2分析表的项目不在附件1中", "project in 附件1 without an 附件2 form, or the reverse"),
        why: t("清单中的每个重点跟踪项目都应有一张跟踪分析表，反之亦然（同一单位内按项目名称匹配；仅在同时提交了两者时检查）。", "Every project of the list needs its tracking form and every form its list row (matched by name within a unit; checked only when both are given)."),
        example: t("附件1列有“宣传经费”，附件2中没有它的分析表 → X001。", "宣传经费 is in 附件1 but has no 附件2 form → X001."),
    },
    RuleInfo {
        id: "X002",
        severity: Severity::Error,
        title: t("附件1与附件2中同一项目的金额或执行率不同", "amounts differ between 附件1 and the project's 附件2 form"),
        why: t("分析表的年初预算、调整后预算、实际支出和执行率应与清单一致（按四舍五入区间判断）。", "The form's initial and adjusted budgets, actual spending and ratio must match the list (within rounding)."),
        example: t("附件1 实际支出 395.41，附件2 为 359.41 → X002。", "395.41 spent in 附件1, 359.41 in the 附件2 form → X002."),
    },
    RuleInfo {
        id: "X005",
        severity: Severity::Error,
        title: t("同一项目同一年度的不同表（监控表、自评表、附件2）金额不同", "the same project's amounts differ between its forms of one year"),
        why: t("同一项目同一年度的年初预算数在各表中应一致，自评表与跟踪分析表的全年预算与执行数也应一致；不同年度不比较。", "A project's 年初预算数 must agree across its forms of one year, and the self-evaluation and tracking forms must agree on the year's budget and spending; different years are not compared."),
        example: t("执行监控表年初预算 190.00，自评表为 180.00 → X005。", "190.00 in the monitoring form, 180.00 in the self-evaluation → X005."),
    },
    RuleInfo {
        id: "E001",
        severity: Severity::Warning,
        title: t("实际支出超过调整后预算（执行率超过 100%）", "actual > adjusted budget (execution above 100%)"),
        why: t("超预算支出需要说明资金来源或调整依据。", "Spending above the budget needs its source of funds or authority explained."),
        example: t("调整后预算 100.00，实际支出 120.00 → E001（清单各行与绩效表的年度资金总额）。", "Adjusted budget 100.00, actual 120.00 → E001 (on list rows and on a form's 年度资金总额)."),
    },
    RuleInfo {
        id: "E002",
        severity: Severity::Warning,
        title: t("执行率低于阈值且未填偏差原因", "execution below a threshold and no 偏差原因 given"),
        why: t(
            "执行率低于阈值（默认 90%，low_execution_percent）时，单位应在“偏差原因”（或“备注”）栏说明。表中没有这两栏时不检查（报告正文的表格不设此栏）。",
            "Below the threshold (default 90 %, low_execution_percent) the unit must explain in the 偏差原因 (or 备注) column. Tables without either column are not checked (a report's own tables have no such column).",
        ),
        example: t("宣传经费执行率 60.69%，偏差原因栏为空 → E002。", "宣传经费 at 60.69 % with an empty 偏差原因 → E002."),
    },
    RuleInfo {
        id: "E003",
        severity: Severity::Info,
        title: t("年中预算调整幅度超过阈值", "budget adjusted by more than a threshold during the year"),
        why: t(
            "调整幅度 = |调整后 − 年初| ÷ 年初，超过阈值（默认 30%，budget_adjustment_percent）提示关注预算编制的准确性。",
            "Adjustment = |adjusted − initial| ÷ initial; above the threshold (default 30 %, budget_adjustment_percent) it flags how well the budget was planned.",
        ),
        example: t("城市体检项目经费：年初 80.00，调整后 12.70（调减 84.13%）→ E003。", "城市体检项目经费: initial 80.00, adjusted 12.70 (−84.13 %) → E003."),
    },
    RuleInfo {
        id: "X003",
        severity: Severity::Error,
        title: t("同一单位的同一项目在汇总表与分表中数字不同", "the same project of the same unit differs between a summary and its part"),
        why: t(
            "汇总表（表1、汇总、含“单位名称”列的合并清单）与其分表（表2…表N、各单位自己的表）列示的同一项目必须一致。只在同一单位内、且一张表汇总另一张时比较；在分表的单元格上报告。",
            "A project in a summary (表1, a 汇总, a consolidated list with a 单位名称 column) and in its part (表2…表N, a unit's own sheet) must agree. Only tables of one unit, one summarising the other, are compared; reported at the part's cell.",
        ),
        example: t("表1 中宣传经费实际支出 67.00，表4 中为 76.00 → X003。", "宣传经费 shows 67.00 in 表1 and 76.00 in 表4 → X003."),
    },
    RuleInfo {
        id: "X004",
        severity: Severity::Error,
        title: t("分表的合计与汇总表中其各行之和不符", "a part's 合计 ≠ its rows in the summary"),
        why: t("部室表（表2…）的合计应等于汇总表中该部室各项目之和（按四舍五入区间判断）。", "A department table's total must equal the sum of that department's rows in the summary (within rounding)."),
        example: t("表2 合计调整后预算 1,330.62，表1 中综合办公室六项之和为 1,340.62 → X004。", "表2's total adjusted budget is 1,330.62 while 综合办公室's six rows in 表1 add up to 1,340.62 → X004."),
    },
];

pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}
