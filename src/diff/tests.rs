//! Tests of `diff`: two trees compared, platform by platform and attachment by attachment.

use super::*;

fn attachment(carries: Vec<attachments::Carries>, subject: &str, digest: char) -> Attachment {
    let label = match subject {
        "I" | "J" => "index",
        "A" => "linux/amd64",
        _ => "linux/arm64",
    };
    Attachment {
        digest: format!("sha256:{}", digest.to_string().repeat(64)),
        subject: format!("sha256:{}", subject.repeat(64)),
        subject_label: label.into(),
        sources: vec![attachments::Source::ReferrersApi],
        tags: Vec::new(),
        artifact_type: None,
        carries,
        details: Vec::new(),
        problem: None,
    }
}

fn same_platforms() -> Vec<PlatformDiff> {
    ["A", "R"]
        .iter()
        .map(|s| PlatformDiff {
            platform: if *s == "A" {
                "linux/amd64"
            } else {
                "linux/arm64"
            }
            .into(),
            left_manifest: format!("sha256:{}", s.repeat(64)),
            right_manifest: format!("sha256:{}", s.repeat(64)),
            left_config: Some("c".into()),
            right_config: Some("c".into()),
            layers_shared: 1,
            layers_only_left: Vec::new(),
            layers_only_right: Vec::new(),
            config_changes: Vec::new(),
        })
        .collect()
}

#[test]
fn a_signature_made_again_is_replaced_not_lost_and_a_lost_one_is_drift() {
    use attachments::Carries::{Sbom, Signature};
    let left = [
        attachment(vec![Signature], "I", 'a'),
        attachment(vec![Sbom], "A", 'b'),
        attachment(vec![Sbom], "R", 'c'),
    ];
    // Re-signed at the target (the index rewritten: another digest, the same
    // platforms); the amd64 SBOM copied as is; the arm64 SBOM lost; an extra SBOM for
    // the index added.
    let right = [
        attachment(vec![Signature], "J", 'd'),
        attachment(vec![Sbom], "A", 'b'),
        attachment(vec![Sbom], "J", 'e'),
    ];
    let (li, ri) = (
        format!("sha256:{}", "I".repeat(64)),
        format!("sha256:{}", "J".repeat(64)),
    );
    let subjects = Subjects::new((&li, &ri), true, &same_platforms());
    let m = match_attachments(&left, &right, &subjects);
    assert_eq!(m.replaced.len(), 1, "{m:?}");
    assert!(
        m.replaced[0].starts_with("signature for index: sha256:aaaa"),
        "{m:?}"
    );
    assert_eq!(m.only_left.len(), 1, "{m:?}");
    assert!(
        m.only_left[0].starts_with("SBOM for linux/arm64 (sha256:cccc"),
        "{m:?}"
    );
    assert_eq!(m.only_right.len(), 1, "{m:?}");
    assert!(
        m.only_right[0].starts_with("SBOM for index (sha256:eeee"),
        "{m:?}"
    );
    // The same attachments, stored elsewhere (tags here, API there): nothing to say.
    let moved: Vec<Attachment> = left
        .iter()
        .cloned()
        .map(|mut a| {
            a.sources = vec![attachments::Source::CosignTag];
            a
        })
        .collect();
    let same = Subjects::new((&li, &li), true, &same_platforms());
    assert_eq!(match_attachments(&left, &moved, &same), Matched::default());
}

#[test]
fn two_unrelated_images_never_have_attachments_made_again() {
    use attachments::Carries::Signature;
    let left = [attachment(vec![Signature], "I", 'a')];
    let right = [attachment(vec![Signature], "J", 'd')];
    let (li, ri) = (
        format!("sha256:{}", "I".repeat(64)),
        format!("sha256:{}", "J".repeat(64)),
    );
    // Not the same image: each signature is about its own subject.
    let m = match_attachments(&left, &right, &Subjects::new((&li, &ri), false, &[]));
    assert!(m.replaced.is_empty(), "{m:?}");
    assert_eq!(m.only_left.len(), 1, "{m:?}");
    assert_eq!(m.only_right.len(), 1, "{m:?}");
    // Nor does an attachment whose subject is unknown pair with anything.
    let mut l = left[0].clone();
    let mut r = right[0].clone();
    l.subject.clear();
    r.subject.clear();
    let m = match_attachments(&[l], &[r], &Subjects::new((&li, &li), true, &[]));
    assert!(m.replaced.is_empty(), "{m:?}");
}

mod property {
    use proptest::prelude::*;

    use super::super::*;
    use crate::model::{Descriptor, Platform};

    /// One index entry: its platform, whether it could be read (0) or how it failed,
    /// and which config and layer it has when read.
    type Entry = (usize, u8, u8, u8);

    fn digest(tag: u64) -> String {
        format!("sha256:{tag:064x}")
    }

    fn descriptor(kind: Kind, digest: String, platform: Option<Platform>) -> Node {
        Node::from_descriptor(
            kind,
            &Descriptor {
                media_type: crate::model::media_type::OCI_MANIFEST.into(),
                digest,
                size: 1,
                platform,
                annotations: BTreeMap::new(),
                artifact_type: None,
                urls: Vec::new(),
            },
        )
    }

    fn entry(&(p, state, config, layer): &Entry) -> Node {
        let arch = ["amd64", "arm64", "s390x"][p % 3];
        let tag =
            (p as u64) << 24 | u64::from(state) << 16 | u64::from(config) << 8 | u64::from(layer);
        let mut n = descriptor(
            Kind::Manifest,
            digest(0x1_0000_0000 | tag),
            Some(Platform::new("linux", arch, None)),
        );
        match state {
            0 => {
                n.children = vec![
                    descriptor(
                        Kind::Config,
                        digest(0x2_0000_0000 | u64::from(config)),
                        None,
                    ),
                    descriptor(Kind::Layer, digest(0x3_0000_0000 | u64::from(layer)), None),
                ];
            }
            1 => {
                n.kind = Kind::Missing;
                n.problem = Some(Problem::Missing {
                    detail: "MANIFEST_UNKNOWN".into(),
                });
            }
            2 => {
                n.problem = Some(Problem::FetchFailed {
                    detail: "the request timed out after 1s (--timeout)".into(),
                });
            }
            _ => {
                n.problem = Some(Problem::Malformed {
                    detail: "not JSON".into(),
                });
            }
        }
        n
    }

    fn side(entries: &[Entry], root: u64) -> Inspection {
        let mut index = descriptor(Kind::Index, digest(root), None);
        index.children = entries.iter().map(entry).collect();
        Inspection {
            reference: format!("registry.test/app:{root}"),
            root: index,
            round_trips: crate::registry::stats::RoundTrips::default(),
            resolved_at: None,
            attachments_looked_up: true,
            orphaned: Vec::new(),
            attachment_notes: Vec::new(),
        }
    }

    fn entries() -> impl Strategy<Value = Vec<Entry>> {
        prop::collection::vec((0usize..3, 0u8..4, 0u8..2, 0u8..2), 0..5)
    }

    proptest! {
        /// Issue 25, defect 3: whatever the two sides hold, an entry that could not be
        /// read on either side means the comparison is never "identical".
        #[test]
        fn a_failed_side_is_never_identical(left in entries(), right in entries(), same_root in any::<bool>()) {
            let l = side(&left, 1);
            let r = side(&right, if same_root { 1 } else { 2 });
            let c = compare(&l, &r);
            let unread = left.iter().chain(&right).any(|e| e.1 != 0);
            if unread {
                prop_assert_ne!(c.verdict(), Verdict::Identical, "{:?}", c);
                prop_assert!(!c.identical());
                prop_assert!(!c.incomplete.is_empty() || c.differs(), "{:?}", c);
            }
            if c.verdict() == Verdict::Incomplete {
                prop_assert!(!c.incomplete.is_empty());
                prop_assert_eq!(c.verdict().exit_code(), 2);
            }
        }

        /// And the rule is not met by never saying identical: a side compared with
        /// itself, every entry read, is identical.
        #[test]
        fn a_side_read_whole_is_identical_to_itself(mut left in entries()) {
            for e in &mut left {
                e.1 = 0;
            }
            let c = compare(&side(&left, 1), &side(&left, 1));
            prop_assert_eq!(c.verdict(), Verdict::Identical, "{:?}", c);
        }
    }
}
