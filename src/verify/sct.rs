//! Certificate transparency for a Fulcio certificate: one of its embedded signed certificate
//! timestamps (SCTs, RFC 6962) verifies with a CT log key of the trusted root, as cosign and
//! sigstore-go require by default. A root that lists no CT log (a private Sigstore without
//! one, or regscope's throw-away test roots) asks for none.

use x509_parser::prelude::{FromDer as _, ParsedExtension, X509Certificate};

use super::trust::TrustedRoot;
use crate::sanitize::sanitize;

/// The SCT list extension's OID in DER (1.3.6.1.4.1.11129.2.4.2), which the precertificate the
/// log signed did not have.
const SCT_OID_DER: [u8; 12] = [
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
];

/// SCTs tried at most (Fulcio embeds one).
const MAX_SCTS: usize = 8;

/// Whether the leaf (`leaf`, whose issuer's public key info (DER) is `issuer_spki`) carries
/// an SCT a CT log of `root` signed; why not, in words, when it does not.
pub fn check(
    root: &TrustedRoot,
    leaf: &X509Certificate<'_>,
    issuer_spki: &[u8],
) -> Result<(), String> {
    if root.ct_logs.is_empty() {
        return Ok(());
    }
    let scts = leaf
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SCT(list) => Some(list),
            _ => None,
        })
        .ok_or("the certificate has no certificate-transparency timestamp (SCT); cosign requires one from a CT log of the trusted root")?;
    let tbs = tbs_without_sct(leaf.tbs_certificate.as_ref())
        .ok_or("the certificate's to-be-signed part could not be read back for its SCT")?;
    let issuer_key_hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, issuer_spki);
    let mut unknown = None;
    let mut bad = None;
    for sct in scts.iter().take(MAX_SCTS) {
        let Some(log) = root
            .ct_logs
            .iter()
            .find(|l| l.log_id == sct.id.key_id && valid_at(l, sct.timestamp))
        else {
            unknown.get_or_insert_with(|| hex::encode(sct.id.key_id));
            continue;
        };
        let Ok(tbs_len) = u32::try_from(tbs.len()) else {
            continue;
        };
        let Ok(ext_len) = u16::try_from(sct.extensions.0.len()) else {
            continue;
        };
        // RFC 6962 3.2: v1, certificate_timestamp, the time, precert_entry, the issuer's key
        // hash, the precertificate's TBS (24-bit length), the SCT's extensions.
        let mut signed = vec![0, 0];
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(issuer_key_hash.as_ref());
        signed.extend_from_slice(&tbs_len.to_be_bytes()[1..]);
        signed.extend_from_slice(&tbs);
        signed.extend_from_slice(&ext_len.to_be_bytes());
        signed.extend_from_slice(sct.extensions.0);
        if log.key.verifies(&signed, sct.signature.data) {
            return Ok(());
        }
        bad.get_or_insert_with(|| format!(
            "its certificate-transparency timestamp (SCT) does not verify with the key of the CT log {}",
            log.base_url
        ));
    }
    if let Some(bad) = bad {
        return Err(bad);
    }
    Err(format!(
        "its certificate-transparency timestamp (SCT) is from the CT log {}, which the trusted root does not list for that date",
        sanitize(&unknown.unwrap_or_default())
    ))
}

/// The CT log's key was valid at the SCT's time (milliseconds since the epoch): a log's key
/// vouches only for its own period, as sigstore-go checks.
fn valid_at(log: &super::trust::Log, millis: u64) -> bool {
    let at = i64::try_from(millis / 1000).unwrap_or(i64::MAX);
    let time = |s: &Option<String>| {
        s.as_deref()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.timestamp())
    };
    time(&log.valid_from).is_none_or(|t| t <= at) && time(&log.valid_until).is_none_or(|t| at <= t)
}

/// A DER element's tag, header length and content length (single-byte tags; lengths up to
/// 2^24, far above a certificate's).
fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, usize::from(first)));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 3 {
        return None;
    }
    let len = b
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
    Some((tag, 2 + n, len))
}

/// `tag` and `content` as one DER element.
fn element(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or_default());
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | u8::try_from(bytes.len()).unwrap_or_default());
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The elements of a constructed element's content, each whole.
fn children(content: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (_, h, len) = header(rest)?;
        let (one, tail) = rest.split_at_checked(h + len)?;
        out.push(one);
        rest = tail;
    }
    Some(out)
}

/// The TBS certificate `tbs` with its SCT list extension taken out: the precertificate's TBS
/// the CT log signed.
fn tbs_without_sct(tbs: &[u8]) -> Option<Vec<u8>> {
    let (tag, h, len) = header(tbs)?;
    let mut content = Vec::new();
    for child in children(tbs.get(h..h + len)?)? {
        let (ctag, ch, clen) = header(child)?;
        if ctag != 0xa3 {
            content.extend_from_slice(child);
            continue;
        }
        // [3] EXPLICIT Extensions: one SEQUENCE of Extension SEQUENCEs, each starting with
        // its OID.
        let seq = child.get(ch..ch + clen)?;
        let (stag, sh, slen) = header(seq)?;
        let kept: Vec<u8> = children(seq.get(sh..sh + slen)?)?
            .into_iter()
            .filter(|ext| header(ext).is_none_or(|(_, eh, _)| !ext[eh..].starts_with(&SCT_OID_DER)))
            .flatten()
            .copied()
            .collect();
        content.extend(element(ctag, &element(stag, &kept)));
    }
    Some(element(tag, &content))
}

/// The issuer's public key info (DER): the first certificate of an authority of `root`
/// whose subject is the leaf's issuer.
#[must_use]
pub fn issuer_spki(root: &TrustedRoot, leaf: &X509Certificate<'_>) -> Option<Vec<u8>> {
    root.authorities.iter().find_map(|a| {
        let (_, ca) = X509Certificate::from_der(a.chain.first()?).ok()?;
        (ca.subject().as_raw() == leaf.issuer().as_raw()).then(|| ca.public_key().raw.to_vec())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn der_elements_round_trip_in_short_and_long_form() {
        for len in [0usize, 5, 127, 128, 300, 70_000] {
            let content = vec![7u8; len];
            let e = element(0x30, &content);
            assert_eq!(header(&e), Some((0x30, e.len() - len, len)));
            assert_eq!(children(&e), Some(vec![e.as_slice()]));
        }
    }

    #[test]
    fn a_certificate_without_scts_reads_back_unchanged_and_is_refused_where_ct_is_asked() {
        let root = TrustedRoot::public_good().expect("the root");
        for authority in &root.authorities {
            let (_, ca) = X509Certificate::from_der(&authority.chain[0]).expect("a certificate");
            // No SCT list: the walk re-encodes the TBS byte for byte (long-form lengths too).
            let tbs = ca.tbs_certificate.as_ref();
            assert_eq!(tbs_without_sct(tbs).as_deref(), Some(tbs));
            // A Fulcio CA certificate has no SCT: where the root lists CT logs, refused.
            assert_eq!(
                check(&root, &ca, b"").expect_err("no SCT"),
                "the certificate has no certificate-transparency timestamp (SCT); cosign requires one from a CT log of the trusted root"
            );
        }
    }

    #[test]
    fn a_ct_log_key_vouches_only_within_its_validity() {
        let root = TrustedRoot::public_good().expect("the root");
        let mut log = root.ct_logs[0].clone();
        log.valid_from = Some("2022-10-20T00:00:00Z".into());
        log.valid_until = Some("2023-10-20T00:00:00Z".into());
        let day = |s: &str| {
            let t = chrono::DateTime::parse_from_rfc3339(s)
                .expect("time")
                .timestamp();
            u64::try_from(t).expect("after 1970") * 1000
        };
        assert!(valid_at(&log, day("2023-01-01T00:00:00Z")));
        assert!(!valid_at(&log, day("2022-01-01T00:00:00Z")));
        assert!(!valid_at(&log, day("2024-01-01T00:00:00Z")));
    }

    proptest! {
        // A certificate's TBS comes from the registry: any bytes give an answer, never a
        // panic, and the walk ends (each element consumes at least its 2-byte header).
        #[test]
        fn any_bytes_are_read_or_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = tbs_without_sct(&bytes);
            let _ = children(&bytes);
        }
    }
}
