//! `regscope inspect` and `regscope check`: one tree, its findings, text or JSON.

use std::io::Write as _;

use clap::{Args, ValueEnum};

use super::args::{report_connection, text_width, ColorChoice, ConnectionArgs};
use super::check::Judgement;
use super::Failure;
use regscope::analysis::{self, Finding, Severity, Target, Verdict};
use regscope::connect::within_deadline;
use regscope::inspect::{inspect, InspectOptions, Inspection};
use regscope::layers::findings::Checked;
use regscope::model::Platform;
use regscope::output::{json, style::Style, text, wrap};
use regscope::reference::ImageRef;
use regscope::report::{Fetched, Report};

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
    let (inspection, checked) = fetch(reference, platform.as_ref(), common).await?;
    let report = report_of(&inspection, checked.as_deref(), &[], platform.as_ref());
    emit(
        &inspection,
        &report.findings,
        checked.as_deref(),
        None,
        None,
        common,
    );
    Ok(0)
}

/// Without `--target`, `check` only ran the findings every tree gets: an "ok" must not read as
/// "this will run on Lambda", so the verdict says no target was evaluated and what was checked.
const NO_TARGET: &str = "(no deployment target evaluated: pass --target lambda, lambda/arm64 or a platform such as linux/amd64)";
const GENERIC_CHECKS: &str = "checked: index platforms against configs, duplicate or invalid platforms, missing, altered or unreadable content, mixed media types, attestation entries, root user";

/// `regscope check REF [--target T] [--fail-on S] [--quiet]`: exit 1 when a finding reaches
/// `fail_on`. A repository without a tag, with a target, judges every tag.
pub async fn run_check(
    reference: &str,
    target: Option<&str>,
    fail_on: FailOn,
    region: Option<&str>,
    quiet: bool,
    common: &Common,
) -> Result<u8, Failure> {
    let target = target
        .map(Target::parse)
        .transpose()
        .map_err(Failure::usage)?;
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    if let (Some(t), ImageRef::Registry(repo)) = (&target, &image) {
        // The parser reads no tag as `latest`; as typed, no tag means the whole repository.
        let last = reference.rsplit('/').next().unwrap_or(reference);
        if !reference.contains('@') && !last.contains(':') {
            let whole = regscope::reference::RegistryRef {
                tag: None,
                digest: None,
                ..repo.clone()
            };
            return super::check::run_repository(&whole, t, quiet, common).await;
        }
    }
    let (inspection, checked) = fetch(reference, target.as_ref(), common).await?;
    let mut registry = Vec::new();
    if let (Some(Target::Lambda { .. }), ImageRef::Registry(r)) = (&target, &image) {
        let region = region
            .map(str::to_string)
            .or_else(regscope::ecr::lambda::region_from_env);
        registry = regscope::ecr::lambda::findings(
            &r.registry,
            &inspection.root.digest,
            region.as_deref(),
        );
    }
    let report = report_of(&inspection, checked.as_deref(), &registry, target.as_ref());
    let findings = &report.findings;
    let threshold = fail_on.severity();
    let target_label = target.as_ref().map(ToString::to_string);
    let judgement = Judgement::of(&report, &image);
    let failing = findings.iter().filter(|f| f.severity >= threshold).count();
    let failed = failing > 0;
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
    emit(
        &inspection,
        findings,
        checked.as_deref(),
        target_label.as_deref(),
        Some(&judgement),
        common,
    );
    if !common.json {
        let verdict = match (&target_label, failed) {
            (Some(t), false) => format!("ok: {} can run on {t}", inspection.reference),
            // It runs there, but --fail-on reaches another finding (another platform's
            // deleted child): say both, not "not fit".
            (Some(t), true) if judgement.verdict == Some(Verdict::Runs) => format!(
                "FAIL: {} runs on {t}, but findings reach {threshold} (--fail-on)",
                inspection.reference
            ),
            (Some(t), true) => format!(
                "FAIL: {} is not fit for {t} (findings at or above {})",
                inspection.reference, threshold
            ),
            (None, false) => format!("ok: no finding at or above {threshold} {NO_TARGET}"),
            (None, true) => format!("FAIL: findings at or above {threshold} {NO_TARGET}"),
        };
        let mut lines = vec![verdict];
        if target.is_none() {
            lines.push(GENERIC_CHECKS.to_string());
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

/// Connects (flags, config file, credentials), builds the tree and analyses it, for `target`
/// too when there is one.
async fn fetch(
    reference: &str,
    target: Option<&Target>,
    common: &Common,
) -> Result<(Inspection, Option<Vec<Checked>>), Failure> {
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
    Ok((inspection, checked))
}

/// The one report of what [`fetch`] brought back, with the registry's own facts.
fn report_of(
    inspection: &Inspection,
    checked: Option<&[Checked]>,
    registry: &[Finding],
    target: Option<&Target>,
) -> Report {
    let fetched = Fetched {
        root: &inspection.root,
        orphaned: &inspection.orphaned,
        attachments_looked_up: inspection.attachments_looked_up,
        checked,
        registry,
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

fn emit(
    inspection: &Inspection,
    findings: &[Finding],
    checked: Option<&[Checked]>,
    target: Option<&str>,
    judgement: Option<&Judgement>,
    common: &Common,
) {
    let mut stdout = std::io::stdout().lock();
    if common.json {
        let mut doc = json::report(inspection, findings, target);
        if let Some(j) = judgement {
            j.add_to(&mut doc);
        }
        if common.files {
            doc["files"] = super::files::summary_json(checked.unwrap_or_default());
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
        text::render(inspection, findings, style, text_width())
    );
    for line in super::files::summary_lines(checked.unwrap_or_default()) {
        for (i, part) in fitted(&line, text_width()).iter().enumerate() {
            let _ = writeln!(stdout, "{}{part}", if i == 0 { "" } else { "    " });
        }
    }
}
