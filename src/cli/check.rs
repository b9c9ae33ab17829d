//! `regscope check`'s verdict in one word (`runs`, `rejected`, `not evaluated`) with the
//! reference to deploy, for one image (`--json`, `--quiet`) or every tag of a repository.

use std::io::Write as _;

use futures::stream::{self, StreamExt as _};
use serde_json::{json, Value};

use super::args::report_connection;
use super::inspect::Common;
use super::Failure;
use regscope::analysis::layer_files::{waste_findings, WasteLimits};
use regscope::analysis::{self, Target, Verdict};
use regscope::connect::{within_deadline, Connection};
use regscope::inspect::{inspect, InspectOptions};
use regscope::reference::{ImageRef, RegistryRef};
use regscope::report::{Fetched, Report};
use regscope::sanitize::sanitize;

/// Tags judged at once: each tree is itself concurrent (bounded by the fetcher), so a few
/// trees in flight keep the connection busy without queueing thousands of requests.
const TAGS_AT_ONCE: usize = 8;
/// Tags judged per run at most (`--max-tags` cannot go past it); past it the output says how
/// many were left out.
const MAX_TAGS: usize = 2_000;
/// Tags judged on Docker Hub unless `--max-tags` says otherwise: each is a manifest GET, which
/// Hub counts against the pull limit (100 per 6 hours for anonymous users), so judging a
/// popular repository's hundreds of tags would spend it all.
const HUB_TAGS: usize = 25;

/// How many of `listed` tags `check REPO` judges on `registry`: `--max-tags`, else 25 on Docker
/// Hub and [`MAX_TAGS`] elsewhere, never past [`MAX_TAGS`].
fn tags_to_judge(registry: &str, max_tags: Option<usize>, listed: usize) -> usize {
    let hub = regscope::auth::registry_host(registry) == regscope::auth::DOCKER_HUB;
    let cap = max_tags.unwrap_or(if hub { HUB_TAGS } else { MAX_TAGS });
    cap.min(MAX_TAGS).min(listed)
}

/// What the output says when only `judged` of `listed` tags were judged.
fn cut_note(registry: &str, judged: usize, listed: usize) -> String {
    let why = if regscope::auth::registry_host(registry) == regscope::auth::DOCKER_HUB {
        "Docker Hub counts each as a pull"
    } else {
        "the newest in version order"
    };
    let more = if judged < MAX_TAGS {
        "; --max-tags to judge more"
    } else {
        ""
    };
    format!("judged {judged} of {listed} tags ({why}{more})")
}

/// What `check` concludes for one image and target.
pub struct Judgement {
    /// `None`: no target, nothing was judged.
    pub verdict: Option<Verdict>,
    /// `REPO@sha256:…` to deploy on the target (the image, or for Lambda its platform entry).
    pub deploy: Option<String>,
}

impl Judgement {
    /// The report's verdict, with the manifest to deploy pinned in `image`'s repository.
    #[must_use]
    pub fn of(report: &Report, image: &ImageRef) -> Self {
        Self {
            verdict: report.verdict.clone(),
            deploy: report.deploy.as_deref().map(|d| pinned(image, d)),
        }
    }

    /// `runs`, `rejected` or `not evaluated`: the JSON `verdict`.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match &self.verdict {
            None => "not evaluated",
            Some(Verdict::Runs) => "runs",
            Some(Verdict::Rejected(_)) => "rejected",
        }
    }

    fn reason(&self) -> Option<&str> {
        match &self.verdict {
            Some(Verdict::Rejected(why)) => Some(why),
            _ => None,
        }
    }

    /// Adds `verdict`, `verdictReason` and `deployReference` to a `check --json` document.
    pub fn add_to(&self, doc: &mut Value) {
        doc["verdict"] = json!(self.word());
        doc["verdictReason"] = json!(self.reason());
        doc["deployReference"] = json!(self.deploy);
    }

    /// `runs on lambda/arm64; deploy REPO@sha256:…`, `rejected on lambda/amd64 (index); deploy
    /// REPO@sha256:… instead`.
    fn text(&self, target: &Target) -> String {
        let mut out = match &self.verdict {
            Some(Verdict::Rejected(why)) => format!("rejected on {target} ({why})"),
            _ => format!("runs on {target}"),
        };
        if let Some(d) = &self.deploy {
            let instead = if self.verdict == Some(Verdict::Runs) {
                ""
            } else {
                " instead"
            };
            out.push_str(&format!("; deploy {}{instead}", sanitize(d)));
        }
        out
    }
}

/// `REPO@sha256:…` (or `oci:DIR@sha256:…`): the image pinned to `digest`.
fn pinned(image: &ImageRef, digest: &str) -> String {
    match image {
        ImageRef::Registry(r) => format!("{}/{}@{digest}", r.registry, r.repository),
        ImageRef::Layout(l) => format!("oci:{}@{digest}", l.path.display()),
    }
}

/// `check --quiet`: the one line for one image.
pub fn quiet_line(
    reference: &str,
    target: Option<&Target>,
    judgement: &Judgement,
    failing: usize,
    threshold: analysis::Severity,
) -> String {
    let reference = sanitize(reference);
    match target {
        Some(t) => format!("{reference}: {}", judgement.text(t)),
        None if failing == 0 => {
            format!("{reference}: not evaluated (no --target); no finding at or above {threshold}")
        }
        None => format!(
            "{reference}: not evaluated (no --target); {} at or above {threshold}",
            regscope::present::count(failing, "finding", "findings")
        ),
    }
}

/// The repository `reference` names when it was typed without a tag or digest (the parser
/// reads no tag as `latest`; as typed, no tag means the whole repository).
#[must_use]
pub fn whole_repository(reference: &str, image: &ImageRef) -> Option<RegistryRef> {
    let ImageRef::Registry(repo) = image else {
        return None;
    };
    let last = reference.rsplit('/').next().unwrap_or(reference);
    (!reference.contains('@') && !last.contains(':')).then(|| RegistryRef {
        tag: None,
        digest: None,
        ..repo.clone()
    })
}

/// One tag's outcome in `check REPO`.
struct TagOutcome {
    tag: String,
    digest: Option<String>,
    judgement: Judgement,
    /// Why the tag was not judged (its tree could not be read).
    error: Option<String>,
    /// With --files: how its layers waste past --max-wasted / --min-efficiency (one message
    /// per platform past them), as `check REF` says it.
    wasted: Vec<String>,
    /// What the registry says about deploying from it (the Lambda ECR region and host), as
    /// `check REF` weighs it: `code: message`, sanitised.
    registry: Vec<String>,
}

/// `regscope check REPO --target T`: every tag judged (bounded concurrency), one line each in
/// version order, up to `--max-tags` (25 by default on Docker Hub, whose pull limit counts
/// every manifest GET); exit 1 when any is rejected or could not be read, tags were left out,
/// or (with --files) one wastes past `waste` (judged per tag, as `check REPO:TAG` would).
pub async fn run_repository(
    repo: &RegistryRef,
    target: &Target,
    (quiet, max_tags): (bool, Option<u32>),
    region: Option<&str>,
    waste: &WasteLimits,
    common: &Common,
) -> Result<u8, Failure> {
    let max_tags = max_tags.map(|n| usize::try_from(n).unwrap_or(MAX_TAGS));
    let image = ImageRef::Registry(repo.clone());
    let connector = common.connection.connector()?;
    let connection = connector
        .connect_to(&image)
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    report_connection(&connection, common.verbose);
    let deadline = connector.settings().deadline;
    let listing = within_deadline(
        deadline,
        &format!("the tag list of {}", repo.name()),
        connection.fetcher.tag_listing(&repo.repository),
    )
    .await
    .map_err(|e| Failure::runtime(connection.error(e).to_string()))?;
    let mut notes = Vec::new();
    if let Some(why) = &listing.truncated {
        notes.push(format!(
            "the tag list is incomplete ({}): tags past it were not judged",
            sanitize(why)
        ));
    }
    let (tags, listed) = tags_to_judge_in_order(listing.tags, &repo.registry, max_tags, &mut notes);
    let connection = &connection;
    let mut outcomes: Vec<TagOutcome> = stream::iter(tags)
        .map(|tag| {
            let tagged = image.with_tag(&tag);
            async move {
                judge_tag(
                    connection,
                    deadline,
                    (&tagged, tag),
                    target,
                    region,
                    waste,
                    common,
                )
                .await
            }
        })
        .buffer_unordered(TAGS_AT_ONCE)
        .collect()
        .await;
    outcomes.sort_by(|a, b| regscope::tui::views::tags::version_cmp(&a.tag, &b.tag));
    let rejected = outcomes
        .iter()
        .filter(|o| matches!(o.judgement.verdict, Some(Verdict::Rejected(_))))
        .count();
    let unread = outcomes.iter().filter(|o| o.error.is_some()).count();
    let wasteful = outcomes.iter().filter(|o| !o.wasted.is_empty()).count();
    let mut stdout = std::io::stdout().lock();
    if common.json {
        let list: Vec<Value> = outcomes.iter().map(|o| outcome_json(o, repo)).collect();
        let _ = writeln!(
            stdout,
            "{}",
            regscope::output::json::to_terminal_string(&Value::Array(list))
        );
    } else {
        let width = outcomes
            .iter()
            .map(|o| o.tag.chars().count())
            .max()
            .unwrap_or(0);
        for o in &outcomes {
            let _ = writeln!(stdout, "{:<width$}  {}", sanitize(&o.tag), outcome_text(o));
        }
        if !quiet {
            let runs = outcomes.len() - rejected - unread;
            let judged = if outcomes.len() < listed {
                format!("{} of {listed} tags", outcomes.len())
            } else {
                regscope::present::count(outcomes.len(), "tag", "tags")
            };
            let mut summary = format!(
                "{}: {judged} judged against {target}: {runs} run{}, {rejected} rejected",
                sanitize(&repo.name()),
                if runs == 1 { "s" } else { "" },
            );
            if unread > 0 {
                summary.push_str(&format!(", {unread} not read"));
            }
            if wasteful > 0 {
                summary.push_str(&format!(", {wasteful} past the waste limits"));
            }
            let _ = writeln!(stdout, "{summary}");
        }
    }
    for note in &notes {
        eprintln!("regscope: {note}");
    }
    Ok(u8::from(
        rejected > 0 || unread > 0 || wasteful > 0 || !notes.is_empty(),
    ))
}

/// The tags `check REPO` judges, in version order: images only (attachment tags such as
/// `sha256-<hex>.sig` are not images to deploy), the newest `max_tags` of them (a note says
/// how many were left out), and how many images were listed.
fn tags_to_judge_in_order(
    listed: Vec<String>,
    registry: &str,
    max_tags: Option<usize>,
    notes: &mut Vec<String>,
) -> (Vec<String>, usize) {
    let mut tags: Vec<String> = listed
        .into_iter()
        .filter(|t| regscope::attachments::discover::schema_tag_subject(t).is_none())
        .collect();
    tags.sort_by(|a, b| regscope::tui::views::tags::version_cmp(a, b));
    let listed = tags.len();
    let judged = tags_to_judge(registry, max_tags, listed);
    if judged < listed {
        notes.push(cut_note(registry, judged, listed));
        // The newest: the end of the version order.
        tags.drain(..listed - judged);
    }
    (tags, listed)
}

/// One tag: its tree (no attachments: they do not change whether it runs), the findings the
/// single-image `check` weighs, and the verdict.
async fn judge_tag(
    connection: &Connection,
    deadline: std::time::Duration,
    (tagged, tag): (&ImageRef, String),
    target: &Target,
    region: Option<&str>,
    waste: &WasteLimits,
    common: &Common,
) -> TagOutcome {
    let options = InspectOptions { attachments: false };
    // One --deadline per tag for its tree and, with --files, its layers.
    let until = std::time::Instant::now() + deadline;
    let fetched = within_deadline(
        deadline,
        &format!("the tree of {tagged}"),
        inspect(&connection.fetcher, tagged, &options),
    )
    .await;
    let inspection = match fetched {
        Ok(i) => i,
        Err(e) => {
            return TagOutcome {
                tag,
                digest: None,
                judgement: Judgement {
                    verdict: None,
                    deploy: None,
                },
                error: Some(connection.error(e).to_string()),
                wasted: Vec::new(),
                registry: Vec::new(),
            }
        }
    };
    let checked = if common.files {
        Some(
            super::files::check_files(
                &connection.fetcher,
                tagged,
                &inspection.root,
                &target.platforms(),
                until,
            )
            .await,
        )
    } else {
        None
    };
    // The registry's facts, as the single-image `check` weighs them (the ECR region and host).
    let registry =
        super::inspect::lambda_region_findings(Some(target), tagged, &inspection.root, region);
    let fetched = Fetched {
        checked: checked.as_deref(),
        registry: &registry,
        ..Fetched::tree(&inspection.root)
    };
    let report = Report::of(&fetched, Some(target));
    TagOutcome {
        tag,
        digest: Some(inspection.root.digest.clone()),
        judgement: Judgement::of(&report, tagged),
        error: None,
        registry: registry
            .iter()
            .map(|f| format!("{}: {}", f.code, sanitize(&f.message)))
            .collect(),
        wasted: checked
            .as_deref()
            .map(|c| waste_findings(c, waste))
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.message)
            .collect(),
    }
}

/// `runs; deploy REPO@sha256:…`, `rejected: index; deploy … instead`, `not read: …`.
fn outcome_text(o: &TagOutcome) -> String {
    if let Some(e) = &o.error {
        return format!("not read: {}", sanitize(e));
    }
    let mut out = match &o.judgement.verdict {
        Some(v) => v.to_string(),
        None => "not evaluated".into(),
    };
    if let Some(d) = &o.judgement.deploy {
        let instead = if o.judgement.verdict == Some(Verdict::Runs) {
            ""
        } else {
            " instead"
        };
        out.push_str(&format!("; deploy {}{instead}", sanitize(d)));
    }
    for w in &o.wasted {
        out.push_str(&format!("; wasted space: {}", sanitize(w)));
    }
    for r in &o.registry {
        out.push_str(&format!("; {r}"));
    }
    out
}

fn outcome_json(o: &TagOutcome, repo: &RegistryRef) -> Value {
    let mut doc = json!({
        "tag": o.tag,
        "reference": format!("{}:{}", repo.name(), o.tag),
        "digest": o.digest,
    });
    o.judgement.add_to(&mut doc);
    doc["error"] = json!(o.error);
    doc["wastedSpace"] = json!(o.wasted);
    doc["registryFindings"] = json!(o.registry);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_judges_25_tags_unless_told_and_nothing_goes_past_2000() {
        assert_eq!(tags_to_judge("docker.io", None, 812), 25);
        assert_eq!(tags_to_judge("index.docker.io", None, 812), 25);
        assert_eq!(tags_to_judge("docker.io", Some(100), 812), 100);
        assert_eq!(tags_to_judge("docker.io", None, 3), 3);
        assert_eq!(tags_to_judge("ghcr.io", None, 812), 812);
        assert_eq!(tags_to_judge("ghcr.io", None, 5000), MAX_TAGS);
        assert_eq!(tags_to_judge("ghcr.io", Some(10), 812), 10);
        assert_eq!(tags_to_judge("docker.io", Some(9999), 5000), MAX_TAGS);
        assert_eq!(
            cut_note("docker.io", 25, 812),
            "judged 25 of 812 tags (Docker Hub counts each as a pull; --max-tags to judge more)"
        );
        assert_eq!(
            cut_note("ghcr.io", 2000, 5000),
            "judged 2000 of 5000 tags (the newest in version order)"
        );
    }
}
