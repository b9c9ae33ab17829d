//! Reading a lifecycle policy: its JSON parsed and validated with the checks ECR documents for
//! `PutLifecyclePolicy`, and the module's own limits, each refusal in words.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{
    Action, Count, Policy, PolicyError, Rule, RuleId, Selection, StorageClass, TagSelection,
    MAX_FILTER_CHARS, MAX_POLICY_CHARS, MAX_RULES, MAX_WILDCARDS, MIN_ARCHIVE_DAYS,
};

impl Policy {
    /// Parses and validates a policy with the checks ECR documents for `PutLifecyclePolicy`,
    /// plus the few limits of its own listed in the module notes.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let chars = text.chars().count();
        if chars > MAX_POLICY_CHARS {
            return Err(PolicyError::TooLong { chars });
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        let shape = PolicyError::Policy;
        let Value::Object(top) = &value else {
            return Err(shape(format!("is {}, not an object", type_name(&value))));
        };
        check_keys(top, " at its top level", &["rules"]).map_err(shape)?;
        let raw = match top.get("rules") {
            Some(Value::Array(raw)) => raw,
            Some(other) => return Err(shape(format!("has rules that are {}", type_name(other)))),
            None => return Err(shape("has no rules list".to_owned())),
        };
        if raw.is_empty() {
            return Err(shape("has no rules; ECR needs at least one".to_owned()));
        }
        if raw.len() > MAX_RULES {
            return Err(shape(format!(
                "has {} rules, more than the {MAX_RULES} this tool evaluates",
                raw.len()
            )));
        }
        let mut rules = raw
            .iter()
            .enumerate()
            .map(|(i, rule)| parse_rule(rule, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        rules.sort_by_key(|r| r.priority);
        check_rules(&rules)?;
        Ok(Policy { rules })
    }
}

fn parse_rule(raw: &Value, position: usize) -> Result<Rule, PolicyError> {
    let at = |rule: RuleId| move |problem: String| PolicyError::Rule { rule, problem };
    let Value::Object(obj) = raw else {
        let problem = format!("is {}, not an object", type_name(raw));
        return Err(at(RuleId::Position(position))(problem));
    };
    let priority = parse_priority(obj).map_err(at(RuleId::Position(position)))?;
    parse_rule_body(obj, priority).map_err(at(RuleId::Priority(priority)))
}

fn parse_priority(obj: &Map<String, Value>) -> Result<u32, String> {
    let value = obj.get("rulePriority").ok_or("has no rulePriority")?;
    value
        .as_u64()
        .filter(|&p| p >= 1)
        .and_then(|p| u32::try_from(p).ok())
        .ok_or_else(|| {
            format!(
                "has rulePriority {}, which is not a whole number from 1 to {}",
                shown(value),
                u32::MAX
            )
        })
}

fn parse_rule_body(obj: &Map<String, Value>, priority: u32) -> Result<Rule, String> {
    check_keys(
        obj,
        "",
        &["rulePriority", "description", "selection", "action"],
    )?;
    let description = string(obj, "description")?.map(str::to_owned);
    let selection = parse_selection(object(obj, "selection")?)?;
    let action = parse_action(object(obj, "action")?)?;
    match (selection.count, &action) {
        (Count::SinceImagePulled { .. }, Action::Expire) => Err("expires by sinceImagePulled, \
            which ECR only allows with a transition (archive first, then expire with \
            sinceImageTransitioned)"
            .to_owned()),
        (Count::SinceImageTransitioned { .. }, Action::Transition { .. }) => Err(
            "transitions by sinceImageTransitioned, which ECR only allows with expire".to_owned(),
        ),
        (Count::SinceImageTransitioned { days }, Action::Expire) if days < MIN_ARCHIVE_DAYS => {
            Err(format!(
                "expires archived images after {days} days, but ECR keeps archived images at \
                 least {MIN_ARCHIVE_DAYS} days"
            ))
        }
        _ => Ok(Rule {
            priority,
            description,
            selection,
            action,
        }),
    }
}

fn parse_selection(sel: &Map<String, Value>) -> Result<Selection, String> {
    check_keys(
        sel,
        " in its selection",
        &[
            "tagStatus",
            "tagPrefixList",
            "tagPatternList",
            "storageClass",
            "countType",
            "countUnit",
            "countNumber",
        ],
    )?;
    let tags = parse_tags(sel)?;
    let count = parse_count(sel)?;
    let class = match string(sel, "storageClass")? {
        None => None,
        Some("standard") => Some(StorageClass::Standard),
        Some("archive") => Some(StorageClass::Archive),
        Some(other) => {
            return Err(format!(
                "has storageClass {}; ECR knows \"standard\" and \"archive\"",
                quoted(other)
            ))
        }
    };
    // The default is `standard`; `archive` goes with `sinceImageTransitioned` and nothing else.
    let storage_class = match (count, class) {
        (Count::SinceImageTransitioned { .. }, Some(StorageClass::Archive)) => {
            StorageClass::Archive
        }
        (Count::SinceImageTransitioned { .. }, _) => {
            return Err(
                "has countType sinceImageTransitioned, which needs storageClass \"archive\""
                    .to_owned(),
            )
        }
        (_, Some(StorageClass::Archive)) => {
            return Err(
                "has storageClass \"archive\", which only goes with countType \
                        sinceImageTransitioned"
                    .to_owned(),
            )
        }
        (_, None | Some(StorageClass::Standard)) => StorageClass::Standard,
    };
    Ok(Selection {
        tags,
        storage_class,
        count,
    })
}

fn parse_tags(sel: &Map<String, Value>) -> Result<TagSelection, String> {
    let status = string(sel, "tagStatus")?.ok_or("has no tagStatus")?;
    let prefixes = filter_list(sel, "tagPrefixList")?;
    let patterns = filter_list(sel, "tagPatternList")?;
    match (status, prefixes, patterns) {
        ("tagged", Some(_), Some(_)) => Err(
            "has both a tagPrefixList and a tagPatternList; ECR takes one or the other".to_owned(),
        ),
        ("tagged", Some(prefixes), None) => Ok(TagSelection::Prefixes(prefixes)),
        ("tagged", None, Some(patterns)) => {
            for pattern in &patterns {
                let wildcards = pattern.matches('*').count();
                if wildcards > MAX_WILDCARDS {
                    return Err(format!(
                        "has the tag pattern {} with {wildcards} wildcards; ECR allows at most \
                         {MAX_WILDCARDS}",
                        quoted(pattern)
                    ));
                }
            }
            Ok(TagSelection::Patterns(patterns))
        }
        ("tagged", None, None) => Err(
            "has tagStatus \"tagged\" but neither a tagPrefixList nor a tagPatternList".to_owned(),
        ),
        ("untagged", None, None) => Ok(TagSelection::Untagged),
        ("any", None, None) => Ok(TagSelection::Any),
        ("untagged" | "any", ..) => Err(format!(
            "has tagStatus \"{status}\", which cannot have a tagPrefixList or tagPatternList"
        )),
        (other, ..) => Err(format!(
            "has tagStatus {}; ECR knows \"tagged\", \"untagged\" and \"any\"",
            quoted(other)
        )),
    }
}

/// A `tagPrefixList` or `tagPatternList`, when present.
fn filter_list(sel: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, String> {
    let Some(value) = sel.get(key) else {
        return Ok(None);
    };
    let Value::Array(items) = value else {
        return Err(format!(
            "has a {key} that is {}, not a list",
            type_name(value)
        ));
    };
    if items.is_empty() {
        return Err(format!("has an empty {key}"));
    }
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if s.chars().filter(|&c| c != '*').count() > MAX_FILTER_CHARS => {
                Err(format!(
                    "has a {key} entry of {} characters, which no tag can match (ECR tags are \
                     at most {MAX_FILTER_CHARS})",
                    s.chars().count()
                ))
            }
            Value::String(s) => Ok(s.clone()),
            other => Err(format!(
                "has a {key} entry that is {}, not a string",
                type_name(other)
            )),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn parse_count(sel: &Map<String, Value>) -> Result<Count, String> {
    let count_type = string(sel, "countType")?.ok_or("has no countType")?;
    let value = sel.get("countNumber").ok_or("has no countNumber")?;
    let number = value
        .as_u64()
        .filter(|&n| n >= 1)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            format!(
                "has countNumber {}, which is not a whole number from 1 to {}",
                shown(value),
                u32::MAX
            )
        })?;
    let unit = string(sel, "countUnit")?;
    let days = || match unit {
        Some("days") => Ok(number),
        Some(other) => Err(format!(
            "has countUnit {}; the only unit is \"days\"",
            quoted(other)
        )),
        None => Err(format!(
            "has countType {count_type}, which needs countUnit \"days\""
        )),
    };
    match count_type {
        "imageCountMoreThan" if unit.is_some() => {
            Err("has a countUnit, which countType imageCountMoreThan does not take".to_owned())
        }
        "imageCountMoreThan" => Ok(Count::ImageCountMoreThan(number)),
        "sinceImagePushed" => days().map(|days| Count::SinceImagePushed { days }),
        "sinceImagePulled" => days().map(|days| Count::SinceImagePulled { days }),
        "sinceImageTransitioned" => days().map(|days| Count::SinceImageTransitioned { days }),
        other => Err(format!(
            "has countType {}; ECR knows imageCountMoreThan, sinceImagePushed, \
             sinceImagePulled and sinceImageTransitioned",
            quoted(other)
        )),
    }
}

fn parse_action(act: &Map<String, Value>) -> Result<Action, String> {
    check_keys(act, " in its action", &["type", "targetStorageClass"])?;
    let kind = string(act, "type")?.ok_or("has an action without a type")?;
    match (kind, string(act, "targetStorageClass")?) {
        ("expire", None) => Ok(Action::Expire),
        ("expire", Some(_)) => Err(
            "has an expire action with a targetStorageClass, which only a transition takes"
                .to_owned(),
        ),
        ("transition", Some("archive")) => Ok(Action::Transition {
            storage_class: "archive".to_owned(),
        }),
        ("transition", Some(other)) => Err(format!(
            "transitions to {}; the only targetStorageClass is \"archive\"",
            quoted(other)
        )),
        ("transition", None) => {
            Err("has a transition action without a targetStorageClass".to_owned())
        }
        (other, _) => Err(format!(
            "has action type {}; ECR knows \"expire\" and \"transition\"",
            quoted(other)
        )),
    }
}

/// The checks across rules; `rules` are sorted by priority. Those about `any`, `untagged` and
/// prefixes hold per storage class (see the module notes).
fn check_rules(rules: &[Rule]) -> Result<(), PolicyError> {
    fn at(rule: &Rule, problem: String) -> PolicyError {
        PolicyError::Rule {
            rule: RuleId::Priority(rule.priority),
            problem,
        }
    }
    for pair in rules.windows(2) {
        if pair[0].priority == pair[1].priority {
            let problem = "shares its rulePriority with another rule; each needs its own";
            return Err(at(&pair[1], problem.to_owned()));
        }
    }
    for class in [StorageClass::Standard, StorageClass::Archive] {
        let kind = match class {
            StorageClass::Standard => "standard",
            StorageClass::Archive => "archived",
        };
        let in_class: Vec<&Rule> = rules
            .iter()
            .filter(|r| r.selection.storage_class == class)
            .collect();
        let mut untagged: Option<u32> = None;
        let mut prefix_sets: Vec<(BTreeSet<&str>, u32)> = Vec::new();
        for (i, rule) in in_class.iter().enumerate() {
            match &rule.selection.tags {
                TagSelection::Any => {
                    if let Some(later) = in_class.get(i + 1) {
                        return Err(at(
                            rule,
                            format!(
                                "has tagStatus \"any\" but rule {} comes after it; among rules \
                                 for {kind} images, the \"any\" one must have the highest \
                                 rulePriority",
                                later.priority
                            ),
                        ));
                    }
                }
                TagSelection::Untagged => match untagged {
                    Some(first) => {
                        return Err(at(
                            rule,
                            format!(
                                "is a second untagged rule for {kind} images after rule \
                                 {first}; ECR allows one"
                            ),
                        ))
                    }
                    None => untagged = Some(rule.priority),
                },
                TagSelection::Prefixes(prefixes) => {
                    let set: BTreeSet<&str> = prefixes.iter().map(String::as_str).collect();
                    if let Some((_, first)) = prefix_sets.iter().find(|(s, _)| *s == set) {
                        return Err(at(
                            rule,
                            format!(
                                "has the same tagPrefixList as rule {first}; ECR wants each \
                                 rule's prefixes unique"
                            ),
                        ));
                    }
                    prefix_sets.push((set, rule.priority));
                }
                TagSelection::Patterns(_) => {}
            }
        }
    }
    Ok(())
}

/// Refuses keys ECR does not know: a misspelt `countUnit` would otherwise change the meaning.
fn check_keys(obj: &Map<String, Value>, place: &str, allowed: &[&str]) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!(
            "has the unknown key {}{place}; ECR takes {} there",
            quoted(key),
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

fn object<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, String> {
    match obj.get(key) {
        Some(Value::Object(inner)) => Ok(inner),
        Some(other) => Err(format!(
            "has a {key} that is {}, not an object",
            type_name(other)
        )),
        None => Err(format!("has no {key}")),
    }
}

/// An optional string field; `null` is refused like any other non-string, as ECR does.
fn string<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "has a {key} that is {}, not a string",
            type_name(other)
        )),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A value for an error message: numbers as written, strings quoted, anything else by its type.
fn shown(value: &Value) -> String {
    match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => quoted(s),
        other => type_name(other).to_owned(),
    }
}

/// Policy text in an error message: escaped (it is untrusted) and cut at 40 characters.
fn quoted(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head:?}…")
    }
}
