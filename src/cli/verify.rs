//! `regscope verify REF --key cosign.pub` (or keyless: `--certificate-identity …
//! --certificate-oidc-issuer …`; or notation: `--notation`, `--trust-policy FILE`, or
//! notation's own trust policy found in its place), or several of them at once (each signature
//! judged by the one of its kind): each signature of the image checked; exit 0 when one of the
//! image's own signatures verifies, 1 otherwise.

use super::args::{report_connection, ConnectionArgs};
use super::Failure;
use regscope::connect::within_deadline;
use regscope::inspect::{inspect, InspectOptions};
use regscope::reference::ImageRef;
use regscope::sanitize::sanitize;
use regscope::verify::keyed::TlogMode;
use regscope::verify::{self, PublicKey, Summary, Verifier, Verifiers};

/// Reads the key file, or says why it is not one a user can verify with.
pub fn read_key(path: &std::path::Path) -> Result<PublicKey, Failure> {
    verify::read_key_file(path).map_err(|why| {
        Failure::usage(format!(
            "--key {}: {why}",
            sanitize(&path.display().to_string())
        ))
    })
}

/// `regscope verify`'s arguments.
#[derive(clap::Args, Debug)]
// cosign's long flag names would move every description to a line of its own (clap does so past
// 40% of its default 100 columns); the help is not wrapped anyway, so measure against 200.
#[command(term_width = 200)]
pub struct VerifyArgs {
    /// Image reference (`name:tag`, `host:port/repo@sha256:…`).
    reference: String,
    /// The public key, PEM (`cosign.pub`: ECDSA P-256 or P-384, Ed25519, RSA); default: the
    /// key of the config file's `[verify."PATTERN"]` policy matching the repository.
    // With keyless or notation flags too, a signature of any of those kinds satisfies it.
    #[arg(long, value_name = "FILE")]
    key: Option<std::path::PathBuf>,
    /// Keyed: a signature without a transparency-log entry fails (cosign would look it up in
    /// Rekor; regscope, offline, otherwise notes it); default: the policy's `require_tlog`.
    #[arg(long, conflicts_with = "insecure_ignore_tlog")]
    require_tlog: bool,
    /// Keyed: do not check transparency-log entries, as cosign's flag of that name.
    // cosign's deprecated `--private-infrastructure` means the same: scripts still pass it.
    #[arg(long, alias = "private-infrastructure")]
    insecure_ignore_tlog: bool,
    /// Keyless: the signer's identity in the Fulcio certificate (an e-mail or URI), exactly.
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    certificate_identity: Option<String>,
    /// Keyless: a regular expression the certificate's identity must match.
    #[arg(long, value_name = "REGEXP")]
    certificate_identity_regexp: Option<String>,
    /// Keyless: the OIDC issuer that vouched for the identity
    /// (`https://token.actions.githubusercontent.com`).
    #[arg(long, value_name = "URL")]
    certificate_oidc_issuer: Option<String>,
    /// A Sigstore `trusted_root.json` (a private Sigstore): its Fulcio authorities (keyless) and
    /// its log keys (keyless, and a key's log entries); default: the public-good root, embedded.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<std::path::PathBuf>,
    /// notation: verify notation signatures with notation's own trust policy and trust store
    /// (`$XDG_CONFIG_HOME/notation/trustpolicy.json`, `…/notation/truststore`).
    #[arg(long)]
    notation: bool,
    /// notation: this `trustpolicy.json` instead of notation's.
    #[arg(long, value_name = "FILE")]
    trust_policy: Option<std::path::PathBuf>,
    /// notation: this trust store directory (holding `x509/ca/NAME/`) instead of notation's.
    #[arg(long, value_name = "DIR")]
    trust_store: Option<std::path::PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Print where the credentials came from to stderr.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The config file's policy for `image`: how to name it and what it verifies with; or what to
/// do when there is none, or why it is unusable.
pub fn policy_verifier(
    config: &regscope::config::Config,
    image: &ImageRef,
) -> Result<(String, Verifiers), Failure> {
    let ImageRef::Registry(r) = image else {
        return Err(Failure::usage(
            "a layout has no signature policy; give the key with --key FILE",
        ));
    };
    let (pattern, policy) = config
        .verify_policy(&r.registry, &r.repository)
        .ok_or_else(|| {
            Failure::usage(format!(
                "no signature policy in the config file matches {reg}/{repo}; add one: [verify.\"{reg}/{repo}\"] key = \"cosign.pub\"",
                reg = sanitize(&r.registry),
                repo = sanitize(&r.repository)
            ))
        })?;
    verify::policy_verifier(policy)
        .map(|(shown, v)| (shown, v.scoped(image)))
        .map_err(|(what, why)| {
            Failure::usage(format!("[verify.\"{}\"] {what}: {why}", sanitize(pattern)))
        })
}

/// What the flags say to verify with: each kind they name (`--key`, the keyless flags, the
/// notation flags), a signature of any of them satisfying; `None` when they say nothing and
/// the config file's policy applies.
fn flag_verifier(args: &VerifyArgs) -> Result<Option<(String, Verifiers)>, Failure> {
    let mut list = Vec::new();
    if let Some(path) = &args.key {
        let key = read_key(path)?;
        let keyed = verify::keyed::Keyed::new(key, TlogMode::Note, args.trusted_root.as_deref())
            .map_err(|why| Failure::usage(format!("--trusted-root {why}")))?;
        list.push((
            sanitize(&path.display().to_string()).into_owned(),
            Verifier::Key(Box::new(keyed)),
        ));
    }
    // With a key, --trusted-root is the key's (its log keys); alone, it asks for keyless.
    if args.certificate_identity.is_some()
        || args.certificate_identity_regexp.is_some()
        || args.certificate_oidc_issuer.is_some()
        || (args.trusted_root.is_some() && args.key.is_none())
    {
        let keyless = verify::keyless::policy(
            args.certificate_identity.as_deref(),
            args.certificate_identity_regexp.as_deref(),
            args.certificate_oidc_issuer.as_deref(),
            args.trusted_root.as_deref(),
        )
        .map_err(|(setting, why)| Failure::usage(format!("{} {why}", setting.flag())))?;
        list.push((keyless.describe(), Verifier::Keyless(Box::new(keyless))));
    }
    if args.notation || args.trust_policy.is_some() || args.trust_store.is_some() {
        let n = verify::notation::Notation::from_files(
            args.trust_policy.as_deref(),
            args.trust_store.as_deref(),
        )
        .map_err(|(setting, why)| {
            Failure::usage(format!("--{} {why}", setting.replace('_', "-")))
        })?;
        list.push((n.describe(), Verifier::Notation(Box::new(n))));
    }
    Ok(verify::policy::of(list).map(|v| (v.describe(), v)))
}

/// The verifier under `--require-tlog` / `--insecure-ignore-tlog` (they override a key policy's
/// `require_tlog`); a usage error where they mean nothing: on a policy without a key (`keyed`
/// says whether the policy lists one; beside a key they are the key's).
fn log_flags(verifier: Verifier, args: &VerifyArgs, keyed: bool) -> Result<Verifier, Failure> {
    match verifier {
        other @ (Verifier::Keyless(_) | Verifier::Notation(_)) if keyed => Ok(other),
        Verifier::Key(mut keyed) => {
            if args.require_tlog {
                keyed.mode = TlogMode::Require;
            }
            if args.insecure_ignore_tlog {
                keyed.mode = TlogMode::Ignore;
            }
            Ok(Verifier::Key(keyed))
        }
        Verifier::Keyless(_) if args.insecure_ignore_tlog => Err(Failure::usage(
            "--insecure-ignore-tlog is for keyed signatures: a keyless signature's certificate is trusted only through its log entry",
        )),
        Verifier::Notation(_) if args.require_tlog || args.insecure_ignore_tlog => Err(
            Failure::usage("--require-tlog and --insecure-ignore-tlog are for cosign signatures: notation signatures have no transparency log"),
        ),
        // A keyless signature always needs its entry: --require-tlog changes nothing.
        other => Ok(other),
    }
}

/// `regscope verify REF [--key FILE] [--json]`.
pub async fn run(args: &VerifyArgs) -> Result<u8, Failure> {
    let (reference, json) = (args.reference.as_str(), args.json);
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    let connector = args.connection.connector()?;
    let (key_shown, verifiers) = match flag_verifier(args)? {
        Some(v) => v,
        None => policy_verifier(connector.config(), &image).or_else(|f| {
            // No policy of regscope's: a team's notation trust policy in notation's place.
            let configured = matches!(&image, ImageRef::Registry(r)
                if connector.config().verify_policy(&r.registry, &r.repository).is_some());
            if !configured && verify::trustpolicy::default_policy_file().is_some() {
                let n = verify::notation::Notation::from_files(None, None)
                    .map_err(|(setting, why)| Failure::usage(format!("notation's {setting} {why}")))?;
                return Ok((n.describe(), Verifiers::from((n.describe(), Verifier::Notation(Box::new(n))))));
            }
            Err(Failure::usage(format!(
                "no key: give one with --key FILE (or keyless: --certificate-identity and --certificate-oidc-issuer; or notation: --trust-policy FILE), or {}",
                f.message
            )))
        })?,
    };
    let keyed = verifiers.kinds().key;
    let verifiers = verifiers
        .try_map(|v| log_flags(v, args, keyed))?
        .scoped(&image);
    let connection = connector
        .connect_to(&image)
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    report_connection(&connection, args.verbose);
    let inspection = within_deadline(
        connector.settings().deadline,
        &format!("the tree of {image}"),
        inspect(
            &connection.fetcher,
            &image,
            &InspectOptions { attachments: true },
        ),
    )
    .await
    .map_err(|e| Failure::runtime(connection.error(e).to_string()))?;
    // The one judgement every front end makes; the policy's name is only for the others.
    let (verdicts, satisfied) = verify::check_by(
        String::new(),
        key_shown.clone(),
        &verifiers,
        &inspection.root,
    )
    .into_verdicts();
    if json {
        let summary = Summary {
            reference: inspection.reference.clone(),
            digest: inspection.root.digest.clone(),
            key: key_shown,
            key_algorithm: verifiers.algorithm(),
            satisfied,
            signatures: verdicts.iter().map(verify::to_json).collect(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&summary).unwrap_or_default()
        );
        return Ok(u8::from(!satisfied));
    }
    println!(
        "{} {}",
        sanitize(&inspection.reference),
        inspection.root.digest
    );
    for v in &verdicts {
        println!("  {:<11} {}", v.result_name(), verify::describe(v));
    }
    for note in &inspection.attachment_notes {
        println!("  note: {}", sanitize(note));
    }
    println!(
        "{}",
        summary(
            &inspection.root,
            &verdicts,
            &verifiers,
            &key_shown,
            satisfied
        )
    );
    Ok(u8::from(!satisfied))
}

/// The last line of `verify`'s text: `ok: signed by … , matching …` or why it fails, with the
/// counts of signatures and attestations verified.
fn summary(
    root: &regscope::model::Node,
    verdicts: &[verify::Verdict],
    verifiers: &Verifiers,
    key_shown: &str,
    satisfied: bool,
) -> String {
    // A key is named with its algorithm; a keyless policy names itself.
    let with = match verifiers.single() {
        Some(Verifier::Key(k)) => format!("{key_shown} ({})", k.algorithm.describe()),
        _ => key_shown.to_string(),
    };
    // Attestations are counted apart: they never make the image signed.
    let (attestations, signatures): (Vec<_>, Vec<_>) = verdicts.iter().partition(|v| v.attestation);
    let verified = signatures.iter().filter(|v| v.result.is_ok()).count();
    let attested = attestations.iter().filter(|v| v.result.is_ok()).count();
    let also = if attestations.is_empty() {
        String::new()
    } else {
        format!(
            "; {attested} of {} attestations verified",
            attestations.len()
        )
    };
    // Who signed, before the policy it matched: a regexp or a trust policy names no one.
    let by = verdicts
        .iter()
        .filter(|v| v.result.is_ok() && !v.attestation && v.subject == root.digest)
        .find_map(|v| v.signer.as_ref())
        .filter(|_| !matches!(verifiers.single(), Some(Verifier::Key(_))));
    let head = match (satisfied, signatures.len()) {
        (true, n) => match by {
            Some(s) => format!(
                "ok: signed by {}, matching {with}: {verified} of {n} signatures verified",
                s.describe()
            ),
            None => format!("ok: signed with {with}: {verified} of {n} signatures verified"),
        },
        (false, 0) => "FAIL: no signature found (looked in the referrers API, sha256-<hex> and cosign tags)".to_string(),
        (false, n) => format!(
            "FAIL: no signature of this image verifies with {with}; {verified} of {n} signatures verified"
        ),
    };
    format!("{head}{also}")
}
