//! The text tree of `regscope inspect`: one line per node, attestations and problems stand out.
//!
//! With a width (the terminal's, or `COLUMNS`), a tree row longer than the width is cut at a
//! word boundary and ends with `…` (a row stays one node), and findings wrap under their
//! label. Neither ever splits a digest or a command in backticks: a piece that does not fit is
//! dropped or moved to the next line whole. Without a width nothing is cut or wrapped, so a
//! pipe to `grep` or a file gets every row whole on one line.

use std::fmt::Write as _;

use super::style::Style;
use super::wrap;
use crate::analysis::Finding;
use crate::attachments;
use crate::digest;
use crate::inspect::Inspection;
use crate::model::{Kind, Node};
use crate::present::{FactKind, NodeLabel, Segment, Tone};
use crate::sanitize::sanitize;

/// Width of the first column: a platform, or what the entry is.
const COLUMN: usize = 15;
/// Width of an in-toto statement's predicate type, so the summaries line up.
const PREDICATE: usize = 36;
/// Where a finding's message starts: `  warning  platform-duplicate      `.
const MESSAGE_AT: usize = 2 + 7 + 2 + 22 + 2;
/// Where its continuation lines and its fix start, under the code.
const HANG: usize = 11;
/// A first line narrower than this is not worth starting the message on.
const MIN_FIRST: usize = 20;

/// Renders the tree and the findings, fitted to `width` columns when there is one.
#[must_use]
pub fn render(
    inspection: &Inspection,
    findings: &[Finding],
    style: Style,
    width: Option<usize>,
) -> String {
    render_judged(inspection, findings, style, width, None)
}

/// [`render`], each signature among the attachments said as the signature policy `signing`
/// judged it (`S✓ verified: signed by …`, `S✗ …`), as the TUI's rows say it; without a policy
/// they are read, not verified, and say which tool verifies them.
#[must_use]
pub fn render_judged(
    inspection: &Inspection,
    findings: &[Finding],
    style: Style,
    width: Option<usize>,
    signing: Option<&crate::verify::Checked>,
) -> String {
    let mut out = String::new();
    let root = &inspection.root;
    let label = NodeLabel::new(root, findings);
    let mut head = vec![
        Piece::whole(0, sanitize(&inspection.reference), Tone::Strong),
        Piece::whole(2, digest::short_ends(&root.digest), Tone::Normal),
    ];
    if root.kind == Kind::Attestation {
        // Fetched by digest: nothing above it says what it is, so its row does.
        head.push(Piece::words(
            2,
            headline(&label, &label.title),
            label.title.tone,
        ));
    }
    head.extend(tail(&label));
    push_row(&mut out, head, width, style);
    render_children(&mut out, root, findings, "", style, width);
    let signing = signing.filter(|c| !matches!(c, crate::verify::Checked::NoPolicy));
    render_attachments(&mut out, inspection, width, signing);
    render_findings(&mut out, findings, style, width);
    out
}

/// Every attachment with what it is about and where it was found; each signature with the
/// policy's verdict on it when `signing` judged it, else the tool that verifies it.
fn render_attachments(
    out: &mut String,
    inspection: &Inspection,
    width: Option<usize>,
    signing: Option<&crate::verify::Checked>,
) {
    let list = attachments::collect(&inspection.root);
    if list.is_empty() && inspection.attachment_notes.is_empty() {
        if inspection.attachments_looked_up {
            let _ = writeln!(
                out,
                "attachments: none (looked in the index, the referrers API, sha256-<hex> and cosign tags)"
            );
        }
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        if signing.is_some() {
            "attachments (signatures judged by the signature policy)"
        } else {
            "attachments (read, not verified)"
        }
    );
    let (first, rest) = match width {
        None => (usize::MAX, usize::MAX),
        Some(w) => (w.saturating_sub(2), w.saturating_sub(6)),
    };
    for a in &list {
        let what = a
            .carries
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        // The subject is what the attachment is about; its own digest comes first, so that
        // "signature for manifest sha256:…" never names the signature as the manifest.
        let subject = if a.subject.is_empty() {
            String::new()
        } else {
            format!(" ({})", digest::short(&a.subject))
        };
        let mut line = format!(
            "{what} {} for {}{subject} via {}",
            digest::short(&a.digest),
            a.subject_label,
            a.sources
                .iter()
                .map(|s| s.describe())
                .collect::<Vec<_>>()
                .join(" + ")
        );
        for tag in &a.tags {
            line.push_str(&format!(" `{}`", sanitize(tag)));
        }
        if let Some(p) = &a.problem {
            line.push_str(&format!(": {p}"));
        }
        // The tree shows an index's statements already; what came from elsewhere is new.
        if a.sources != [attachments::Source::Index] {
            for d in &a.details {
                line.push_str(&format!("; {d}"));
            }
        }
        match signing.and_then(|c| c.verdict_of(&a.digest)) {
            Some((mark, _, full)) => line.push_str(&format!("; S{} {full}", mark.symbol())),
            None => line.push_str(&format!("; {}", a.verification())),
        }
        for (i, part) in wrap::wrap(&line, first, rest).iter().enumerate() {
            let _ = writeln!(out, "{}{part}", if i == 0 { "  " } else { "      " });
        }
    }
    for note in &inspection.attachment_notes {
        let _ = writeln!(out, "  note: {}", sanitize(note));
    }
}

/// The findings section alone, wrapped to `width` when there is one.
pub fn render_findings(out: &mut String, findings: &[Finding], style: Style, width: Option<usize>) {
    if findings.is_empty() {
        let _ = writeln!(out, "findings: none");
        return;
    }
    let _ = writeln!(out, "findings");
    for f in findings {
        let head = style.severity(f.severity, &format!("{:<7}", f.severity.as_str()));
        let lead = format!("  {head}  {:<22}  ", f.code.as_str());
        let message = message(f);
        let (first, rest) = match width {
            None => (usize::MAX, usize::MAX),
            Some(w) => (w.saturating_sub(MESSAGE_AT), w.saturating_sub(HANG)),
        };
        let lines = if first < MIN_FIRST {
            // Too narrow to start beside the label: the whole message goes under it.
            let _ = writeln!(out, "{}", lead.trim_end());
            wrap::wrap(&message, rest, rest)
                .into_iter()
                .map(|l| format!("{:HANG$}{l}", ""))
                .collect()
        } else if width.is_none() {
            vec![format!("{lead}{message}")]
        } else {
            let mut lines = wrap::wrap(&message, first, rest).into_iter();
            let head = lines.next().map(|l| format!("{lead}{l}"));
            head.into_iter()
                .chain(lines.map(|l| format!("{:HANG$}{l}", "")))
                .collect::<Vec<_>>()
        };
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        if let Some(fix) = &f.fix {
            let fix = format!("fix: {}", sanitize(fix));
            let lines = match width {
                None => vec![fix],
                Some(w) => wrap::wrap(&fix, w.saturating_sub(HANG), w.saturating_sub(HANG + 5)),
            };
            for (i, line) in lines.iter().enumerate() {
                let indent = if i == 0 { HANG } else { HANG + 5 };
                let _ = writeln!(out, "{:indent$}{}", "", style.dim(line));
            }
        }
    }
}

/// A finding's message, led by the short digest of the node it is about unless the message
/// already names that node (then the digest would be printed twice).
fn message(f: &Finding) -> String {
    let text = sanitize(&f.message);
    let short = digest::short(&f.digest);
    if f.digest.is_empty() || text.contains(&f.digest) || text.contains(&short) {
        text.into_owned()
    } else {
        format!("{short}  {text}")
    }
}

fn render_children(
    out: &mut String,
    node: &Node,
    findings: &[Finding],
    prefix: &str,
    style: Style,
    width: Option<usize>,
) {
    let count = node.children.len();
    for (i, child) in node.children.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, extend) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        let label = NodeLabel::new(child, findings);
        let mut row = vec![Piece::whole(0, format!("{prefix}{branch}"), Tone::Dim)];
        row.extend(line(&label));
        push_row(out, row, width, style);
        let prefix = format!("{prefix}{extend}");
        render_children(out, child, findings, &prefix, style, width);
    }
}

/// A piece of a tree row: `gap` spaces, then `text`. A whole piece (a digest, a platform, the
/// reference) is shown entirely or not at all; the others may be cut between words.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    gap: usize,
    text: String,
    tone: Tone,
    whole: bool,
}

impl Piece {
    fn whole(gap: usize, text: impl Into<String>, tone: Tone) -> Self {
        Self {
            gap,
            text: text.into(),
            tone,
            whole: true,
        }
    }

    fn words(gap: usize, text: impl Into<String>, tone: Tone) -> Self {
        Self {
            gap,
            text: text.into(),
            tone,
            whole: false,
        }
    }

    fn width(&self) -> usize {
        self.gap + wrap::width(&self.text)
    }
}

/// `pieces` cut to `width` columns: as many as fit, the first that does not cut between words
/// when it may be (not after a bare number: `1…` would lose what it counts), then `…`.
/// Unchanged when they fit or there is no width.
fn fit(pieces: Vec<Piece>, width: Option<usize>) -> Vec<Piece> {
    let Some(width) = width else {
        return pieces;
    };
    if pieces.iter().map(Piece::width).sum::<usize>() <= width {
        return pieces;
    }
    // Room for ` …` after the last piece that fits (a cut piece needs only the `…`).
    let budget = width.saturating_sub(2);
    let mut used = 0;
    let mut out = Vec::new();
    for p in pieces {
        if used + p.width() <= budget {
            used += p.width();
            out.push(p);
            continue;
        }
        let room = budget.saturating_sub(used + p.gap);
        if let Some(cut) = (!p.whole).then(|| wrap::fit_words(&p.text, room)).flatten() {
            out.push(Piece {
                text: format!("{cut}…"),
                ..p
            });
        } else {
            out.push(Piece::whole(usize::from(!out.is_empty()), "…", Tone::Dim));
        }
        break;
    }
    out
}

fn push_row(out: &mut String, pieces: Vec<Piece>, width: Option<usize>, style: Style) {
    for p in fit(pieces, width) {
        out.push_str(&" ".repeat(p.gap));
        out.push_str(&style.tone(p.tone, &p.text));
    }
    out.push('\n');
}

/// `linux/amd64      sha256:da8b1906…  OCI manifest  1 layer, 116 B  user root`.
///
/// The first column holds the platform where the descriptor claims one, else what the entry
/// is; a title that says more than the platform (an attestation's target) follows the digest.
fn line(label: &NodeLabel) -> Vec<Piece> {
    let (column, title) = match &label.platform {
        Some(p) if p.text != label.title.text => (p, Some(&label.title)),
        Some(p) => (p, None),
        None => (&label.title, None),
    };
    // The digest before the title, so digests line up and a cut row keeps its own.
    let mut row = vec![Piece::whole(
        0,
        format!("{:<COLUMN$}", column.text),
        column.tone,
    )];
    if let Some(d) = &label.digest {
        row.push(Piece::whole(2, d.clone(), Tone::Normal));
    }
    if let Some(t) = title {
        row.push(Piece::words(2, headline(label, t), t.tone));
    }
    row.extend(tail(label));
    row
}

/// `ATTESTATION for linux/amd64 (sha256:da8b1906…)`: without colour an attestation reads like
/// any other entry, so the text tree shouts its kind and names the manifest it is about.
fn headline(label: &NodeLabel, title: &Segment) -> String {
    let text = if label.kind == Kind::Attestation {
        match title.text.split_once(' ') {
            Some((word, rest)) => format!("{} {rest}", word.to_uppercase()),
            None => title.text.to_uppercase(),
        }
    } else {
        title.text.clone()
    };
    match &label.attests {
        Some(a) => format!("{text} ({})", a.digest),
        None => text,
    }
}

/// Every fact, then the problem in full: `  OCI manifest  1 layer, 116 B  user root`.
fn tail(label: &NodeLabel) -> Vec<Piece> {
    let mut row: Vec<Piece> = label
        .facts
        .iter()
        .map(|f| {
            let text = if f.kind == FactKind::Predicate {
                format!("{:<PREDICATE$}", f.text)
            } else {
                f.text.clone()
            };
            Piece::words(2, text, f.tone)
        })
        .collect();
    if let Some(p) = &label.problem {
        row.push(Piece::words(2, p.to_string(), Tone::Error));
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Code;

    const DIGEST: &str = "sha256:da8b190665956ea07890a0273e2a9c96bfe291662f08e2860e868eef69c34620";

    fn row(pieces: Vec<Piece>, width: Option<usize>) -> String {
        let mut out = String::new();
        push_row(&mut out, pieces, width, Style::plain());
        out.trim_end_matches('\n').to_string()
    }

    fn manifest_row() -> Vec<Piece> {
        vec![
            Piece::whole(0, "├─ ", Tone::Dim),
            Piece::whole(0, format!("{:<COLUMN$}", "linux/amd64"), Tone::Platform),
            Piece::whole(2, "sha256:da8b1906…", Tone::Normal),
            Piece::words(2, "OCI manifest", Tone::Normal),
            Piece::words(2, "1 layer, 116 B", Tone::Normal),
            Piece::words(2, "user root", Tone::Normal),
        ]
    }

    #[test]
    fn a_row_that_fits_or_has_no_width_is_whole() {
        let whole = "├─ linux/amd64      sha256:da8b1906…  OCI manifest  1 layer, 116 B  user root";
        assert_eq!(row(manifest_row(), None), whole);
        assert_eq!(row(manifest_row(), Some(wrap::width(whole))), whole);
    }

    #[test]
    fn a_row_cut_for_width_ends_with_an_ellipsis_between_words() {
        let cut = row(manifest_row(), Some(64));
        assert_eq!(
            cut,
            "├─ linux/amd64      sha256:da8b1906…  OCI manifest  1 layer,…"
        );
        let cut = row(manifest_row(), Some(60));
        assert_eq!(
            cut, "├─ linux/amd64      sha256:da8b1906…  OCI manifest …",
            "not `1…`: a count without its noun"
        );
        let cut = row(manifest_row(), Some(50));
        assert_eq!(cut, "├─ linux/amd64      sha256:da8b1906…  OCI…");
    }

    #[test]
    fn a_digest_in_a_row_is_dropped_whole_never_split() {
        for width in 20..40 {
            let cut = row(manifest_row(), Some(width));
            assert!(cut.ends_with('…'), "{width}: {cut}");
            assert!(wrap::width(&cut) <= width, "{width}: {cut}");
            assert!(
                cut.contains("sha256:da8b1906…") || !cut.contains("sha256"),
                "{width}: {cut}"
            );
        }
    }

    fn findings_text(findings: &[Finding], width: Option<usize>) -> String {
        let mut out = String::new();
        render_findings(&mut out, findings, Style::plain(), width);
        out
    }

    #[test]
    fn a_finding_that_names_its_node_does_not_print_the_digest_twice() {
        let f = Finding::new(
            Code::RunsAsRoot,
            DIGEST,
            "sha256:da8b1906… runs as root (no USER in the config)",
        );
        let text = findings_text(&[f], None);
        assert_eq!(text.matches("sha256:da8b1906").count(), 1, "{text}");
        assert!(
            text.contains("runs-as-root            sha256:da8b1906… runs as root"),
            "{text}"
        );
        // One that does not name it is led by it.
        let f = Finding::new(
            Code::AttestationManifest,
            DIGEST,
            "BuildKit attestation; not runnable",
        );
        let text = findings_text(&[f], None);
        assert!(
            text.contains("attestation-manifest    sha256:da8b1906…  BuildKit attestation"),
            "{text}"
        );
    }

    #[test]
    fn findings_wrap_under_their_label_and_a_command_gets_a_line_of_its_own() {
        let f = Finding::new(
            Code::PlatformMissing,
            DIGEST,
            "linux/arm/v7 is not offered; the index has linux/amd64, linux/arm64; a linux/arm/v7 host fails to pull",
        )
        .with_fix("Rebuild with the platforms the index has plus linux/arm/v7: `docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 --push ...`");
        let text = findings_text(&[f], Some(80));
        insta::assert_snapshot!(text, @r"
        findings
          error    platform-missing        sha256:da8b1906… linux/arm/v7 is not offered;
                   the index has linux/amd64, linux/arm64; a linux/arm/v7 host fails to
                   pull
                   fix: Rebuild with the platforms the index has plus linux/arm/v7:
                        `docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 --push ...`
        ");
        for line in text.lines() {
            assert_eq!(line.matches('`').count() % 2, 0, "a command split: {line}");
            assert!(
                wrap::width(line) <= 80 || line.trim_start().starts_with('`'),
                "only a command wider than the line may overflow it: {line}"
            );
        }
        let narrow = findings_text(
            &[Finding::new(
                Code::RunsAsRoot,
                DIGEST,
                format!("manifest {DIGEST} runs as root"),
            )],
            Some(40),
        );
        assert!(
            narrow.lines().any(|l| l.trim() == DIGEST),
            "too narrow for the label and the message: the message goes under it, the digest whole: {narrow}"
        );
    }
}
