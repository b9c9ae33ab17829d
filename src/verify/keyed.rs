//! A cosign public key with its transparency-log policy, as `cosign verify --key` decides: a
//! signature's Rekor entry (cosign's bundle annotation, a Sigstore bundle's `tlogEntries`) is
//! verified offline with the trusted root's log keys and must record this signature and this
//! key. cosign looks an entry that is missing up in Rekor; regscope is offline, so a missing
//! entry is a note, or a failure when the policy requires one (`--require-tlog`).

use serde_json::Value;

use super::keyless::{self, LogEntry, Logs};
use super::trust::TrustedRoot;
use super::{bundle, dsse, rekor, PublicKey, Reason};
use crate::model::payload::Payload;
use crate::model::Node;

/// The note on a keyed signature that carries no transparency-log entry.
pub const NO_ENTRY_NOTE: &str = "no transparency-log entry in the signature: cosign verify --key would look it up in Rekor or need --insecure-ignore-tlog";

/// The note on a keyed signature when the log is not checked.
pub const IGNORED_NOTE: &str =
    "the transparency log was not checked (--insecure-ignore-tlog), as cosign does with that flag";

/// What a keyed signature's log entry must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlogMode {
    /// An entry present is verified; none is a note (regscope cannot look one up).
    #[default]
    Note,
    /// An entry is verified, and none fails the signature (`--require-tlog`, `require_tlog`).
    Require,
    /// The log is not checked (`--insecure-ignore-tlog`), as cosign skips it.
    Ignore,
}

/// A public key, and how its signatures' log entries are checked. It reads as its key.
#[derive(Debug, Clone)]
pub struct Keyed {
    pub key: PublicKey,
    pub mode: TlogMode,
    /// The root whose log keys vouch for entries: the embedded public-good root unless
    /// `--trusted-root` / `trusted_root` names another.
    pub root: TrustedRoot,
    /// `Sigstore's public-good root`, `the trusted root PATH` (sanitised).
    pub root_name: String,
}

impl std::ops::Deref for Keyed {
    type Target = PublicKey;

    fn deref(&self) -> &PublicKey {
        &self.key
    }
}

impl Keyed {
    /// `key` under the log policy `mode`, with the trusted root at `trusted_root` (else the
    /// public-good root, loaded as the keyless policy loads it); why the root is unusable.
    pub fn new(
        key: PublicKey,
        mode: TlogMode,
        trusted_root: Option<&std::path::Path>,
    ) -> Result<Self, String> {
        let (root, root_name) = keyless::load_trusted_root(trusted_root)?;
        Ok(Self {
            key,
            mode,
            root,
            root_name,
        })
    }

    fn logs(&self) -> Logs<'_> {
        Logs {
            root: &self.root,
            root_name: &self.root_name,
        }
    }

    /// The log verdict on `layer` (a signature this key verified): its notes (where
    /// and when it was logged, or that it was not), or why its entry fails the signature.
    pub fn logged(&self, layer: &Node) -> Result<Vec<String>, Reason> {
        if self.mode == TlogMode::Ignore {
            return Ok(vec![IGNORED_NOTE.to_string()]);
        }
        let Some((entries, signed)) = entries_of(layer) else {
            return Ok(Vec::new());
        };
        // One entry that verifies is enough (cosign's threshold is one); else the first's reason.
        let mut first = None;
        for entry in entries {
            match entry.and_then(|e| self.check_entry(&e, &signed.as_signed())) {
                Ok(note) => return Ok(vec![note]),
                Err(reason) => {
                    first.get_or_insert(reason);
                }
            }
        }
        match (first, self.mode) {
            (Some(reason), _) => Err(reason),
            (None, TlogMode::Require) => Err(Reason::KeyNoLogEntry),
            (None, TlogMode::Note | TlogMode::Ignore) => Ok(vec![NO_ENTRY_NOTE.to_string()]),
        }
    }

    /// One entry: its SET verifies with its log's key, its body records this signature and
    /// names this key, and its inclusion proof (when it has one) leads to a signed checkpoint.
    fn check_entry(&self, e: &LogEntry, signed: &rekor::Signed<'_>) -> Result<String, Reason> {
        let logs = self.logs();
        let at = logs.entry_time(e)?;
        rekor::compare(&e.body, signed).map_err(Reason::LogEntryMismatch)?;
        rekor::same_key(&e.body, &self.key.spki_der).map_err(Reason::LogEntryMismatch)?;
        if let Some(proof) = &e.proof {
            logs.included(e, proof.as_ref().map_err(Clone::clone)?)?;
        }
        let log = logs
            .log(&e.log_id)
            .map_or_else(|| "the log".to_string(), |l| l.base_url.clone());
        Ok(format!(
            "logged in {log} at index {} on {}",
            e.log_index,
            keyless::rfc3339(at)
        ))
    }
}

/// What a signature layer's entry must record, owned (the bytes come from the layer).
enum Recorded {
    Message {
        payload: Vec<u8>,
        signature: Vec<u8>,
    },
    Envelope {
        payload: Vec<u8>,
        signatures: Vec<Vec<u8>>,
        envelope: Vec<u8>,
    },
    Artifact {
        hash: rekor::Hash,
        digest: Vec<u8>,
        signature: Vec<u8>,
    },
}

impl Recorded {
    fn as_signed(&self) -> rekor::Signed<'_> {
        match self {
            Recorded::Message { payload, signature } => {
                rekor::Signed::Message { payload, signature }
            }
            Recorded::Envelope {
                payload,
                signatures,
                envelope,
            } => rekor::Signed::Envelope {
                payload,
                signatures,
                envelope,
            },
            Recorded::Artifact {
                hash,
                digest,
                signature,
            } => rekor::Signed::Artifact {
                hash: *hash,
                digest,
                signature,
                certificate: None,
            },
        }
    }
}

type Entries = (Vec<Result<LogEntry, Reason>>, Recorded);

/// The layer's log entries and what they must record; `None`
/// for a layer that carries no signature a log records (checked by the caller already).
fn entries_of(layer: &Node) -> Option<Entries> {
    let bytes = layer.raw.as_deref()?;
    let annotation = || -> Vec<_> {
        keyless::annotation_entry(&layer.annotations)
            .into_iter()
            .collect()
    };
    if let Some(Payload::SigstoreBundle { .. }) = &layer.payload {
        let bundle: Value = serde_json::from_slice(bytes).ok()?;
        let entries = bundle::tlog_entries(bundle.get("verificationMaterial"));
        let recorded = if let Some(envelope) = bundle.get("dsseEnvelope") {
            envelope_recorded(serde_json::to_vec(envelope).ok()?)?
        } else {
            let (hash, digest, signature) =
                bundle::read_message(bundle.get("messageSignature")?).ok()?;
            // The digest was compared with the subject's when the signature verified.
            Recorded::Artifact {
                hash,
                digest,
                signature,
            }
        };
        return Some((entries, recorded));
    }
    if layer.media_type == crate::model::media_type::DSSE_ENVELOPE {
        let recorded = envelope_recorded(bytes.to_vec())?;
        return Some((annotation(), recorded));
    }
    if layer.media_type == crate::model::media_type::COSIGN_SIMPLE_SIGNING {
        let signature = layer
            .annotations
            .get(super::COSIGN_SIGNATURE)
            .and_then(|s| super::decode_signature(s))?;
        let recorded = Recorded::Message {
            payload: bytes.to_vec(),
            signature,
        };
        return Some((annotation(), recorded));
    }
    None
}

fn envelope_recorded(envelope: Vec<u8>) -> Option<Recorded> {
    let (payload, signatures) = dsse::parts(&envelope)?;
    Some(Recorded::Envelope {
        payload,
        signatures,
        envelope,
    })
}
