//! `regscope inspect` and `regscope check`: one tree, its findings, text or JSON.

use std::io::Write as _;

use clap::{Args, ValueEnum};

use super::args::{report_connection, text_width, ColorChoice, ConnectionArgs};
use super::check::Judgement;
use super::Failure;
use regscope::analysis::layer_files::{waste_findings, Checked, WasteLimits};
use regscope::analysis::{self, Finding, Severity, Target, Verdict};
use regscope::connect::within_deadline;
use regscope::inspect::{inspect, InspectOptions, Inspection};
use regscope::model::Platform;
use regscope::output::{json, style::Style, text, wrap};
use regscope::reference::ImageRef;
use regscope::report::{Fetched, NotChecked, Report};

/// Flags `inspect` and `check` share.
#[derive(Args, Debug)]
pub struct Common {
    /// Print one JSON document instead of the text tree.
    #[arg(long)]
    pub json: bool,
    /// Do not look for signatures, SBOMs and provenance outside the index (referrers API,
    /// `sha256-<hex>` tags, cosign `.sig`/`.att`/`.sbom` tags).
    #[arg(long)]
    pub no_attachments: bool,
    /// Also open the layers (streamed, listings cached) and check the files: the entrypoint, its
    /// loader or interpreter, its architecture, the CA bundle, the USER. Checks the target's
    /// (or --platform's) manifest, else every platform.
    #[arg(long)]
    pub files: bool,
    /// Colour: auto (TTY and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print where the credentials came from and round-trip counts to stderr.
    #[arg(long, short)]
    pub verbose: bool,
    /// Print what the operation cost to stderr: requests, bytes, cache hits and the longest
    /// chain of round trips one after another.
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum FailOn {
    Info,
    Warning,
    Error,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Info => Severity::Info,
            FailOn::Warning => Severity::Warning,
            FailOn::Error => Severity::Error,
        }
    }
}

/// `regscope inspect REF [--platform P]`.
pub async fn run_inspect(
    reference: &str,
    platform: Option<&str>,
    common: &Common,
) -> Result<u8, Failure> {
    let platform = platform
        .map(|p| {
            let p = Platform::parse(p)?;
            // `linux/arm65` would only ever be "not offered": refuse it with the known names.
            analysis::target::check_platform(&p)?;
            Ok::<_, String>(Target::Platform(p))
        })
        .transpose()
        .map_err(|e| Failure::usage(format!("--platform: {e}")))?;
    let Fetch {
        inspection,
        checked,
        policies,
        signing,
    } = fetch(reference, platform.as_ref(), common).await?;
    let report = report_of(
        &inspection,
        checked.as_deref(),
        &[],
        &policies,
        platform.as_ref(),
    );
    let shown = Shown {
        checked: checked.as_deref(),
        signing: &signing,
        target: None,
        judgement: None,
    };
    emit(&inspection, &report, &shown, common);
    Ok(0)
}

/// Without `--target`, `check` only ran the findings every tree gets: an "ok" must not read as
/// "this will run on Lambda", so the verdict says no target was evaluated and what was checked.
const NO_TARGET: &str = "(no deployment target evaluated: pass --target lambda, lambda/arm64 or a platform such as linux/amd64)";
const GENERIC_CHECKS: &str = "checked: index platforms against configs, duplicate or invalid platforms, missing, altered or unreadable content, mixed media types, attestation entries, root user";

/// `check`'s own flags (besides the reference and the flags `inspect` shares).
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// `lambda`, `lambda/arm64`, `cloudrun`, `fargate`, `fargate/arm64`, `fargate/windows-2022`,
    /// `k8s:amd64,arm64`, or a platform such as `linux/amd64`, `linux/arm/v7`; without it only
    /// the generic findings are checked, not whether the image runs anywhere.
    #[arg(long, value_parser = super::args::TargetParser, hide_possible_values = true)]
    pub target: Option<String>,
    /// Print one line: the verdict (`runs`, `rejected`, `not evaluated`) and the reference to deploy.
    #[arg(long, short, conflicts_with = "json")]
    pub quiet: bool,
    /// Fail (exit 1) when a finding reaches this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
    pub fail_on: FailOn,
    /// The region the Lambda function is in; an ECR repository elsewhere is flagged. Default: AWS_REGION or AWS_DEFAULT_REGION
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// With --files: fail (exit 1) when the layers waste more than this, as dive counts it (`20MB`, `20MiB`, bytes); overrides the config file's `[layers] max_wasted`.
    #[arg(long, value_name = "SIZE", requires = "files", value_parser = regscope::analysis::layer_files::parse_size)]
    pub max_wasted: Option<u64>,
    /// With --files: fail (exit 1) when the layers' efficiency, as dive scores it, is below this (0 to 1, e.g. 0.95); overrides the config file's `[layers] min_efficiency`.
    #[arg(long, value_name = "RATIO", requires = "files", value_parser = super::args::ratio)]
    pub min_efficiency: Option<f64>,
    /// Fail (exit 1) unless a signature of the image verifies with the key of the config
    /// file's `[verify."PATTERN"]` policy for its repository.
    // Signatures live outside the index: without the lookup there is nothing to verify.
    #[arg(long, conflicts_with = "no_attachments")]
    pub require_signed: bool,
    /// Without a tag: judge at most this many tags, the newest in version order. Default: 25 on
    /// Docker Hub (each tag is a manifest GET that counts against its pull limit), else 2000.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub max_tags: Option<u32>,
}

/// `regscope check REF [--target T] [--fail-on S] [--quiet]`: exit 1 when a finding reaches
/// `fail_on`, or the layers waste past a threshold. A repository without a tag, with a target,
/// judges every tag.
pub async fn run_check(reference: &str, check: &CheckArgs, common: &Common) -> Result<u8, Failure> {
    let (fail_on, quiet) = (check.fail_on, check.quiet);
    let region = check.region.as_deref();
    // The config file's `[layers]` limits, as the TUI's `f` judges by them; a flag overrides.
    let config = regscope::config::load().map_err(|e| Failure::usage(e.to_string()))?;
    let waste = WasteLimits::with_config(check.max_wasted, check.min_efficiency, &config.layers);
    let target = check
        .target
        .as_deref()
        .map(Target::parse)
        .transpose()
        .map_err(Failure::usage)?;
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    if let (Some(t), Some(whole)) = (&target, super::check::whole_repository(reference, &image)) {
        return super::check::run_repository(
            &whole,
            t,
            (quiet, check.max_tags),
            region,
            &waste,
            common,
        )
        .await;
    }
    if check.max_tags.is_some() {
        return Err(Failure::usage(
            "--max-tags limits the tags of a repository: name it without a tag, with --target (regscope check REPO --target lambda --max-tags 50)",
        ));
    }
    let Fetch {
        inspection,
        checked,
        mut policies,
        signing,
    } = fetch(reference, target.as_ref(), common).await?;
    let registry = lambda_region_findings(target.as_ref(), &image, &inspection.root, region);
    // dive's CI mode: past a threshold fails whatever --fail-on says (the finding is only a
    // warning, so it never changes whether the image runs).
    let wasted = checked
        .as_deref()
        .map(|c| waste_findings(c, &waste))
        .unwrap_or_default();
    let wasted_past = !wasted.is_empty();
    policies.extend(wasted);
    let report = report_of(
        &inspection,
        checked.as_deref(),
        &registry,
        &policies,
        target.as_ref(),
    );
    let findings = &report.findings;
    let threshold = fail_on.severity();
    let target_label = target.as_ref().map(ToString::to_string);
    let judgement = Judgement::of(&report, &image);
    let failing = findings.iter().filter(|f| f.severity >= threshold).count();
    let signed = (check.require_signed)
        .then(|| signed_with_policy(&image, &inspection.root))
        .transpose()?;
    let unsigned = signed.as_ref().is_some_and(|s| !s.satisfied);
    let failed = failing > 0 || wasted_past || unsigned;
    if quiet {
        println!(
            "{}",
            super::check::quiet_line(
                &inspection.reference,
                target.as_ref(),
                &judgement,
                failing,
                threshold
            )
        );
        return Ok(u8::from(failed));
    }
    let shown = Shown {
        checked: checked.as_deref(),
        signing: &signing,
        target: target_label.as_deref(),
        judgement: Some(&judgement),
    };
    emit(&inspection, &report, &shown, common);
    if !common.json {
        let lines = verdict_lines(&Verdicts {
            reference: &inspection.reference,
            target: target_label.as_deref(),
            runs: judgement.verdict == Some(Verdict::Runs),
            failing: failing > 0,
            threshold,
            wasted_past,
        });
        let mut lines = lines;
        if let Some(s) = &signed {
            lines.splice(0..0, s.lines());
        }
        let width = text_width();
        for line in lines {
            for (i, part) in fitted(&line, width).iter().enumerate() {
                println!("{}{part}", if i == 0 { "" } else { "    " });
            }
        }
    }
    Ok(u8::from(failed))
}

/// What `check`'s closing lines say.
struct Verdicts<'a> {
    reference: &'a str,
    target: Option<&'a str>,
    runs: bool,
    failing: bool,
    threshold: Severity,
    wasted_past: bool,
}

/// `ok: … can run on T`, `FAIL: …`, and what was checked or wasted.
fn verdict_lines(v: &Verdicts<'_>) -> Vec<String> {
    let (reference, threshold) = (v.reference, v.threshold);
    let verdict = match (v.target, v.failing) {
        (Some(t), false) => format!("ok: {reference} can run on {t}"),
        // It runs there, but --fail-on reaches another finding (another platform's deleted
        // child): say both, not "not fit".
        (Some(t), true) if v.runs => {
            format!("FAIL: {reference} runs on {t}, but findings reach {threshold} (--fail-on)")
        }
        (Some(t), true) => {
            format!("FAIL: {reference} is not fit for {t} (findings at or above {threshold})")
        }
        (None, false) => format!("ok: no finding at or above {threshold} {NO_TARGET}"),
        (None, true) => format!("FAIL: findings at or above {threshold} {NO_TARGET}"),
    };
    let mut lines = vec![verdict];
    if v.wasted_past {
        lines.push(
            "FAIL: the layers waste space past the limits (--max-wasted, --min-efficiency or the config file's [layers]; see wasted-space)"
                .to_string(),
        );
    }
    if v.target.is_none() {
        lines.push(GENERIC_CHECKS.to_string());
    }
    lines
}

/// What `check --require-signed` found: each signature's verdict with the policy's key.
struct Signed {
    key: String,
    /// The image's digest: its own signatures say who signed it.
    root: String,
    satisfied: bool,
    verdicts: Vec<regscope::verify::Verdict>,
}

impl Signed {
    fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .verdicts
            .iter()
            .map(|v| {
                format!(
                    "signature {}: {}",
                    v.result_name(),
                    regscope::verify::describe(v)
                )
            })
            .collect();
        // Who signed, when the policy names someone else than a key (a regexp, a trust policy).
        let by = self
            .verdicts
            .iter()
            .filter(|v| v.result.is_ok() && !v.attestation && v.subject == self.root)
            .find_map(|v| v.signer.as_ref())
            .filter(|s| !matches!(s, regscope::verify::Signer::Key { .. }))
            .map(|s| format!("; signed by {}", s.describe()))
            .unwrap_or_default();
        out.push(if self.satisfied {
            format!(
                "signed: a signature of this image verifies with {}{by}",
                self.key
            )
        } else if self.verdicts.is_empty() {
            "FAIL: --require-signed: no signature found".to_string()
        } else {
            format!(
                "FAIL: --require-signed: no signature of this image verifies with {}",
                self.key
            )
        });
        out
    }
}

/// The policy's key for `image` (an error naming the fix when there is none), and the tree's
/// signatures checked with it: no request, the tree holds them.
fn signed_with_policy(image: &ImageRef, root: &regscope::model::Node) -> Result<Signed, Failure> {
    let config = regscope::config::load().map_err(|e| Failure::usage(e.to_string()))?;
    let (key, verifiers) = super::verify::policy_verifier(&config, image)
        .map_err(|f| Failure::usage(format!("--require-signed: {}", f.message)))?;
    let (verdicts, satisfied) =
        regscope::verify::check_by(String::new(), key.clone(), &verifiers.scoped(image), root)
            .into_verdicts();
    Ok(Signed {
        key,
        root: root.digest.clone(),
        satisfied,
        verdicts,
    })
}

/// What [`fetch`] brings back: the tree, its files when opened, the config's policy findings
/// and the signature policy's verdicts.
struct Fetch {
    inspection: Inspection,
    checked: Option<Vec<Checked>>,
    policies: Vec<Finding>,
    signing: regscope::verify::Checked,
}

/// Connects (flags, config file, credentials), builds the tree and analyses it, for `target`
/// too when there is one.
async fn fetch(
    reference: &str,
    target: Option<&Target>,
    common: &Common,
) -> Result<Fetch, Failure> {
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    let connector = common.connection.connector()?;
    let connection = connector
        .connect_to(&image)
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    report_connection(&connection, common.verbose);
    let options = InspectOptions {
        attachments: !common.no_attachments,
    };
    let deadline = std::time::Instant::now() + connector.settings().deadline;
    let inspection = within_deadline(
        connector.settings().deadline,
        &format!("the tree of {image}"),
        inspect(&connection.fetcher, &image, &options),
    )
    .await
    .map_err(|e| Failure::runtime(connection.error(e).to_string()))?;
    if common.verbose || common.stats {
        eprintln!("{}", super::args::stats_line(&inspection.round_trips));
    }
    if let Some(at) = inspection.resolved_at {
        eprintln!(
            "regscope: offline: answered from the cache; {} was resolved {}",
            inspection.reference,
            super::args::age(at)
        );
    }
    // What the config's policies say: who signed, or a signature policy no signature meets.
    let signing = regscope::verify::check_policy(connector.config(), &image, &inspection.root);
    let policies = regscope::verify::checked_findings(&signing, &inspection.root);
    let checked = if common.files {
        let platforms = target.map(Target::platforms).unwrap_or_default();
        Some(
            super::files::check_files(
                &connection.fetcher,
                &image,
                &inspection.root,
                &platforms,
                deadline,
            )
            .await,
        )
    } else {
        None
    };
    Ok(Fetch {
        inspection,
        checked,
        policies,
        signing,
    })
}

/// What the registry says about deploying to Lambda from it (the ECR region and host checks).
pub(super) fn lambda_region_findings(
    target: Option<&Target>,
    image: &ImageRef,
    root: &regscope::model::Node,
    region: Option<&str>,
) -> Vec<Finding> {
    let Some(target) = target else {
        return Vec::new();
    };
    let registry = match image {
        ImageRef::Registry(r) => Some(r.registry.as_str()),
        ImageRef::Layout(_) => None,
    };
    let region = region
        .map(str::to_string)
        .or_else(regscope::ecr::lambda::region_from_env);
    regscope::ecr::lambda::for_target(target, registry, &root.digest, region.as_deref())
}

/// The one report of what [`fetch`] brought back, with the registry's own facts.
fn report_of(
    inspection: &Inspection,
    checked: Option<&[Checked]>,
    registry: &[Finding],
    policies: &[Finding],
    target: Option<&Target>,
) -> Report {
    let fetched = Fetched {
        root: &inspection.root,
        orphaned: &inspection.orphaned,
        attachments_looked_up: inspection.attachments_looked_up,
        checked,
        registry,
        policies,
    };
    Report::of(&fetched, target)
}

/// `line` wrapped to `width` with a four-column hanging indent; whole without a width.
fn fitted(line: &str, width: Option<usize>) -> Vec<String> {
    match width {
        Some(w) => wrap::wrap(line, w, w.saturating_sub(4)),
        None => vec![line.to_string()],
    }
}

/// What [`emit`] shows besides the tree and its report.
struct Shown<'a> {
    checked: Option<&'a [Checked]>,
    signing: &'a regscope::verify::Checked,
    target: Option<&'a str>,
    judgement: Option<&'a Judgement>,
}

/// Who signed the image `root`, as its policy verified it: each distinct signer of its own
/// signatures that verify; empty without a policy or when none verifies.
fn verified_signers<'c>(
    signing: &'c regscope::verify::Checked,
    root: &str,
) -> Vec<&'c regscope::verify::Signer> {
    let regscope::verify::Checked::Verdicts { verdicts, .. } = signing else {
        return Vec::new();
    };
    let mut out: Vec<&regscope::verify::Signer> = Vec::new();
    for s in verdicts
        .iter()
        .filter(|v| v.result.is_ok() && !v.attestation && v.subject == root)
        .filter_map(|v| v.signer.as_ref())
    {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `signed by ci@example.com (issuer …), verified with identity … ([verify."…"])`: one line
/// when the policy is satisfied (its failure is a finding instead).
fn signed_line(signing: &regscope::verify::Checked, root: &str) -> Option<String> {
    let regscope::verify::Checked::Verdicts {
        policy,
        key,
        satisfied: true,
        ..
    } = signing
    else {
        return None;
    };
    let who: Vec<String> = verified_signers(signing, root)
        .iter()
        .map(|s| s.describe())
        .collect();
    Some(if who.is_empty() {
        format!("signed: a signature of this image verifies with {key} ({policy})")
    } else {
        format!(
            "signed by {}: verified with {key} ({policy})",
            who.join(" and by ")
        )
    })
}

fn emit(inspection: &Inspection, report: &Report, shown: &Shown<'_>, common: &Common) {
    let Shown {
        checked,
        signing,
        target,
        judgement,
    } = *shown;
    let mut stdout = std::io::stdout().lock();
    if common.json {
        let mut doc = json::report(inspection, &report.findings, target);
        if let Some(j) = judgement {
            j.add_to(&mut doc);
        }
        doc["notChecked"] = report
            .not_checked
            .iter()
            .map(|n| serde_json::json!({"what": n.what(), "why": n.why()}))
            .collect();
        if common.files {
            doc["files"] = super::files::summary_json(checked.unwrap_or_default());
        }
        if signing.mark() == regscope::verify::Mark::Verified {
            doc["signedBy"] = verified_signers(signing, &inspection.root.digest)
                .iter()
                .map(|s| s.to_json())
                .collect();
        }
        let _ = writeln!(stdout, "{}", json::to_terminal_string(&doc));
        return;
    }
    let style = Style {
        color: common.color.enabled(),
    };
    let _ = write!(
        stdout,
        "{}",
        text::render_judged(
            inspection,
            &report.findings,
            style,
            text_width(),
            Some(signing)
        )
    );
    let summary = super::files::summary_lines(checked.unwrap_or_default());
    let signed = signed_line(signing, &inspection.root.digest);
    for line in signed
        .into_iter()
        .chain(summary)
        .chain(not_checked_lines(report))
    {
        for (i, part) in fitted(&line, text_width()).iter().enumerate() {
            let _ = writeln!(stdout, "{}{part}", if i == 0 { "" } else { "    " });
        }
    }
}

/// `not checked: the files in the layers (the layers were not opened; --files opens them)`:
/// what the report says nothing about, with the flag that checks it.
fn not_checked_lines(report: &Report) -> Vec<String> {
    report
        .not_checked
        .iter()
        .map(|&n| {
            let flag = match n {
                NotChecked::Target => "--target on check, --platform on inspect, judges one",
                NotChecked::Attachments => "run without --no-attachments to look them up",
                NotChecked::Files => "--files opens them",
            };
            format!("not checked: {} ({}; {flag})", n.what(), n.why())
        })
        .collect()
}
