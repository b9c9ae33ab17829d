//! The lifecycle evaluation against the outcomes AWS's documentation states, and the policy
//! checks with their words.

use chrono::TimeZone;

use super::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap()
}

fn days_back(days: i64) -> DateTime<Utc> {
    now() - TimeDelta::days(days)
}

fn image(digest: &str, tags: &[&str], pushed_days_ago: i64) -> Image {
    Image {
        digest: digest.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        pushed_at: Some(days_back(pushed_days_ago)),
        ..Image::default()
    }
}

fn parse(text: &str) -> Policy {
    Policy::parse(text).unwrap_or_else(|e| panic!("{e}"))
}

fn decide(policy: &str, images: &[Image]) -> Vec<Decision> {
    evaluate(&parse(policy), images, now())
}

/// The digests acted on, sorted, for outcomes stated as sets.
fn acted_on(policy: &str, images: &[Image]) -> Vec<String> {
    let mut digests: Vec<String> = decide(policy, images)
        .into_iter()
        .map(|d| d.digest)
        .collect();
    digests.sort();
    digests
}

/// A policy of one rule with priority 1.
fn one_rule(selection: &str, action: &str) -> String {
    format!(r#"{{"rules":[{{"rulePriority":1,"selection":{selection},"action":{action}}}]}}"#)
}

const EXPIRE: &str = r#"{"type":"expire"}"#;
const ARCHIVE: &str = r#"{"type":"transition","targetStorageClass":"archive"}"#;

fn error(text: &str) -> String {
    match Policy::parse(text) {
        Ok(policy) => panic!("accepted: {policy:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn parses_every_field_and_sorts_rules_by_priority() {
    let policy = parse(
        r#"{"rules":[
          {"rulePriority":5,"selection":{"tagStatus":"any","countType":"imageCountMoreThan",
            "countNumber":3},"action":{"type":"expire"}},
          {"rulePriority":2,"description":"prod","selection":{"tagStatus":"tagged",
            "tagPatternList":["prod*"],"storageClass":"standard","countType":"sinceImagePushed",
            "countUnit":"days","countNumber":30},
            "action":{"type":"transition","targetStorageClass":"archive"}}]}"#,
    );
    assert_eq!(
        policy.rules.iter().map(|r| r.priority).collect::<Vec<_>>(),
        [2, 5]
    );
    assert_eq!(
        policy.rules[0],
        Rule {
            priority: 2,
            description: Some("prod".to_owned()),
            selection: Selection {
                tags: TagSelection::Patterns(vec!["prod*".to_owned()]),
                storage_class: StorageClass::Standard,
                count: Count::SinceImagePushed { days: 30 },
            },
            action: Action::Transition {
                storage_class: "archive".to_owned()
            },
        }
    );
    assert_eq!(
        policy.rules[1].selection.count,
        Count::ImageCountMoreThan(3)
    );
}

/// Docs (older "Filtering on image age"): untagged images older than 14 days expire.
#[test]
fn untagged_since_pushed_expires_old_untagged_images_only() {
    let policy = one_rule(
        r#"{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14}"#,
        EXPIRE,
    );
    let images = [
        image("old", &[], 40),
        image("young", &[], 10),
        image("tagged", &["v1"], 40),
    ];
    assert_eq!(
        decide(&policy, &images),
        [Decision {
            digest: "old".to_owned(),
            rule_priority: 1,
            action: Action::Expire,
            reason: "untagged, pushed 40 days ago (rule 1: more than 14 days)".to_owned(),
        }]
    );
}

#[test]
fn exactly_n_days_old_stays_and_a_second_more_goes() {
    let policy = one_rule(
        r#"{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":14}"#,
        EXPIRE,
    );
    let mut just_over = image("just-over", &["a"], 14);
    just_over.pushed_at = Some(now() - TimeDelta::days(14) - TimeDelta::seconds(1));
    let decisions = decide(&policy, &[image("exactly", &["a"], 14), just_over]);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].digest, "just-over");
    assert_eq!(
        decisions[0].reason,
        "tagged a, pushed just over 14 days ago (rule 1: more than 14 days)"
    );
}

/// Docs, "Filtering on image count": keep only one untagged image.
#[test]
fn count_keeps_the_newest_and_reports_oldest_first() {
    let policy = one_rule(
        r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    );
    let images = [
        image("mid", &[], 5),
        image("newest", &[], 1),
        image("oldest", &[], 9),
        image("tagged", &["x"], 20),
    ];
    let digests: Vec<String> = decide(&policy, &images)
        .into_iter()
        .map(|d| d.digest)
        .collect();
    assert_eq!(digests, ["oldest", "mid"]);
}

#[test]
fn count_reason_names_the_rank_the_selection_and_the_limit() {
    let policy = r#"{"rules":[
      {"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan",
        "countNumber":1},"action":{"type":"expire"}},
      {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
        "countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}"#;
    let images: Vec<Image> = (1..=14)
        .map(|n| image(&format!("p{n:02}"), &[&format!("prod-{n}")], n))
        .collect();
    let decisions = decide(policy, &images);
    let reasons: Vec<(&str, &str)> = decisions
        .iter()
        .map(|d| (d.digest.as_str(), d.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "p14",
                "14th newest of 14 images tagged prod* (rule 2 keeps 10)"
            ),
            (
                "p13",
                "13th newest of 14 images tagged prod* (rule 2 keeps 10)"
            ),
            (
                "p12",
                "12th newest of 14 images tagged prod* (rule 2 keeps 10)"
            ),
            (
                "p11",
                "11th newest of 14 images tagged prod* (rule 2 keeps 10)"
            ),
        ]
    );
    assert!(decisions.iter().all(|d| d.rule_priority == 2));
}

/// An image kept by rule 1 is shielded from rule 2 although rule 2 would expire it.
#[test]
fn an_image_rule_1_keeps_is_not_expired_by_rule_2() {
    let policy = r#"{"rules":[
      {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
        "countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
      {"rulePriority":2,"selection":{"tagStatus":"any","countType":"sinceImagePushed",
        "countUnit":"days","countNumber":7},"action":{"type":"expire"}}]}"#;
    let images = [
        image("prod-old", &["prod-1"], 30),
        image("prod-mid", &["prod-2"], 20),
        image("prod-new", &["prod-3"], 10),
        image("dev", &["dev-1"], 30),
    ];
    let by_rule: Vec<(String, u32)> = decide(policy, &images)
        .into_iter()
        .map(|d| (d.digest, d.rule_priority))
        .collect();
    assert_eq!(by_rule, [("prod-old".to_owned(), 1), ("dev".to_owned(), 2)]);
}

/// "Can still identify them as if they haven't been expired": rule 2 counts the image rule 1
/// owns, so its own older image is past the limit.
#[test]
fn a_later_count_rule_still_counts_images_an_earlier_rule_owns() {
    let policy = r#"{"rules":[
      {"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["prod"],
        "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},
      {"rulePriority":2,"selection":{"tagStatus":"tagged","tagPrefixList":["beta"],
        "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    let images = [
        image("both", &["beta-2", "prod-1"], 1),
        image("beta", &["beta-1"], 5),
    ];
    let decisions = decide(policy, &images);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].digest, "beta");
    assert_eq!(
        decisions[0].reason,
        "2nd newest of 2 images tagged beta* (rule 2 keeps 1)"
    );
}

fn multiple_rules_repository() -> [Image; 3] {
    [
        image("A", &["beta-1", "prod-1"], 10),
        image("B", &["beta-2", "prod-2"], 9),
        image("C", &["beta-3"], 8),
    ]
}

fn two_count_rules(first: &str, second: &str) -> String {
    format!(
        r#"{{"rules":[
          {{"rulePriority":1,"description":"Rule 1","selection":{{"tagStatus":"tagged",
            "tagPatternList":["{first}"],"countType":"imageCountMoreThan","countNumber":1}},
            "action":{{"type":"expire"}}}},
          {{"rulePriority":2,"description":"Rule 2","selection":{{"tagStatus":"tagged",
            "tagPatternList":["{second}"],"countType":"imageCountMoreThan","countNumber":1}},
            "action":{{"type":"expire"}}}}]}}"#
    )
}

/// Docs, "Filtering on multiple rules", Example A: "Result: Image A is expired."
#[test]
fn docs_multiple_rules_example_a() {
    let policy = two_count_rules("prod*", "beta*");
    assert_eq!(acted_on(&policy, &multiple_rules_repository()), ["A"]);
}

/// Docs, "Filtering on multiple rules", Example B: "Result: Images A and B are expired."
#[test]
fn docs_multiple_rules_example_b() {
    let policy = two_count_rules("beta*", "prod*");
    let decisions = decide(&policy, &multiple_rules_repository());
    let digests: Vec<(&str, u32)> = decisions
        .iter()
        .map(|d| (d.digest.as_str(), d.rule_priority))
        .collect();
    assert_eq!(digests, [("A", 1), ("B", 1)]);
}

/// Docs, "Filtering on multiple tags in a single rule", Example A: "Image C is expired."
#[test]
fn docs_multiple_tags_example_a_patterns_must_all_match() {
    let policy = one_rule(
        r#"{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],
            "countType":"sinceImagePushed","countNumber":5,"countUnit":"days"}"#,
        EXPIRE,
    );
    let images = [
        image("A", &["alpha-1"], 12),
        image("B", &["beta-1"], 11),
        image("C", &["alpha-2", "beta-2"], 10),
        image("D", &["alpha-3"], 4),
        image("E", &["beta-3"], 3),
        image("F", &["alpha-4", "beta-4"], 2),
    ];
    assert_eq!(acted_on(&policy, &images), ["C"]);
}

/// Docs, "Filtering on multiple tags in a single rule", Example B: "Images A and B are
/// expired."
#[test]
fn docs_multiple_tags_example_b_tags_are_not_exclusive() {
    let policy = one_rule(
        r#"{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],
            "countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    );
    let images = [
        image("A", &["alpha-1", "beta-1", "gamma-1"], 10),
        image("B", &["alpha-2", "beta-2"], 9),
        image("C", &["alpha-3", "beta-3", "gamma-2"], 8),
    ];
    assert_eq!(acted_on(&policy, &images), ["A", "B"]);
}

/// Docs, "Filtering on all images", Example A: "Images A, B, and C are expired."
#[test]
fn docs_all_images_example_a() {
    let policy = one_rule(
        r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    );
    let images = [
        image("A", &["alpha-1"], 4),
        image("B", &["beta-1"], 3),
        image("C", &[], 2),
        image("D", &["alpha-2"], 1),
    ];
    assert_eq!(acted_on(&policy, &images), ["A", "B", "C"]);
}

/// Docs, "Filtering on all images", Example B: "Images A, B, and D are expired." D and E
/// were both "pushed 1 day ago"; the docs keep E, so E is taken to be the later push.
#[test]
fn docs_all_images_example_b() {
    let policy = r#"{"rules":[
      {"rulePriority":1,"description":"Rule 1","selection":{"tagStatus":"tagged",
        "tagPatternList":["alpha*"],"countType":"imageCountMoreThan","countNumber":1},
        "action":{"type":"expire"}},
      {"rulePriority":2,"description":"Rule 2","selection":{"tagStatus":"untagged",
        "countType":"sinceImagePushed","countUnit":"days","countNumber":1},
        "action":{"type":"expire"}},
      {"rulePriority":3,"description":"Rule 3","selection":{"tagStatus":"any",
        "countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}"#;
    let mut d = image("D", &["git hash"], 1);
    d.pushed_at = Some(now() - TimeDelta::days(1) - TimeDelta::hours(1));
    let images = [
        image("A", &["alpha-1", "beta-1"], 4),
        image("B", &[], 3),
        image("C", &["alpha-2"], 2),
        d,
        image("E", &[], 1),
    ];
    let decisions = decide(policy, &images);
    let by_rule: Vec<(&str, u32)> = decisions
        .iter()
        .map(|d| (d.digest.as_str(), d.rule_priority))
        .collect();
    assert_eq!(by_rule, [("A", 1), ("B", 2), ("D", 3)]);
}

/// The docs' tagPrefixList rule: every prefix must start some tag of the image.
#[test]
fn several_prefixes_must_each_start_some_tag() {
    let policy = one_rule(
        r#"{"tagStatus":"tagged","tagPrefixList":["alpha","beta"],
            "countType":"sinceImagePushed","countUnit":"days","countNumber":1}"#,
        EXPIRE,
    );
    let images = [
        image("alpha-only", &["alpha-1"], 10),
        image("one-tag-both-words", &["alphabeta"], 10),
        image("both", &["beta-2", "alpha-2"], 10),
        image("untagged", &[], 10),
    ];
    assert_eq!(acted_on(&policy, &images), ["both"]);
}

#[test]
fn pattern_wildcards_at_start_middle_end_and_several() {
    let cases = [
        ("prod*", "prod", true),
        ("prod*", "production-team1", true),
        ("prod*", "preprod", false),
        ("*prod", "preprod", true),
        ("*prod", "prod1", false),
        ("*prod*", "repo-production", true),
        ("*prod*", "pro-d", false),
        ("v*-rc", "v1.2-rc", true),
        ("v*-rc", "v1.2-rc1", false),
        ("v*.*.*", "v1.2.3", true),
        ("v*.*.*", "v1.2", false),
        ("*test*1*2*3", "my-test-1-2-3", true),
        ("*test*1*2*3", "my-test-10-20-30", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "acb", false),
        ("*ab", "aab", true),
        ("*a*b", "aaab", true),
        ("latest", "latest", true),
        ("latest", "latest1", false),
        ("*", "", true),
        ("*", "anything", true),
        ("", "", true),
        ("", "x", false),
        ("**", "x", true),
        ("Prod*", "prod", false),
        ("ü*", "über", true),
    ];
    for (pattern, tag, expected) in cases {
        assert_eq!(
            pattern_matches(pattern, tag),
            expected,
            "{pattern} vs {tag}"
        );
    }
}

#[test]
fn pattern_matching_has_no_exponential_case() {
    let tag = format!("{}b", "a".repeat(300));
    assert!(!pattern_matches("*a*a*a*a", &tag));
    assert!(pattern_matches("*a*a*a*b", &tag));
}

#[test]
fn a_wildcard_pattern_selects_within_a_policy() {
    let policy = one_rule(
        r#"{"tagStatus":"tagged","tagPatternList":["*-sha-*"],
            "countType":"sinceImagePushed","countUnit":"days","countNumber":30}"#,
        ARCHIVE,
    );
    let images = [
        image("commit", &["main-sha-1a2b3c"], 40),
        image("release", &["v1.2.3"], 40),
        image("recent-commit", &["pr-7-sha-9f8e"], 3),
    ];
    assert_eq!(acted_on(&policy, &images), ["commit"]);
}

/// Docs, "Filtering on last pulled time", with the documented fallbacks.
#[test]
fn since_pulled_archives_by_pull_then_restore_then_push() {
    let policy = one_rule(
        r#"{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":90}"#,
        ARCHIVE,
    );
    let img = |digest: &str, pushed: i64, pulled: Option<i64>, restored: Option<i64>| Image {
        last_pulled_at: pulled.map(days_back),
        last_activated_at: restored.map(days_back),
        ..image(digest, &["t"], pushed)
    };
    let mut archived = img("archived", 400, Some(300), None);
    archived.archived = true;
    let images = [
        img("recently-pulled", 200, Some(10), None),
        img("never-pulled", 100, None, None),
        img("stale-pull", 200, Some(120), None),
        img("restored-lately", 300, Some(200), Some(30)),
        img("restored-long-ago", 300, Some(200), Some(100)),
        img("pulled-after-restore", 300, Some(20), Some(100)),
        archived,
    ];
    let decisions = decide(&policy, &images);
    let reasons: Vec<(&str, &str)> = decisions
        .iter()
        .map(|d| (d.digest.as_str(), d.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            (
                "stale-pull",
                "tagged t, last pulled 120 days ago (rule 1: more than 90 days)"
            ),
            // Both measured 100 days back: the digest orders them.
            (
                "never-pulled",
                "tagged t, never pulled, pushed 100 days ago (rule 1: more than 90 days)"
            ),
            (
                "restored-long-ago",
                "tagged t, not pulled since restored 100 days ago (rule 1: more than 90 days)"
            ),
        ]
    );
    let archive = Action::Transition {
        storage_class: "archive".to_owned(),
    };
    assert!(decisions.iter().all(|d| d.action == archive));
}

/// Docs, "Combining archive and expire rules": two `any` rules, one per storage class.
/// Archived images are never archived again, and expire only after their time in archive.
#[test]
fn docs_archive_then_expire() {
    let policy = r#"{"rules":[
      {"rulePriority":1,"description":"Archive images older than 30 days","selection":{
        "tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30},
        "action":{"type":"transition","targetStorageClass":"archive"}},
      {"rulePriority":2,"description":"Expire images archived for more than 365 days",
        "selection":{"tagStatus":"any","storageClass":"archive",
        "countType":"sinceImageTransitioned","countUnit":"days","countNumber":365},
        "action":{"type":"expire"}}]}"#;
    let in_archive = |digest: &str, archived_days_ago: Option<i64>| Image {
        archived: true,
        last_transitioned_at: archived_days_ago.map(days_back),
        ..image(digest, &["v1"], 600)
    };
    let images = [
        image("old", &["v1"], 40),
        image("young", &["v2"], 10),
        in_archive("archived-long", Some(400)),
        in_archive("archived-lately", Some(100)),
        in_archive("archived-unknown", None),
    ];
    let decisions = decide(policy, &images);
    assert_eq!(
        decisions,
        [
            Decision {
                digest: "old".to_owned(),
                rule_priority: 1,
                action: Action::Transition {
                    storage_class: "archive".to_owned()
                },
                reason: "tagged v1, pushed 40 days ago (rule 1: more than 30 days)".to_owned(),
            },
            Decision {
                digest: "archived-long".to_owned(),
                rule_priority: 2,
                action: Action::Expire,
                reason: "tagged v1, archived 400 days ago (rule 2: more than 365 days)".to_owned(),
            },
        ]
    );
}

#[test]
fn images_missing_the_measured_time_are_left_alone() {
    let no_time = Image {
        pushed_at: None,
        ..image("no-time", &[], 0)
    };
    let since = one_rule(
        r#"{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":1}"#,
        EXPIRE,
    );
    assert!(acted_on(&since, std::slice::from_ref(&no_time)).is_empty());
    let count = one_rule(
        r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    );
    let images = [no_time, image("newer", &[], 5), image("older", &[], 10)];
    assert_eq!(acted_on(&count, &images), ["older"]);
}

/// A restore counts as a push, so a freshly restored image is not archived again at once.
#[test]
fn a_restored_image_ages_from_its_restore() {
    let policy = one_rule(
        r#"{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":30}"#,
        ARCHIVE,
    );
    let restored = Image {
        last_activated_at: Some(days_back(5)),
        ..image("restored", &["v1"], 100)
    };
    let decisions = decide(&policy, &[restored, image("old", &["v2"], 100)]);
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].digest, "old");
}

/// ECR will not remove an image a manifest list references; it still takes a place in counts.
#[test]
fn images_in_a_manifest_list_are_counted_but_not_acted_on() {
    let policy = one_rule(
        r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    );
    let child = |digest: &str, days: i64| Image {
        in_manifest_list: true,
        ..image(digest, &[], days)
    };
    let images = [
        child("child-new", 1),
        child("child-old", 9),
        image("loose", &[], 5),
    ];
    assert_eq!(acted_on(&policy, &images), ["loose"]);
}

#[test]
fn describes_rules_in_plain_english() {
    let describe =
        |selection: &str, action: &str| parse(&one_rule(selection, action)).rules[0].describe();
    assert_eq!(
        describe(
            r#"{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14}"#,
            EXPIRE
        ),
        "expire untagged images pushed more than 14 days ago"
    );
    assert_eq!(
        describe(
            r#"{"tagStatus":"tagged","tagPrefixList":["prod"],"countType":"imageCountMoreThan","countNumber":10}"#,
            EXPIRE
        ),
        "keep the 10 newest images with a tag starting with prod (expire the rest)"
    );
    assert_eq!(
        describe(
            r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1}"#,
            ARCHIVE
        ),
        "keep the newest untagged image (archive the rest)"
    );
    assert_eq!(
        describe(
            r#"{"tagStatus":"tagged","tagPatternList":["alpha*","beta*"],"countType":"sinceImagePushed","countUnit":"days","countNumber":1}"#,
            EXPIRE
        ),
        "expire images with tags matching each of alpha* and beta* pushed more than 1 day ago"
    );
    assert_eq!(
        describe(
            r#"{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":90}"#,
            ARCHIVE
        ),
        "archive images not pulled for more than 90 days (never-pulled images count from \
         their push)"
    );
    assert_eq!(
        describe(
            r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":365}"#,
            EXPIRE
        ),
        "expire images archived more than 365 days ago"
    );
}

#[test]
fn decisions_serialize_in_camel_case() {
    let decision = Decision {
        digest: "sha256:ab".to_owned(),
        rule_priority: 3,
        action: Action::Transition {
            storage_class: "archive".to_owned(),
        },
        reason: "r".to_owned(),
    };
    assert_eq!(
        serde_json::to_value(&decision).unwrap(),
        serde_json::json!({"digest": "sha256:ab", "rulePriority": 3,
            "action": {"type": "transition", "storageClass": "archive"}, "reason": "r"})
    );
    assert_eq!(
        serde_json::to_value(Action::Expire).unwrap(),
        serde_json::json!({"type": "expire"})
    );
}

/// Each refused policy, with the start of the sentence that says why.
#[test]
fn refuses_invalid_selections_naming_the_rule() {
    let since = |extra: &str| {
        format!(r#"{{"tagStatus":"any","countType":"sinceImagePushed","countNumber":1{extra}}}"#)
    };
    let cases = [
        (
            one_rule(r#"{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has tagStatus \"tagged\" but neither a tagPrefixList nor a tagPatternList",
        ),
        (
            one_rule(r#"{"tagStatus":"tagged","tagPrefixList":["a"],"tagPatternList":["a*"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has both a tagPrefixList and a tagPatternList",
        ),
        (
            one_rule(r#"{"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has tagStatus \"untagged\", which cannot have a tagPrefixList",
        ),
        (
            one_rule(r#"{"tagStatus":"any","tagPatternList":["a*"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has tagStatus \"any\", which cannot have",
        ),
        (
            one_rule(r#"{"tagStatus":"TAGGED","countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has tagStatus \"TAGGED\"; ECR knows",
        ),
        (
            one_rule(r#"{"tagStatus":"tagged","tagPrefixList":[],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has an empty tagPrefixList",
        ),
        (
            one_rule(r#"{"tagStatus":"tagged","tagPatternList":["test*1*2*3*4*5*6"],"countType":"imageCountMoreThan","countNumber":1}"#, EXPIRE),
            "rule 1 has the tag pattern \"test*1*2*3*4*5*6\" with 6 wildcards; ECR allows at most 4",
        ),
        (
            one_rule(&format!(r#"{{"tagStatus":"tagged","tagPrefixList":["{}"],"countType":"imageCountMoreThan","countNumber":1}}"#, "x".repeat(301)), EXPIRE),
            "rule 1 has a tagPrefixList entry of 301 characters, which no tag can match",
        ),
        (
            one_rule(r#"{"tagStatus":"any","countType":"imageCountMoreThan","countUnit":"days","countNumber":1}"#, EXPIRE),
            "rule 1 has a countUnit, which countType imageCountMoreThan does not take",
        ),
        (one_rule(&since(""), EXPIRE), "rule 1 has countType sinceImagePushed, which needs countUnit \"days\""),
        (one_rule(&since(r#","countUnit":"hours""#), EXPIRE), "rule 1 has countUnit \"hours\"; the only unit is \"days\""),
        (
            one_rule(r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":0}"#, EXPIRE),
            "rule 1 has countNumber 0, which is not a whole number from 1",
        ),
        (
            one_rule(r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":2.5}"#, EXPIRE),
            "rule 1 has countNumber 2.5,",
        ),
        (
            one_rule(r#"{"tagStatus":"any","countType":"sinceImagePulled","countUnit":"days","countNumber":9}"#, EXPIRE),
            "rule 1 expires by sinceImagePulled, which ECR only allows with a transition",
        ),
        (
            one_rule(r#"{"tagStatus":"any","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90}"#, EXPIRE),
            "rule 1 has countType sinceImageTransitioned, which needs storageClass \"archive\"",
        ),
        (
            one_rule(r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":89}"#, EXPIRE),
            "rule 1 expires archived images after 89 days, but ECR keeps archived images at least 90 days",
        ),
        (
            one_rule(r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":90}"#, ARCHIVE),
            "rule 1 transitions by sinceImageTransitioned",
        ),
        (
            one_rule(&since(r#","countUnit":"days","storageClass":"archive""#), EXPIRE),
            "rule 1 has storageClass \"archive\", which only goes with countType sinceImageTransitioned",
        ),
        (
            one_rule(&since(r#","countUnit":"days","tagPrefix":["a"]"#), EXPIRE),
            "rule 1 has the unknown key \"tagPrefix\" in its selection",
        ),
        (
            one_rule(&since(r#","countUnit":"days""#), r#"{"type":"transition","targetStorageClass":null}"#),
            "rule 1 has a targetStorageClass that is null, not a string",
        ),
    ];
    for (policy, expected) in &cases {
        let message = error(policy);
        assert!(
            message.starts_with(expected),
            "{message}\n  wanted: {expected}"
        );
    }
}

#[test]
fn refuses_invalid_actions() {
    let selection = r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1}"#;
    let cases = [
        (
            r#"{"type":"transition"}"#,
            "rule 1 has a transition action without a targetStorageClass",
        ),
        (
            r#"{"type":"transition","targetStorageClass":"glacier"}"#,
            "rule 1 transitions to \"glacier\"",
        ),
        (
            r#"{"type":"expire","targetStorageClass":"archive"}"#,
            "rule 1 has an expire action with a targetStorageClass",
        ),
        (r#"{"type":"delete"}"#, "rule 1 has action type \"delete\""),
        (r"{}", "rule 1 has an action without a type"),
    ];
    for (action, expected) in cases {
        let message = error(&one_rule(selection, action));
        assert!(
            message.starts_with(expected),
            "{message}\n  wanted: {expected}"
        );
    }
}

fn rule(priority: u32, selection: &str) -> String {
    format!(r#"{{"rulePriority":{priority},"selection":{selection},"action":{EXPIRE}}}"#)
}

fn policy_of(rules: &[String]) -> String {
    format!(r#"{{"rules":[{}]}}"#, rules.join(","))
}

const ANY: &str = r#"{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5}"#;
const UNTAGGED: &str =
    r#"{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":5}"#;

#[test]
fn refuses_conflicts_between_rules() {
    let prefixes = |list: &str| {
        format!(
            r#"{{"tagStatus":"tagged","tagPrefixList":{list},"countType":"imageCountMoreThan","countNumber":1}}"#
        )
    };
    let cases = [
        (
            policy_of(&[rule(1, ANY), rule(2, UNTAGGED)]),
            "rule 1 has tagStatus \"any\" but rule 2 comes after it",
        ),
        (
            policy_of(&[rule(3, UNTAGGED), rule(3, ANY)]),
            "rule 3 shares its rulePriority with another rule",
        ),
        (
            policy_of(&[rule(1, UNTAGGED), rule(2, UNTAGGED)]),
            "rule 2 is a second untagged rule for standard images after rule 1",
        ),
        (
            policy_of(&[
                rule(1, &prefixes(r#"["a","b"]"#)),
                rule(2, &prefixes(r#"["b","a"]"#)),
            ]),
            "rule 2 has the same tagPrefixList as rule 1",
        ),
    ];
    for (policy, expected) in &cases {
        let message = error(policy);
        assert!(
            message.starts_with(expected),
            "{message}\n  wanted: {expected}"
        );
    }
    // Overlapping but different prefix lists, and an untagged rule before the `any` one, pass.
    parse(&policy_of(&[
        rule(1, &prefixes(r#"["a","b"]"#)),
        rule(2, &prefixes(r#"["a"]"#)),
        rule(3, UNTAGGED),
        rule(4, ANY),
    ]));
}

#[test]
fn refuses_malformed_documents() {
    let cases = [
        ("{\"rules\": [", "the lifecycle policy is not valid JSON (EOF while parsing"),
        ("[]", "the lifecycle policy is a list, not an object"),
        ("{}", "the lifecycle policy has no rules list"),
        (r#"{"rules":[]}"#, "the lifecycle policy has no rules; ECR needs at least one"),
        (r#"{"rules":{}}"#, "the lifecycle policy has rules that are an object"),
        (
            r#"{"rules":[],"version":1}"#,
            "the lifecycle policy has the unknown key \"version\" at its top level; ECR takes rules there",
        ),
        (r#"{"rules":[7]}"#, "the rule at position 1 in the list is a number, not an object"),
        (
            r#"{"rules":[{"selection":{}}]}"#,
            "the rule at position 1 in the list has no rulePriority",
        ),
        (
            r#"{"rules":[{"rulePriority":0}]}"#,
            "the rule at position 1 in the list has rulePriority 0, which is not a whole number",
        ),
        (
            r#"{"rules":[{"rulePriority":"1"}]}"#,
            "the rule at position 1 in the list has rulePriority \"1\"",
        ),
        (r#"{"rules":[{"rulePriority":4}]}"#, "rule 4 has no selection"),
    ];
    for (policy, expected) in cases {
        let message = error(policy);
        assert!(
            message.starts_with(expected),
            "{message}\n  wanted: {expected}"
        );
    }
    assert!(matches!(
        Policy::parse("not json"),
        Err(PolicyError::Json(_))
    ));
}

/// ECR's limit is 30,720 characters, not bytes.
#[test]
fn refuses_policies_over_ecrs_length_limit() {
    let padded = |chars: usize| {
        let body = one_rule(ANY, EXPIRE);
        let base = body.chars().count() + r#","description":"""#.len();
        let description = "é".repeat(chars - base);
        body.replacen(
            r#""rulePriority":1,"#,
            &format!(r#""rulePriority":1,"description":"{description}","#),
            1,
        )
    };
    let at_limit = padded(MAX_POLICY_CHARS);
    assert_eq!(at_limit.chars().count(), MAX_POLICY_CHARS);
    assert!(at_limit.len() > MAX_POLICY_CHARS);
    assert_eq!(parse(&at_limit).rules.len(), 1);
    assert_eq!(
        Policy::parse(&padded(MAX_POLICY_CHARS + 1)),
        Err(PolicyError::TooLong {
            chars: MAX_POLICY_CHARS + 1
        })
    );
    assert_eq!(
        error(&padded(MAX_POLICY_CHARS + 1)),
        "the lifecycle policy is 30721 characters long, over ECR's limit of 30720"
    );
}

#[test]
fn refuses_more_rules_than_the_cap_before_reading_them() {
    let many = format!(r#"{{"rules":[{}]}}"#, vec!["{}"; MAX_RULES + 1].join(","));
    assert_eq!(
        error(&many),
        "the lifecycle policy has 257 rules, more than the 256 this tool evaluates"
    );
}

#[test]
fn accepts_the_docs_examples_of_valid_patterns_and_two_any_rules() {
    parse(&one_rule(
        r#"{"tagStatus":"tagged","tagPatternList":["*test*1*2*3","test*1*2*3*"],"countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    ));
    let archived_any = r#"{"tagStatus":"any","storageClass":"archive","countType":"sinceImageTransitioned","countUnit":"days","countNumber":365}"#;
    let policy = parse(&policy_of(&[rule(1, ANY), rule(2, archived_any)]));
    assert_eq!(
        policy.rules[1].selection.storage_class,
        StorageClass::Archive
    );
}

#[test]
fn error_messages_escape_policy_text() {
    let message = error(&one_rule(
        r#"{"tagStatus":"\u001b[2Jx","countType":"imageCountMoreThan","countNumber":1}"#,
        EXPIRE,
    ));
    assert!(!message.contains('\u{1b}'), "{message}");
    assert!(message.contains(r"\u{1b}[2Jx"), "{message}");
}

#[test]
fn ordinals() {
    let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112]
        .into_iter()
        .map(ordinal)
        .collect();
    assert_eq!(
        got,
        [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st",
            "111th", "112th"
        ]
    );
}
