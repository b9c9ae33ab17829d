//! Whether the signing came along: with a signature policy (the config file's, or notation's
//! own trust policy), judged by what verifies on each side, as `regscope verify` judges it;
//! without one, by presence only, and said to be unverified.

use crate::attachments::{self, Attachment};
use crate::inspect::Inspection;
use crate::verify::{self, Checked, Verdict};

/// What `diff` says of signing: `drift` is what a promotion lost or changed (the comparison
/// differs), `notes` what is the same on both sides or could not be judged.
#[derive(Debug, Default)]
pub struct Signing {
    pub drift: Vec<String>,
    pub notes: Vec<String>,
}

/// One side as `diff` reads it: its name, its root's digest, its attachments and whether they
/// were all read, and its policy's verdicts when a policy applies.
pub struct SideSigning<'a> {
    pub name: String,
    pub root: &'a str,
    pub attachments: &'a [Attachment],
    pub all_read: bool,
    pub checked: Option<&'a Checked>,
}

/// The policy each side is judged by: the config file's `[verify."PATTERN"]` for its own
/// repository, else the other side's (a promotion from an unpoliced registry is judged by the
/// target's policy), else notation's own trust policy when it has a statement for either side;
/// `None` when nothing applies.
#[must_use]
pub fn judge(
    config: &crate::config::Config,
    left: (&crate::reference::ImageRef, &Inspection),
    right: (&crate::reference::ImageRef, &Inspection),
) -> Option<(Checked, Checked)> {
    let (lp, rp) = (
        verify::config_policy(config, left.0),
        verify::config_policy(config, right.0),
    );
    let check = |(pattern, policy), (reference, inspection): (_, &Inspection)| {
        verify::check_with(pattern, policy, reference, &inspection.root)
    };
    match (lp.or(rp), rp.or(lp)) {
        (Some(l), Some(r)) => Some((check(l, left), check(r, right))),
        _ => notation_default(left, right),
    }
}

/// notation's trust policy in its own place, when one of its statements covers either side; a
/// side it does not cover is judged by the other side's statement, as a config policy is.
fn notation_default(
    left: (&crate::reference::ImageRef, &Inspection),
    right: (&crate::reference::ImageRef, &Inspection),
) -> Option<(Checked, Checked)> {
    let n = NOTATION_DEFAULT.get(&verify::trustpolicy::default_policy_file()?)?;
    let scope = |r: &crate::reference::ImageRef| match r {
        crate::reference::ImageRef::Registry(r) => Some(format!("{}/{}", r.registry, r.repository)),
        crate::reference::ImageRef::Layout(_) => None,
    };
    let covered = |r| scope(r).filter(|s| n.policy.statement_for(s).is_some());
    let (ls, rs) = (covered(left.0), covered(right.0));
    let (ls, rs) = (ls.clone().or(rs.clone()), rs.or(ls));
    ls.as_ref()?;
    let name = format!("notation's trust policy {}", n.policy.file);
    let key = n.describe();
    let check = |scope: Option<String>, inspection: &Inspection| {
        let mut judge = n.clone();
        judge.scope = scope;
        let v = verify::Verifiers::from((key.clone(), verify::Verifier::Notation(Box::new(judge))));
        verify::check_by(name.clone(), key.clone(), &v, &inspection.root)
    };
    Some((check(ls, left.1), check(rs, right.1)))
}

/// notation's own trust policy, as `diff` falls back to it: read once per process, and again
/// only when the file changes. `diff --watch` compares on every poll; the file is looked at
/// (its size and modification time), not read and parsed again.
static NOTATION_DEFAULT: PolicyCache = PolicyCache::new();

/// One trust policy file, read, with what it was read at: its path, size and modification
/// time. One entry: a process has one notation configuration.
struct PolicyCache {
    entry: std::sync::Mutex<Option<(Stamp, verify::notation::Notation)>>,
    /// How many times a file was read (and parsed): what the cache saves, for its test.
    reads: std::sync::atomic::AtomicUsize,
}

type Stamp = (std::path::PathBuf, u64, Option<std::time::SystemTime>);

impl PolicyCache {
    const fn new() -> Self {
        Self {
            entry: std::sync::Mutex::new(None),
            reads: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The trust policy at `file` (with notation's trust store), from the cache while the file
    /// is unchanged; `None` when it cannot be read.
    fn get(&self, file: &std::path::Path) -> Option<verify::notation::Notation> {
        let meta = std::fs::metadata(file).ok()?;
        let stamp: Stamp = (file.to_path_buf(), meta.len(), meta.modified().ok());
        let mut entry = self
            .entry
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, n)) = entry.as_ref().filter(|(at, _)| *at == stamp) {
            return Some(n.clone());
        }
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let n = verify::notation::Notation::from_files(Some(file), None).ok()?;
        *entry = Some((stamp, n.clone()));
        Some(n)
    }
}

/// Signing on both sides: by policy when one applies, else by presence.
#[must_use]
pub fn signing(left: &SideSigning<'_>, right: &SideSigning<'_>) -> Signing {
    match (left.checked, right.checked) {
        (Some(l), Some(r)) => by_policy((left, l), (right, r)),
        _ => by_presence(left, right),
    }
}

/// `signed (…) at LEFT, unsigned at RIGHT (not verified: no policy)` (or the reverse) when
/// exactly one side has a readable signature and the other side's attachments were all read:
/// an unread side is not said to be unsigned.
fn by_presence(left: &SideSigning<'_>, right: &SideSigning<'_>) -> Signing {
    let signatures = |list: &[Attachment]| -> Vec<String> {
        list.iter()
            .filter(|a| a.problem.is_none() && a.carries.contains(&attachments::Carries::Signature))
            .map(|a| a.details.first().cloned().unwrap_or_default())
            .collect()
    };
    let (ls, rs) = (signatures(left.attachments), signatures(right.attachments));
    let by = |list: &[String]| {
        list.iter()
            .find(|d| !d.is_empty())
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    };
    let (l, r) = (&left.name, &right.name);
    let drift = match (ls.is_empty(), rs.is_empty()) {
        (false, true) if right.all_read => {
            vec![format!(
                "signed{} at {l}, unsigned at {r} (not verified: no policy)",
                by(&ls)
            )]
        }
        (true, false) if left.all_read => {
            vec![format!(
                "unsigned at {l}, signed{} at {r} (not verified: no policy)",
                by(&rs)
            )]
        }
        _ => Vec::new(),
    };
    Signing {
        drift,
        notes: Vec::new(),
    }
}

/// How one side stands under its policy.
enum Stand<'a> {
    /// A signature of the image verifies: its verdict.
    Verified(&'a Verdict),
    /// None verifies: the image's own signatures (empty: unsigned).
    NotVerified(Vec<&'a Verdict>),
    /// The policy cannot verify anything: why, in words.
    Unusable(String),
}

fn stand<'a>(checked: &'a Checked, root: &str) -> Option<Stand<'a>> {
    match checked {
        Checked::NoPolicy => None,
        Checked::KeyUnusable { policy, key, why } => {
            Some(Stand::Unusable(format!("the {key} of {policy} {why}")))
        }
        Checked::Verdicts { verdicts, .. } => {
            let own: Vec<&Verdict> = verdicts
                .iter()
                .filter(|v| v.subject == root && !v.attestation)
                .collect();
            Some(match own.iter().find(|v| v.result.is_ok()) {
                Some(v) => Stand::Verified(v),
                None => Stand::NotVerified(own),
            })
        }
    }
}

/// `signed by X (verified)`, or `signed (verified with KEY)` when the verdict names no signer.
fn verified_words(v: &Verdict, checked: &Checked) -> String {
    match (&v.signer, checked) {
        (Some(s), _) => format!("signed by {} (verified)", s.describe()),
        (None, Checked::Verdicts { key, .. }) => format!("signed (verified with {key})"),
        (None, _) => "signed (verified)".into(),
    }
}

/// `no signature that verifies at SIDE`, with what is there instead: each signature's claim
/// and reason (`sha256:ab12…: claims to be signed by … (not verified: …)`), or `unsigned`.
fn not_verified_words(own: &[&Verdict], side: &str) -> String {
    if own.is_empty() {
        return format!("no signature that verifies at {side} (unsigned)");
    }
    let each: Vec<String> = own
        .iter()
        .map(|v| {
            let why = v
                .result
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default();
            let said = verify::signer::words(v.signer.as_ref(), Some(&why)).unwrap_or(why);
            format!("{}: {said}", crate::digest::short(&v.signature))
        })
        .collect();
    format!("no signature that verifies at {side} ({})", each.join("; "))
}

/// Each side judged by its policy: one verifies and the other not is drift; both verify is
/// a note (with both signers when they differ); neither is a note when a side has signatures.
fn by_policy(
    (left, lc): (&SideSigning<'_>, &Checked),
    (right, rc): (&SideSigning<'_>, &Checked),
) -> Signing {
    let (l, r) = (&left.name, &right.name);
    let mut out = Signing::default();
    let (Some(ls), Some(rs)) = (stand(lc, left.root), stand(rc, right.root)) else {
        return out;
    };
    match (ls, rs) {
        (Stand::Unusable(why), _) | (_, Stand::Unusable(why)) => {
            out.notes.push(format!("signatures not verified: {why}"));
        }
        (Stand::Verified(a), Stand::Verified(b)) => {
            if a.signer == b.signer {
                out.notes.push(format!("{} at both", verified_words(a, lc)));
            } else {
                out.notes.push(format!(
                    "verified at both, by different signers: {} at {l}, {} at {r}",
                    verified_words(a, lc),
                    verified_words(b, rc)
                ));
            }
        }
        // An unread side is not said to lack a signature that verifies: one may be unread.
        (Stand::Verified(a), Stand::NotVerified(own)) if right.all_read => {
            out.drift.push(format!(
                "{} at {l}, {}",
                verified_words(a, lc),
                not_verified_words(&own, r)
            ));
        }
        (Stand::NotVerified(own), Stand::Verified(b)) if left.all_read => {
            out.drift.push(format!(
                "{}, {} at {r}",
                not_verified_words(&own, l),
                verified_words(b, rc)
            ));
        }
        (Stand::NotVerified(a), Stand::NotVerified(b)) if !a.is_empty() || !b.is_empty() => {
            out.notes.push(format!(
                "{}; {}",
                not_verified_words(&a, l),
                not_verified_words(&b, r)
            ));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_s_trust_policy_is_read_once_and_again_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trustpolicy.json");
        let policy = |name: &str| {
            format!(
                r#"{{"version":"1.0","trustPolicies":[{{"name":"{name}","registryScopes":["*"],"signatureVerification":{{"level":"skip"}}}}]}}"#
            )
        };
        std::fs::write(&file, policy("a")).unwrap();
        let cache = PolicyCache::new();
        let reads = || cache.reads.load(std::sync::atomic::Ordering::Relaxed);
        // Every poll of a `diff --watch` asks again: one read.
        for _ in 0..5 {
            assert!(cache.get(&file).is_some());
        }
        assert_eq!(reads(), 1);
        // Edited (another size): read again, once.
        std::fs::write(&file, policy("longer")).unwrap();
        for _ in 0..3 {
            assert!(cache.get(&file).is_some());
        }
        assert_eq!(reads(), 2);
        // Gone: nothing, and the next file is read.
        std::fs::remove_file(&file).unwrap();
        assert!(cache.get(&file).is_none());
    }
    use crate::verify::{Reason, Signer};

    const ROOT: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    fn verdict(signature: char, result: Result<(), Reason>, who: Option<&str>) -> Verdict {
        Verdict {
            signature: format!("sha256:{}", signature.to_string().repeat(64)),
            subject: ROOT.into(),
            subject_label: "index".into(),
            found: "a cosign tag".into(),
            docker_reference: None,
            attestation: false,
            predicate_type: None,
            result,
            notes: Vec::new(),
            signer: who.map(|w| Signer::Certificate {
                identity: w.into(),
                issuer: Some("https://issuer".into()),
                repository: None,
                git_ref: None,
            }),
        }
    }

    fn checked(verdicts: Vec<Verdict>) -> Checked {
        Checked::Verdicts {
            policy: "[verify.\"r/*\"]".into(),
            key: "identity /^ci@/ from https://issuer".into(),
            satisfied: verdicts.iter().any(|v| v.result.is_ok()),
            verdicts,
            kinds: verify::Kinds {
                keyless: true,
                ..verify::Kinds::default()
            },
        }
    }

    fn side<'a>(name: &str, checked: &'a Checked, all_read: bool) -> SideSigning<'a> {
        SideSigning {
            name: name.into(),
            root: ROOT,
            attachments: &[],
            all_read,
            checked: Some(checked),
        }
    }

    fn mismatch() -> Result<(), Reason> {
        Err(Reason::IdentityMismatch {
            identity: "dev@x".into(),
            wanted: "/^ci@/".into(),
        })
    }

    #[test]
    fn one_side_verifies_and_the_other_only_claims_is_drift() {
        let (l, r) = (
            checked(vec![verdict('a', Ok(()), Some("ci@x"))]),
            checked(vec![verdict('b', mismatch(), Some("dev@x"))]),
        );
        let s = signing(&side("SRC", &l, true), &side("DST", &r, true));
        assert_eq!(
            s.drift,
            ["signed by ci@x (issuer https://issuer) (verified) at SRC, no signature that verifies at DST (sha256:bbbbbbbb…: claims to be signed by dev@x (issuer https://issuer) (not verified: identity dev@x, policy wants /^ci@/))"]
        );
        assert!(s.notes.is_empty());
        // The reverse reads left to right too; an unread side is never said to lack one.
        let s = signing(&side("DST", &r, true), &side("SRC", &l, true));
        assert!(
            s.drift[0].starts_with("no signature that verifies at DST (")
                && s.drift[0].ends_with("(verified) at SRC"),
            "{:?}",
            s.drift
        );
        let s = signing(&side("SRC", &l, true), &side("DST", &r, false));
        assert!(s.drift.is_empty() && s.notes.is_empty());
    }

    #[test]
    fn both_verifying_is_a_note_naming_both_signers_when_they_differ() {
        let (a, b) = (
            checked(vec![verdict('a', Ok(()), Some("ci@x"))]),
            checked(vec![verdict('b', Ok(()), Some("ci@y"))]),
        );
        let s = signing(&side("SRC", &a, true), &side("DST", &a, true));
        assert!(s.drift.is_empty());
        assert_eq!(
            s.notes,
            ["signed by ci@x (issuer https://issuer) (verified) at both"]
        );
        let s = signing(&side("SRC", &a, true), &side("DST", &b, true));
        assert!(s.drift.is_empty());
        assert_eq!(
            s.notes,
            ["verified at both, by different signers: signed by ci@x (issuer https://issuer) (verified) at SRC, signed by ci@y (issuer https://issuer) (verified) at DST"]
        );
    }

    #[test]
    fn neither_verifying_or_an_unusable_policy_is_a_note_and_unsigned_alike_is_nothing() {
        let (bad, none) = (
            checked(vec![verdict('b', mismatch(), None)]),
            checked(Vec::new()),
        );
        let s = signing(&side("SRC", &bad, true), &side("DST", &none, true));
        assert!(s.drift.is_empty());
        assert_eq!(
            s.notes,
            ["no signature that verifies at SRC (sha256:bbbbbbbb…: identity dev@x, policy wants /^ci@/); no signature that verifies at DST (unsigned)"]
        );
        let s = signing(&side("SRC", &none, true), &side("DST", &none, true));
        assert!(s.drift.is_empty() && s.notes.is_empty());
        let unusable = Checked::KeyUnusable {
            policy: "[verify.\"r/*\"]".into(),
            key: "key cosign.pub".into(),
            why: "cannot be read (No such file or directory)".into(),
        };
        let s = signing(&side("SRC", &unusable, true), &side("DST", &none, true));
        assert_eq!(
            s.notes,
            ["signatures not verified: the key cosign.pub of [verify.\"r/*\"] cannot be read (No such file or directory)"]
        );
    }

    #[test]
    fn without_a_policy_presence_is_said_to_be_unverified() {
        let signed = [Attachment {
            digest: format!("sha256:{}", "a".repeat(64)),
            subject: ROOT.into(),
            subject_label: "index".into(),
            sources: vec![attachments::Source::CosignTag],
            tags: Vec::new(),
            artifact_type: None,
            carries: vec![attachments::Carries::Signature],
            details: vec!["cosign signature".into()],
            problem: None,
        }];
        let side = |name: &str, attachments| SideSigning {
            name: name.into(),
            root: ROOT,
            attachments,
            all_read: true,
            checked: None,
        };
        let s = signing(&side("SRC", &signed), &side("DST", &[]));
        assert_eq!(
            s.drift,
            ["signed (cosign signature) at SRC, unsigned at DST (not verified: no policy)"]
        );
    }
}
