//! Which files are one budget unit's submission (an 附件1 with its 附件2 forms), to be reconciled together.
//!
//! A file is keyed by the unit it names inside: its lists' 单位名称 lines and rows, its forms' units.
//! A file that names none is keyed by the unit its file name names (`附件1-月坛街道.xlsx` → 月坛街道),
//! else by the nearest folder below the input that names one (`月坛街道/附件1.xlsx`). Keys are matched
//! as the checks match units ([`same_unit`]: equal, or one inside the other, 月坛街道 ~
//! 北京市西城区人民政府月坛街道办事处), except a key that fits two different units (西城区 inside 西城区月坛街道
//! and 西城区德胜街道), which joins neither. A file keyed by nothing joins the one unit of the other files
//! of its folder (or, where they name none either, those files); at the top of an input it stays alone.
//! A workbook that names several units (a consolidated list) is a group of its own: two units' files are
//! never reconciled with each other.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::model::Workbook;
use crate::read::unit::{name_hint, same_unit, unit_key};

/// What grouping needs to know of a read file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    /// The units the file names inside, one spelling of each (the first met).
    pub units: Vec<String>,
    pub lists: usize,
    pub forms: usize,
}

/// The units a workbook names: tables' and forms' units other than the file-name fallback the reader
/// gives a workbook that names none, and the units of a consolidated list's rows.
pub fn survey_workbook(workbook: &Workbook) -> Survey {
    let fallback = file_stem(&workbook.path);
    let mut units: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        let key = unit_key(name);
        if name.is_empty() || name == fallback || units.iter().any(|u| same_unit(&unit_key(u), &key)) {
            return;
        }
        units.push(name.to_string());
    };
    for table in &workbook.tables {
        add(&table.unit);
        if table.lists_units() {
            for row in &table.rows {
                if let Some(unit) = row.unit.as_deref() {
                    add(unit);
                }
            }
        }
    }
    for form in &workbook.forms {
        add(&form.unit);
    }
    Survey { units, lists: workbook.tables.len(), forms: workbook.forms.len() }
}

/// The reader's unit of a workbook that names none: its file name without the extension.
pub fn file_stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// One file to group: where it is below its input, and what reading it found (None: unreadable).
pub struct Member<'a> {
    pub relative: &'a Path,
    pub survey: Option<&'a Survey>,
}

/// Files of one unit, by index into the members, in their order; `unit` names the unit when the
/// files do (the spelling most of them use), or their file or folder names do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub members: Vec<usize>,
    pub unit: Option<String>,
}

#[derive(Debug, Clone)]
enum Key {
    /// Named inside (one unit, maybe in several spellings).
    Inside(Vec<String>),
    /// Named by the file or folder name.
    Name(String),
    /// Several units inside: a group of its own.
    Several,
    None,
}

fn key_of(member: &Member<'_>, survey: &Survey) -> Key {
    match survey.units.len() {
        0 => {}
        1 => return Key::Inside(survey.units.clone()),
        _ => return Key::Several,
    }
    let stem = member.relative.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(hint) = name_hint(&stem) {
        return Key::Name(hint);
    }
    // The nearest folder below the input that names a unit.
    let mut folder = member.relative.parent();
    while let Some(dir) = folder.filter(|d| !d.as_os_str().is_empty()) {
        if let Some(hint) = dir.file_name().and_then(|n| name_hint(&n.to_string_lossy())) {
            return Key::Name(hint);
        }
        folder = dir.parent();
    }
    Key::None
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    /// The root of the two becomes the smaller index, so a group is led by its first file.
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            self.0[high] = low;
        }
    }
}

/// Groups the readable members (see the module's doc); unreadable ones are in no group.
pub fn plan(members: &[Member<'_>]) -> Vec<Group> {
    let keys: Vec<Option<Key>> = members.iter().map(|m| m.survey.map(|s| key_of(m, s))).collect();
    let mut sets = UnionFind((0..members.len()).collect());
    // Files sharing a key spelling.
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let spellings: Vec<String> = match key {
            Some(Key::Inside(names)) => names.iter().map(|n| unit_key(n).into_owned()).collect(),
            Some(Key::Name(name)) => vec![name.clone()],
            _ => continue,
        };
        for spelling in spellings {
            match by_key.get(&spelling) {
                Some(&first) => sets.union(first, i),
                None => {
                    by_key.insert(spelling, i);
                }
            }
        }
    }
    link_spellings(&by_key, &mut sets);
    join_folders(members, &keys, &mut sets);

    let mut groups: Vec<Group> = Vec::new();
    let mut at: HashMap<usize, usize> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        if key.is_none() {
            continue;
        }
        let root = sets.find(i);
        let index = *at.entry(root).or_insert_with(|| {
            groups.push(Group { members: Vec::new(), unit: None });
            groups.len() - 1
        });
        groups[index].members.push(i);
    }
    for group in &mut groups {
        group.unit = group_unit(&group.members, &keys);
    }
    groups
}

/// Unions the files of two spellings of one unit (one inside the other), unless the shorter one is
/// inside two spellings that are not one unit: then it could be either, and joins neither.
fn link_spellings(by_key: &HashMap<String, usize>, sets: &mut UnionFind) {
    let mut containers: HashMap<&str, Vec<&str>> = HashMap::new();
    for longer in by_key.keys() {
        let chars: Vec<(usize, char)> = longer.char_indices().collect();
        for start in 0..chars.len() {
            for end in start + 2..=chars.len() {
                if start == 0 && end == chars.len() {
                    continue;
                }
                let from = chars[start].0;
                let to = chars.get(end).map_or(longer.len(), |(at, _)| *at);
                if let Some((shorter, _)) = by_key.get_key_value(&longer[from..to]) {
                    let list = containers.entry(shorter.as_str()).or_default();
                    if !list.contains(&longer.as_str()) {
                        list.push(longer.as_str());
                    }
                }
            }
        }
    }
    let mut shorter: Vec<&&str> = containers.keys().collect();
    shorter.sort();
    for short in shorter {
        let longer = &containers[*short];
        let ambiguous = longer.iter().enumerate().any(|(i, a)| longer[i + 1..].iter().any(|b| !same_unit(a, b)));
        if ambiguous {
            continue;
        }
        for long in longer {
            sets.union(by_key[*short], by_key[*long]);
        }
    }
}

/// A folder's groups whose files name their unit inside, and its files that name none.
type AnchoredAndLoose = (Vec<usize>, Vec<usize>);

/// Files of a folder below the input that name no unit inside, and are not linked by their names to
/// a file that does, join the one group of that folder's files that name theirs (`月坛街道/附件1.xlsx`
/// without a 单位名称 line, beside `月坛街道/附件2.xlsx` whose forms name 北京市西城区人民政府月坛街道办事处);
/// where no file of the folder names its unit, they are one group.
fn join_folders(members: &[Member<'_>], keys: &[Option<Key>], sets: &mut UnionFind) {
    let folder_of = |i: usize| members[i].relative.parent().filter(|p| !p.as_os_str().is_empty());
    // Each group: whether a file of it names its unit inside, and the one folder all its files are in.
    let mut named: HashMap<usize, bool> = HashMap::new();
    let mut folder: HashMap<usize, Option<&Path>> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(key) = key else { continue };
        let root = sets.find(i);
        *named.entry(root).or_default() |= matches!(key, Key::Inside(_) | Key::Several);
        let here = folder_of(i);
        folder.entry(root).and_modify(|f| if *f != here { *f = None }).or_insert(here);
    }
    let mut folders: HashMap<&Path, AnchoredAndLoose> = HashMap::new();
    for (i, key) in keys.iter().enumerate() {
        let (Some(key), Some(dir)) = (key, folder_of(i)) else { continue };
        let root = sets.find(i);
        let entry = folders.entry(dir).or_default();
        if matches!(key, Key::Several) {
            continue;
        } else if named[&root] {
            entry.0.push(root);
        } else if folder[&root] == Some(dir) {
            entry.1.push(i);
        }
    }
    let mut folders: Vec<(&Path, AnchoredAndLoose)> = folders.into_iter().collect();
    folders.sort_by(|a, b| a.0.cmp(b.0));
    for (_, (mut anchored, loose)) in folders {
        if loose.is_empty() {
            continue;
        }
        anchored.sort_unstable();
        anchored.dedup();
        let anchor = match anchored.as_slice() {
            [one] => *one,
            [] => loose[0],
            _ => continue,
        };
        for i in loose {
            sets.union(anchor, i);
        }
    }
}

/// The spelling most files of the group name their unit by (the longest among equals), else the
/// name their file or folder names give.
fn group_unit(members: &[usize], keys: &[Option<Key>]) -> Option<String> {
    let pick = |names: Vec<&String>| -> Option<String> {
        let mut counts: Vec<(&String, usize)> = Vec::new();
        for name in names {
            match counts.iter_mut().find(|(n, _)| *n == name) {
                Some((_, count)) => *count += 1,
                None => counts.push((name, 1)),
            }
        }
        counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(a.0.chars().count().cmp(&b.0.chars().count())).then(b.0.cmp(a.0))).map(|(n, _)| n.clone())
    };
    let inside: Vec<&String> = members.iter().filter_map(|&i| match &keys[i] {
        Some(Key::Inside(names)) => names.first(),
        _ => None,
    }).collect();
    if !inside.is_empty() {
        return pick(inside);
    }
    let named: Vec<&String> = members.iter().filter_map(|&i| match &keys[i] {
        Some(Key::Name(name)) => Some(name),
        _ => None,
    }).collect();
    pick(named)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn survey(units: &[&str]) -> Survey {
        Survey { units: units.iter().map(|u| u.to_string()).collect(), lists: 1, forms: 0 }
    }

    fn groups(files: &[(&str, Option<Survey>)]) -> Vec<Vec<usize>> {
        let paths: Vec<PathBuf> = files.iter().map(|(p, _)| PathBuf::from(p)).collect();
        let members: Vec<Member<'_>> = files.iter().zip(&paths).map(|((_, s), p)| Member { relative: p, survey: s.as_ref() }).collect();
        plan(&members).into_iter().map(|g| g.members).collect()
    }

    #[test]
    fn file_names_give_the_unit_without_their_document_words() {
        assert_eq!(name_hint("附件1-月坛街道").as_deref(), Some("月坛街道"));
        assert_eq!(name_hint("2020年月坛街道项目支出绩效跟踪清单（盖章）").as_deref(), Some("月坛街道"));
        assert_eq!(name_hint("附件2 展览路街道 1-6月").as_deref(), Some("展览路街道"));
        assert_eq!(name_hint("附件1"), None);
        assert_eq!(name_hint("Sheet1 final (2)"), None);
        assert_eq!(name_hint("0012"), None);
    }

    #[test]
    fn units_named_inside_group_across_spellings_and_never_across_units() {
        let full = "北京市西城区人民政府月坛街道办事处";
        let got = groups(&[
            ("附件1.xlsx", Some(survey(&[full]))),
            ("附件2.xlsx", Some(survey(&["月坛街道"]))),
            ("x/附件1.xlsx", Some(survey(&["展览路街道"]))),
            ("x/附件2.xlsx", Some(survey(&["北京市西城区人民政府展览路街道办事处"]))),
            ("汇总.xlsx", Some(survey(&["月坛街道", "展览路街道"]))),
            ("坏.xlsx", None),
        ]);
        assert_eq!(got, vec![vec![0, 1], vec![2, 3], vec![4]]);
    }

    #[test]
    fn a_name_inside_two_units_joins_neither() {
        let got = groups(&[
            ("a.xlsx", Some(survey(&["西城区月坛街道"]))),
            ("b.xlsx", Some(survey(&["西城区德胜街道"]))),
            ("c.xlsx", Some(survey(&["西城区"]))),
        ]);
        assert_eq!(got, vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn file_and_folder_names_group_files_that_name_no_unit() {
        let none = Some(survey(&[]));
        let got = groups(&[
            ("附件1-月坛街道.xlsx", none.clone()),
            ("附件2-月坛街道.xlsx", Some(survey(&["北京市西城区人民政府月坛街道办事处"]))),
            ("德胜街道/附件1.xlsx", none.clone()),
            ("德胜街道/附件2.xlsx", Some(survey(&["德胜街道办事处"]))),
            ("0012/附件1.xlsx", none.clone()),
            ("0012/附件2.xlsx", Some(survey(&["新街口街道"]))),
            ("附件1.xlsx", none.clone()),
            ("附件1(1).xlsx", none.clone()),
            // The folder's name is no spelling of the unit the forms name: the folder still groups them.
            ("西城区展览路街道/附件1.xlsx", none.clone()),
            ("西城区展览路街道/附件2.xlsx", Some(survey(&["北京市西城区人民政府展览路街道办事处"]))),
        ]);
        assert_eq!(got, vec![vec![0, 1], vec![2, 3], vec![4, 5], vec![6], vec![7], vec![8, 9]]);
        let paths = [PathBuf::from("附件1-月坛街道.xlsx"), PathBuf::from("附件2-月坛街道.xlsx")];
        let surveys = [survey(&[]), survey(&["北京市西城区人民政府月坛街道办事处"])];
        let members: Vec<Member<'_>> = paths.iter().zip(&surveys).map(|(p, s)| Member { relative: p, survey: Some(s) }).collect();
        assert_eq!(plan(&members)[0].unit.as_deref(), Some("北京市西城区人民政府月坛街道办事处"));
    }
}
