//! `regscope images`: a repository's images, tagged and untagged, each with what it is.

use serde_json::{json, Value};

use super::style::Style;
use crate::ecr::images::{describe, ImageKind, Role, Row};
use crate::ecr::inventory::{Inventory, ListSource};
use crate::present::{count, human_size};
use crate::sanitize::sanitize;

/// The date part of a time, or `-`.
fn day(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d").to_string())
}

/// One line on where the list came from and what it holds.
#[must_use]
pub fn headline(inv: &Inventory) -> String {
    let untagged = inv
        .rows
        .iter()
        .filter(|r| r.image.tags.is_empty() && !r.missing)
        .count();
    let orphans = inv.rows.iter().filter(|r| r.is_orphan()).count();
    let unchecked = inv.rows.iter().filter(|r| r.unchecked.is_some()).count();
    let missing = inv.rows.iter().filter(|r| r.missing).count();
    let listed = inv.rows.len() - missing;
    let from = match &inv.source {
        ListSource::EcrApi { region } => format!("ECR DescribeImages in {region}"),
        ListSource::Tags => {
            // Not only ECR: GHCR and GHES fall back here when their package API refuses.
            "the tag list (untagged images no tag reaches cannot be seen this way; the \
             registry's own API lists them: ECR's DescribeImages, GitHub's package versions)"
                .into()
        }
        ListSource::Versions { service } => format!("{service}'s package versions"),
    };
    let mut text = format!(
        "{}/{}: {} ({untagged} untagged, {orphans} orphaned",
        sanitize(&inv.registry),
        sanitize(&inv.repository),
        count(listed, "image", "images"),
    );
    if unchecked > 0 {
        text.push_str(&format!(", {unchecked} not checked"));
    }
    if missing > 0 {
        text.push_str(&format!(", {missing} missing"));
    }
    text.push_str(&format!("), from {from}"));
    if inv.truncated {
        text.push_str("; TRUNCATED at a cap");
    }
    text
}

/// The listing is not the whole truth: a tree could not be read (untagged images nothing
/// read reaches are "not checked") or a list was cut. `regscope images` exits 3 then.
#[must_use]
pub fn incomplete(inv: &Inventory) -> bool {
    !inv.unread.is_empty() || inv.truncated
}

/// What the date column is: ECR says when an image was pushed (`imagePushedAt`), GHCR's
/// versions too (`created_at`); a plain registry does not, so the column is the build date from the image config.
#[must_use]
pub fn date_column(inv: &Inventory) -> &'static str {
    if inv.source.pushed() {
        "PUSHED"
    } else {
        "CREATED"
    }
}

/// The text report.
#[must_use]
pub fn text(inv: &Inventory, style: Style) -> String {
    let mut out = String::new();
    out.push_str(&style.bold(&headline(inv)));
    out.push('\n');
    if let Some(info) = &inv.repository_info {
        let mut facts = Vec::new();
        if let Some(c) = info.created_at {
            facts.push(format!("created {}", c.format("%Y-%m-%d")));
        }
        if let Some(m) = &info.tag_mutability {
            facts.push(format!("tags {}", sanitize(m)));
        }
        if let Some(s) = info.scan_on_push {
            facts.push(if s { "scan on push" } else { "no scan on push" }.into());
        }
        if let Some(e) = &info.encryption {
            facts.push(format!("encryption {}", sanitize(e)));
        }
        if !facts.is_empty() {
            out.push_str(&format!("repository: {}\n", facts.join(", ")));
        }
    }
    out.push('\n');
    let tags_width = inv
        .rows
        .iter()
        .map(|r| tags_cell(r).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 30);
    out.push_str(&style.dim(&format!(
        "{:<19}  {:<tags_width$}  {:<11}  {:<10}  {:<10}  {:>9}  WHAT IT IS\n",
        "DIGEST",
        "TAGS",
        "KIND",
        date_column(inv),
        "PULLED",
        "SIZE"
    )));
    for row in &inv.rows {
        let label = describe(row, &inv.graph);
        let label = if row.is_orphan() || row.missing || row.unchecked.is_some() {
            style.warning(&sanitize(&label))
        } else if row.kind == ImageKind::Attestation {
            style.attestation(&sanitize(&label))
        } else {
            sanitize(&label).into_owned()
        };
        out.push_str(&format!(
            "{:<19}  {:<tags_width$}  {:<11}  {:<10}  {:<10}  {:>9}  {label}\n",
            crate::digest::short(&row.image.digest),
            truncate(&tags_cell(row), tags_width),
            row.kind.as_str(),
            day(row.image.pushed_at),
            day(row.image.last_pulled_at),
            size_cell(row),
        ));
        if let (Some(total), Some(ecr)) = (row.total_size, row.image.size) {
            if row.kind == ImageKind::Index && total != ecr {
                out.push_str(&style.dim(&format!(
                    "{:19}  ECR reports {} for this index (its largest child); all platforms and attestations together: {}\n",
                    "",
                    human_size(ecr),
                    human_size(total)
                )));
            }
        }
    }
    if inv.source == ListSource::Tags {
        out.push_str(&style.dim(
            "CREATED is the build date in the image config, not when it was pushed: a registry does not say that (ECR does, as imagePushedAt)\n",
        ));
    }
    lifecycle_text(&mut out, inv, style);
    if !inv.unread.is_empty() {
        out.push_str(&style.warning(&format!(
            "incomplete: {} could not be read; untagged images nothing read reaches are marked not checked, not orphaned",
            sanitize(&crate::ecr::images::abbreviate(&inv.unread, 5))
        )));
        out.push('\n');
    }
    for note in &inv.notes {
        out.push_str(&style.warning(&format!("note: {}", sanitize(note))));
        out.push('\n');
    }
    out
}

/// The lifecycle dry run: what the next run would expire and what that breaks.
fn lifecycle_text(out: &mut String, inv: &Inventory, style: Style) {
    let Some(run) = &inv.dry_run else {
        return;
    };
    out.push('\n');
    let run = match run {
        Ok(run) => run,
        Err(e) => {
            out.push_str(&style.warning(&format!(
                "lifecycle policy: cannot be evaluated: {}",
                sanitize(e)
            )));
            out.push('\n');
            return;
        }
    };
    out.push_str(&style.bold(&format!(
        "lifecycle policy ({}), next run (dry run, evaluated here; ECR runs it about daily):",
        count(run.rules.len(), "rule", "rules")
    )));
    out.push('\n');
    for rule in &run.rules {
        out.push_str(&format!("  {}\n", sanitize(rule)));
    }
    if run.planned.is_empty() {
        out.push_str("  nothing would expire or be archived\n");
        return;
    }
    for p in &run.planned {
        let what = match &p.action {
            crate::ecr::lifecycle::Action::Expire => "EXPIRE".to_string(),
            crate::ecr::lifecycle::Action::Transition { storage_class } => {
                format!("ARCHIVE ({})", sanitize(storage_class))
            }
        };
        let tags = if p.tags.is_empty() {
            "untagged".to_string()
        } else {
            sanitize(&p.tags.join(", ")).into_owned()
        };
        out.push_str(&format!(
            "  {what} {} ({tags}): {}\n",
            crate::digest::short(&p.digest),
            sanitize(&p.reason)
        ));
        if !p.breaks.is_empty() {
            out.push_str(&style.error(&format!(
                "    breaks {}: the index would name a manifest that is gone (pulls of that platform fail with \"manifest unknown\")",
                sanitize(&crate::ecr::images::abbreviate(&p.breaks, 5))
            )));
            out.push('\n');
        }
        if !p.orphans.is_empty() {
            let names: Vec<String> = p.orphans.iter().map(|d| crate::digest::short(d)).collect();
            out.push_str(&style.warning(&format!(
                "    orphans {} (signature, SBOM or other referrer of it)",
                crate::ecr::images::abbreviate(&names, 5)
            )));
            out.push('\n');
        }
    }
}

fn tags_cell(row: &Row) -> String {
    if row.image.tags.is_empty() {
        "-".into()
    } else {
        sanitize(&row.image.tags.join(",")).into_owned()
    }
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn size_cell(row: &Row) -> String {
    match (row.total_size, row.image.size) {
        (Some(total), _) => human_size(total),
        (None, Some(size)) => human_size(size),
        (None, None) => "-".into(),
    }
}

/// One JSON document (strings as the registry gave them; the caller escapes for a terminal).
#[must_use]
pub fn json(inv: &Inventory) -> Value {
    let ecr = inv.source.pushed();
    let rows: Vec<Value> = inv
        .rows
        .iter()
        .map(|row| {
            let i = &row.image;
            json!({
                "digest": i.digest,
                "tags": i.tags,
                "kind": row.kind.as_str(),
                "label": describe(row, &inv.graph),
                "orphan": row.is_orphan(),
                "notChecked": row.unchecked,
                "missing": row.missing,
                "breaks": row.breaks,
                "referrers": row.referrers,
                "roles": row.roles.iter().map(role_json).collect::<Vec<_>>(),
                // Without the ECR API the only date is the config's `created` (the build).
                "pushedAt": ecr.then(|| i.pushed_at.map(|t| t.to_rfc3339())).flatten(),
                "createdAt": (!ecr).then(|| i.pushed_at.map(|t| t.to_rfc3339())).flatten(),
                "lastPulledAt": i.last_pulled_at.map(|t| t.to_rfc3339()),
                "ecrSize": i.size,
                "totalSize": row.total_size,
                "manifestMediaType": i.manifest_media_type,
                "artifactMediaType": i.artifact_media_type,
                "subject": i.subject,
                "scanStatus": i.scan_status,
                "severityCounts": i.severity_counts,
                "status": i.status,
                "archivedAt": i.archived_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    let source = match &inv.source {
        ListSource::EcrApi { region } => json!({"kind": "ecr-api", "region": region}),
        ListSource::Tags => json!({"kind": "tags"}),
        ListSource::Versions { service } => json!({"kind": "package-versions", "service": service}),
    };
    json!({
        "registry": inv.registry,
        "repository": inv.repository,
        "source": source,
        "truncated": inv.truncated,
        "complete": !incomplete(inv),
        "unread": inv.unread,
        "notes": inv.notes,
        "repositoryInfo": inv.repository_info.as_ref().map(|r| json!({
            "createdAt": r.created_at.map(|t| t.to_rfc3339()),
            "tagMutability": r.tag_mutability,
            "scanOnPush": r.scan_on_push,
            "encryption": r.encryption,
        })),
        "images": rows,
        "lifecycle": inv.dry_run.as_ref().map(|run| match run {
            Ok(run) => json!({
                "rules": run.rules,
                "planned": run.planned.iter().map(|p| json!({
                    "digest": p.digest,
                    "tags": p.tags,
                    "rulePriority": p.rule_priority,
                    "action": p.action,
                    "reason": p.reason,
                    "breaks": p.breaks,
                    "orphans": p.orphans,
                })).collect::<Vec<_>>(),
            }),
            Err(e) => json!({"error": e}),
        }),
    })
}

fn role_json(role: &Role) -> Value {
    match role {
        Role::PlatformOf { parent, platform } => {
            json!({"role": "platform", "index": parent, "platform": platform})
        }
        Role::AttestationOf { parent, platform } => {
            json!({"role": "attestation", "index": parent, "platform": platform})
        }
        Role::ReferrerOf { subject, what } => {
            json!({"role": "referrer", "subject": subject, "what": what})
        }
    }
}
