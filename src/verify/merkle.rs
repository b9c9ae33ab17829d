//! A Rekor inclusion proof checked offline: the entry's leaf hashed up the proof to the tree's
//! root (RFC 6962 hashing, RFC 9162's verification algorithm), and the checkpoint (a signed
//! note naming the tree's size and root) signed by the log's key.

use base64::Engine as _;

/// Proof hashes read at most (a tree of 2^64 entries needs 64).
pub const MAX_PROOF_HASHES: usize = 64;
/// Checkpoints longer than this are not read (a real one is a few hundred bytes).
pub const MAX_CHECKPOINT_CHARS: usize = 8 * 1024;
/// Signature lines of a checkpoint tried at most.
const MAX_NOTE_SIGNATURES: usize = 8;

/// A bundle entry's `inclusionProof`.
#[derive(Debug, Clone)]
pub struct Proof {
    pub log_index: u64,
    pub tree_size: u64,
    pub root_hash: Vec<u8>,
    pub hashes: Vec<Vec<u8>>,
    /// The checkpoint's signed note (`checkpoint.envelope`).
    pub checkpoint: String,
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    ctx.finish().as_ref().to_vec()
}

/// RFC 6962's leaf hash: SHA-256 of 0x00 and the entry.
#[must_use]
pub fn leaf_hash(entry: &[u8]) -> Vec<u8> {
    sha256(&[&[0], entry])
}

/// RFC 6962's interior node hash: SHA-256 of 0x01, the left and the right child.
#[must_use]
pub fn node_hash(left: &[u8], right: &[u8]) -> Vec<u8> {
    sha256(&[&[1], left, right])
}

/// The root the proof `hashes` lead to from `leaf` at `index` in a tree of `size` leaves
/// (RFC 9162 2.1.3.2); `None` when the proof has the wrong length for that position.
#[must_use]
pub fn root_from_proof(index: u64, size: u64, leaf: &[u8], hashes: &[Vec<u8>]) -> Option<Vec<u8>> {
    if index >= size || hashes.len() > MAX_PROOF_HASHES {
        return None;
    }
    // The path splits where index and the last index part: below that, siblings on either
    // side ("inner"); above, the right border, always on the left.
    let inner = (64 - (index ^ (size - 1)).leading_zeros()) as usize;
    // `inner` is 64 for a tree of more than 2^63 entries: a shift that wide is no shift.
    let border = index
        .checked_shr(u32::try_from(inner).unwrap_or(u32::MAX))
        .unwrap_or(0)
        .count_ones() as usize;
    if hashes.len() != inner + border {
        return None;
    }
    let mut hash = leaf.to_vec();
    for (i, sibling) in hashes[..inner].iter().enumerate() {
        hash = if (index >> i) & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    for sibling in &hashes[inner..] {
        hash = node_hash(sibling, &hash);
    }
    Some(hash)
}

/// A checkpoint: the signed text, the log it names (its first line), the tree size and root
/// hash it names, and each signature line's name and decoded bytes (a 4-byte key hint, then
/// the signature).
#[derive(Debug)]
pub struct Checkpoint {
    pub text: String,
    pub origin: String,
    pub size: u64,
    pub root: Vec<u8>,
    pub signatures: Vec<(String, Vec<u8>)>,
}

/// A signed note (`origin\nsize\nbase64 root\n[extensions\n]\n— name base64sig\n`); `None` for
/// what is not one.
#[must_use]
pub fn parse_checkpoint(note: &str) -> Option<Checkpoint> {
    if note.len() > MAX_CHECKPOINT_CHARS {
        return None;
    }
    let (text, sigs) = note.split_once("\n\n")?;
    let text = format!("{text}\n");
    let mut lines = text.lines();
    let origin = lines.next()?.to_string();
    let size = lines.next()?.parse().ok()?;
    let root = base64::engine::general_purpose::STANDARD
        .decode(lines.next()?)
        .ok()?;
    let signatures = sigs
        .lines()
        .take(MAX_NOTE_SIGNATURES)
        .filter_map(|l| {
            let (name, sig) = l.strip_prefix("— ")?.rsplit_once(' ')?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(sig).ok()?;
            Some((name.to_string(), bytes))
        })
        .collect();
    Some(Checkpoint {
        text,
        origin,
        size,
        root,
        signatures,
    })
}

/// Whether a checkpoint's `origin` names the log at `base_url`, as sigstore-go decides it: a
/// Rekor v2 origin is the log's host, its base URL's; a Rekor v1 origin (`<hostname> - <tree
/// id>`) names the hostname the server was started with, often not its URL's (a private
/// deployment's pod name), so sigstore-go leaves it to the log's key, and so does this. A base
/// URL without a host names nothing to compare.
#[must_use]
pub fn origin_is_log(origin: &str, base_url: &str) -> bool {
    let rekor_v1 = origin
        .rsplit_once(" - ")
        .is_some_and(|(_, id)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()));
    let host = url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    match host {
        Some(host) if !rekor_v1 => origin.eq_ignore_ascii_case(&host),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962's tree hash of `leaves`, for the proofs below.
    fn mth(leaves: &[Vec<u8>]) -> Vec<u8> {
        match leaves.len() {
            0 => sha256(&[]),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = largest_power_below(n);
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn largest_power_below(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Vec<u8>> {
        if leaves.len() <= 1 {
            return Vec::new();
        }
        let k = largest_power_below(leaves.len());
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(mth(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(mth(&leaves[..k]));
            p
        }
    }

    #[test]
    fn every_leaf_of_every_small_tree_proves_its_root_and_a_changed_proof_does_not() {
        for size in 1..=9usize {
            let leaves: Vec<Vec<u8>> = (0..size)
                .map(|i| vec![u8::try_from(i).unwrap(); 3])
                .collect();
            let root = mth(&leaves);
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = path(i, &leaves);
                let (i, n) = (i as u64, size as u64);
                assert_eq!(
                    root_from_proof(i, n, &leaf_hash(leaf), &proof),
                    Some(root.clone())
                );
                assert_ne!(
                    root_from_proof(i, n, &leaf_hash(b"x"), &proof),
                    Some(root.clone())
                );
                if let Some(first) = proof.first() {
                    let mut bad = proof.clone();
                    bad[0] = node_hash(first, first);
                    assert_ne!(
                        root_from_proof(i, n, &leaf_hash(leaf), &bad),
                        Some(root.clone())
                    );
                    assert_eq!(root_from_proof(i, n, &leaf_hash(leaf), &proof[1..]), None);
                }
            }
            assert_eq!(root_from_proof(size as u64, size as u64, &root, &[]), None);
        }
        // The widest trees: no shift overflows, a proof of the wrong length is refused.
        for (index, size) in [(0, (1 << 63) + 1), (u64::MAX - 1, u64::MAX), (0, u64::MAX)] {
            assert_eq!(root_from_proof(index, size, &[0; 32], &[]), None);
        }
    }

    #[test]
    fn a_checkpoint_reads_as_a_signed_note() {
        let note = "rekor.test - 42\n6\nAAAA\nTimestamp: 1\n\n— rekor.test AQIDBAUG\n";
        let c = parse_checkpoint(note).unwrap();
        assert_eq!(c.text, "rekor.test - 42\n6\nAAAA\nTimestamp: 1\n");
        assert_eq!((c.size, c.root.clone()), (6, vec![0, 0, 0]));
        assert_eq!(
            c.signatures,
            vec![("rekor.test".to_string(), vec![1, 2, 3, 4, 5, 6])]
        );
        assert_eq!(c.origin, "rekor.test - 42");
        assert!(parse_checkpoint("no note").is_none());
        assert!(parse_checkpoint("o\nsize\nAAAA\n\n— x AA==\n").is_none());
    }

    #[test]
    fn a_rekor_v2_checkpoint_names_its_log_by_host_and_a_v1_one_is_left_to_the_key() {
        assert!(origin_is_log(
            "log2025-1.rekor.sigstore.dev",
            "https://log2025-1.rekor.sigstore.dev"
        ));
        assert!(!origin_is_log("rekor.other", "https://rekor.test"));
        assert!(!origin_is_log("rekor.test.evil", "https://rekor.test:8443"));
        // Public-good Rekor v1, and sigstore-go's scaffolding bundle (othername.sigstore.json),
        // whose log names itself after its pod: both verified by sigstore-go.
        assert!(origin_is_log(
            "rekor.sigstore.dev - 1193050959916656506",
            "https://rekor.sigstore.dev"
        ));
        assert!(origin_is_log(
            "rekor-00001-deployment-56bf7777c9-jds5x - 6364419738405537866",
            "http://rekor.rekor-system.172.18.255.1.sslip.io"
        ));
        // No host to compare with.
        assert!(origin_is_log("anything", ""));
        assert!(!origin_is_log("a - x7", "https://a"));
    }
}
