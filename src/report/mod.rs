//! One report of what was fetched about an image: the findings in order, the target's verdict,
//! the manifest to deploy and what was not checked. `inspect`, `check`, the demo tour and the
//! TUI all render this; nothing else decides a verdict, so the front ends cannot disagree.

use crate::analysis::layer_files::Checked;
use crate::analysis::{self, files, Finding, Target, Verdict};
use crate::attachments::Orphan;
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
    /// What was not checked (no target, files not opened, ...), in the order of [`NotChecked`].
    pub not_checked: Vec<NotChecked>,
}

/// Something a report says nothing about, so a quiet report is not read as "all is well".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotChecked {
    /// No deployment target: nothing says whether the image runs anywhere.
    Target,
    /// Signatures, SBOMs and provenance outside the index were not looked for.
    Attachments,
    /// The layers were not opened: the entrypoint, its loader, the USER were not checked.
    Files,
}

impl NotChecked {
    /// What was not checked, as a noun phrase (`notChecked[].what`).
    #[must_use]
    pub fn what(self) -> &'static str {
        match self {
            NotChecked::Target => "whether the image runs on a deployment target",
            NotChecked::Attachments => "attachments outside the index",
            NotChecked::Files => "the files in the layers",
        }
    }

    /// Why, in words a user can act on whichever front end shows it (`notChecked[].why`).
    #[must_use]
    pub fn why(self) -> &'static str {
        match self {
            NotChecked::Target => "no deployment target was chosen",
            NotChecked::Attachments => {
                "the referrers API and the sha256-<hex> and cosign tags were not looked up"
            }
            NotChecked::Files => "the layers were not opened",
        }
    }

    /// What a report of this much leaves out: the target when there is none, attachments
    /// unless they were `looked_up`, files unless they were `opened`.
    #[must_use]
    pub fn of(target: bool, looked_up: bool, opened: bool) -> Vec<Self> {
        [
            (!target).then_some(NotChecked::Target),
            (!looked_up).then_some(NotChecked::Attachments),
            (!opened).then_some(NotChecked::Files),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

impl Report {
    /// The report of `fetched`, judged against `target` when there is one.
    #[must_use]
    pub fn of(fetched: &Fetched<'_>, target: Option<&Target>) -> Self {
        let root = fetched.root;
        let mut known = tree_findings(root, fetched.orphaned);
        if let Some(checked) = fetched.checked {
            for c in checked {
                files::merge_into(&mut known, c.findings.clone());
            }
        }
        let facts: Vec<Finding> = fetched
            .registry
            .iter()
            .chain(fetched.policies)
            .cloned()
            .collect();
        let not_checked = NotChecked::of(
            target.is_some(),
            fetched.attachments_looked_up,
            fetched.checked.is_some(),
        );
        let Some(t) = target else {
            known.extend(facts);
            analysis::sort(&mut known);
            return Self {
                findings: known,
                verdict: None,
                deploy: None,
                not_checked,
            };
        };
        // The same judgement the TUI's views make of what they keep (`judge`): one verdict
        // and one manifest to deploy, whichever front end asks.
        let judged = judge(t, root, &known, &facts);
        known.extend(judged.findings);
        analysis::sort(&mut known);
        Self {
            findings: known,
            verdict: Some(judged.verdict),
            deploy: judged.deploy,
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
    /// Why the target refuses it (listed first), then what the registry and the user's
    /// policies say about deploying it (the `facts` judged with it).
    pub findings: Vec<Finding>,
    pub verdict: Verdict,
    /// Digest of the manifest to deploy (see [`deployable`]); `None` when nothing here runs.
    pub deploy: Option<String>,
}

/// The one verdict: the target's findings about `root`, then whether what it would run here
/// cannot start (its files) or has an error on it (a deleted config, a missing layer), with
/// `facts` (the registry's: the Lambda ECR region and host checks; the user's policies)
/// weighed beside what is `known`. [`Report::of`] and every TUI view judge through here.
#[must_use]
pub fn judge(target: &Target, root: &Node, known: &[Finding], facts: &[Finding]) -> Judged {
    let judgement = target.judge(root, known);
    let mut findings = judgement.findings;
    findings.extend(facts.iter().cloned());
    let all: Vec<Finding> = known.iter().chain(&findings).cloned().collect();
    let verdict = match judgement.verdict {
        Verdict::Runs => target.verdict_with(root, &all),
        rejected @ Verdict::Rejected(_) => rejected,
    };
    let deploy = deployable(target, root, &all).map(|n| n.digest.clone());
    Judged {
        findings,
        verdict,
        deploy,
    }
}

/// [`judge`]'s verdict alone.
#[must_use]
pub fn verdict(target: &Target, root: &Node, findings: &[Finding]) -> Verdict {
    let judgement = target.judge(root, findings);
    match judgement.verdict {
        Verdict::Runs => target.verdict_with(root, findings),
        rejected @ Verdict::Rejected(_) => rejected,
    }
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
