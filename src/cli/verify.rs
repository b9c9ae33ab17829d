//! `regscope verify REF --key cosign.pub`: each cosign signature of the image checked with a
//! public key; exit 0 when one of the image's own signatures verifies, 1 otherwise.

use super::args::{report_connection, ConnectionArgs};
use super::Failure;
use regscope::connect::within_deadline;
use regscope::inspect::{inspect, InspectOptions};
use regscope::reference::ImageRef;
use regscope::sanitize::sanitize;
use regscope::verify::{self, PublicKey, Summary};

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
pub struct VerifyArgs {
    /// Image reference (`name:tag`, `host:port/repo@sha256:…`).
    reference: String,
    /// The public key, PEM (`cosign.pub`: ECDSA P-256 or P-384, Ed25519, RSA); default: the
    /// key of the config file's `[verify."PATTERN"]` policy matching the repository.
    #[arg(long, value_name = "FILE")]
    key: Option<std::path::PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Print where the credentials came from to stderr.
    #[arg(long, short)]
    verbose: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The key of the config file's policy for `image`, or what to do when there is none.
pub fn policy_key(
    config: &regscope::config::Config,
    image: &ImageRef,
) -> Result<std::path::PathBuf, Failure> {
    let ImageRef::Registry(r) = image else {
        return Err(Failure::usage(
            "a layout has no signature policy; give the key with --key FILE",
        ));
    };
    config
        .verify_policy(&r.registry, &r.repository)
        .map(|(_, p)| p.key.clone())
        .ok_or_else(|| {
            Failure::usage(format!(
                "no signature policy in the config file matches {reg}/{repo}; add one: [verify.\"{reg}/{repo}\"] key = \"cosign.pub\"",
                reg = sanitize(&r.registry),
                repo = sanitize(&r.repository)
            ))
        })
}

/// `regscope verify REF [--key FILE] [--json]`.
pub async fn run(args: &VerifyArgs) -> Result<u8, Failure> {
    let (reference, json) = (args.reference.as_str(), args.json);
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    let connector = args.connection.connector()?;
    let key_path = match &args.key {
        Some(k) => k.clone(),
        None => policy_key(connector.config(), &image).map_err(|f| {
            Failure::usage(format!(
                "no key: give one with --key FILE, or {}",
                f.message
            ))
        })?,
    };
    let key_path = key_path.as_path();
    let key = read_key(key_path)?;
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
    let verdicts = verify::verify_tree(&inspection.root, &key);
    let satisfied = verify::satisfied(&verdicts, &inspection.root);
    let key_shown = sanitize(&key_path.display().to_string()).into_owned();
    if json {
        let summary = Summary {
            reference: inspection.reference.clone(),
            digest: inspection.root.digest.clone(),
            key: key_shown,
            key_algorithm: key.algorithm.describe(),
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
    println!(
        "{}{also}",
        match (satisfied, signatures.len()) {
            (true, n) => format!(
                "ok: signed with {key_shown} ({}): {verified} of {n} signatures verified",
                key.algorithm.describe()
            ),
            (false, 0) => "FAIL: no signature found (looked in the referrers API, sha256-<hex> and cosign tags)".to_string(),
            (false, n) => format!(
                "FAIL: no signature of this image verifies with {key_shown} ({}); {verified} of {n} signatures verified",
                key.algorithm.describe()
            ),
        }
    );
    Ok(u8::from(!satisfied))
}
