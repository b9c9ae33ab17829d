//! One report of what was fetched about an image: the findings in order, the target's verdict,
//! the manifest to deploy and what was not checked. `inspect`, `check`, the demo tour and the
//! TUI all render this; nothing else decides a verdict, so the front ends cannot disagree.

use crate::analysis::{self, files, Finding, Target, Verdict};
use crate::attachments::Orphan;
use crate::layers::findings::Checked;
use crate::model::Node;

/// What was fetched about one image, as the report weighs it.
#[derive(Clone, Copy)]
pub struct Fetched<'a> {
    pub root: &'a Node,
    /// `sha256-<hex>` tags whose subject is gone (empty when attachments were not looked up).
    pub orphaned: &'a [Orphan],
    /// Whether attachments outside the index were looked up at all.
    pub attachments_looked_up: bool,
    /// What the files of each checked manifest said; `None`: the layers were not opened.
    pub checked: Option<&'a [Checked]>,
    /// What the registry itself says about deploying there (the ECR region and host checks).
    pub registry: &'a [Finding],
    /// What the user's own policies say: a `[verify.*]` signature policy no signature meets,
    /// layers wasting past `--max-wasted` / `--min-efficiency`.
    pub policies: &'a [Finding],
}

impl<'a> Fetched<'a> {
    /// The tree alone: no attachments looked up, no files opened, no registry facts.
    #[must_use]
    pub fn tree(root: &'a Node) -> Self {
        Self {
            root,
            orphaned: &[],
            attachments_looked_up: false,
            checked: None,
            registry: &[],
            policies: &[],
        }
    }
}

/// Everything one image's front ends show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Every finding, most severe first, tree order within a severity: the tree's, orphaned
    /// attachments, the target's, the files', the registry's.
    pub findings: Vec<Finding>,
    /// The target's verdict; `None` without a target.
    pub verdict: Option<Verdict>,
    /// Digest of the manifest to deploy on the target (the image, or its platform entry when
    /// only that runs there); `None` without a target or when nothing here runs there.
    pub deploy: Option<String>,
    /// What was not checked, in plain words (no target, files not opened, ...).
    pub not_checked: Vec<String>,
}

impl Report {
    /// The report of `fetched`, judged against `target` when there is one.
    #[must_use]
    pub fn of(fetched: &Fetched<'_>, target: Option<&Target>) -> Self {
        let root = fetched.root;
        let mut findings = tree_findings(root, fetched.orphaned);
        if let Some(t) = target {
            findings.extend(t.check(root));
            analysis::sort(&mut findings);
        }
        if let Some(checked) = fetched.checked {
            for c in checked {
                files::merge_into(&mut findings, c.findings.clone());
            }
        }
        findings.extend(fetched.registry.iter().cloned());
        findings.extend(fetched.policies.iter().cloned());
        analysis::sort(&mut findings);
        let verdict = target.map(|t| verdict(t, root, &findings));
        let deploy = target.and_then(|t| deployable(t, root, &findings).map(|n| n.digest.clone()));
        let mut not_checked = Vec::new();
        if target.is_none() {
            not_checked.push("no deployment target was evaluated".to_string());
        }
        if !fetched.attachments_looked_up {
            not_checked.push("attachments outside the index were not looked up".to_string());
        }
        if fetched.checked.is_none() {
            not_checked.push("the layers were not opened: the files were not checked".to_string());
        }
        Self {
            findings,
            verdict,
            deploy,
            not_checked,
        }
    }
}

/// The findings a tree supports without a target: its own and its orphaned attachments'.
/// What the TUI's worker keeps with every tree it builds.
#[must_use]
pub fn tree_findings(root: &Node, orphaned: &[Orphan]) -> Vec<Finding> {
    let mut findings = analysis::analyze(root);
    findings.extend(crate::attachments::orphan_findings(orphaned));
    analysis::sort(&mut findings);
    findings
}

/// A target's view of an image whose other findings are already `known` (the views keep the
/// tree's findings and the target's apart, and change target without fetching again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// Why the target refuses it (the findings listed first).
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
}

/// The one verdict: the target's findings about `root`, then whether what it would run here
/// cannot start (its files) or has an error on it (a deleted config, a missing layer).
#[must_use]
pub fn judge(target: &Target, root: &Node, known: &[Finding]) -> Judged {
    let judgement = target.judge(root, known);
    let verdict = match judgement.verdict {
        Verdict::Runs => target.verdict_with(root, known),
        rejected @ Verdict::Rejected(_) => rejected,
    };
    Judged {
        findings: judgement.findings,
        verdict,
    }
}

/// [`judge`]'s verdict alone.
#[must_use]
pub fn verdict(target: &Target, root: &Node, findings: &[Finding]) -> Verdict {
    judge(target, root, findings).verdict
}

/// The manifest to deploy on `target`: `root` when it runs there, else (Lambda and an index)
/// the entry for the target's platform when that one runs; `None` when nothing here runs.
#[must_use]
pub fn deployable<'a>(target: &Target, root: &'a Node, findings: &[Finding]) -> Option<&'a Node> {
    if verdict(target, root, findings) == Verdict::Runs {
        return Some(root);
    }
    let entry = target.fitting(root).filter(|e| !std::ptr::eq(*e, root))?;
    (verdict(target, entry, findings) == Verdict::Runs).then_some(entry)
}
