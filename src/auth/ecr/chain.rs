//! The AWS credential chain, as the SDK's default one (environment, shared config and
//! credentials files with their SSO and `credential_process` profiles, web identity, container,
//! instance metadata) but with each source named, so a failure says which source failed, in
//! words, and what to do: the SDK's own errors are `Debug` dumps that quote foreign responses.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{future, ProvideCredentials};
use aws_credential_types::Credentials;

use super::EcrError;
use crate::registry::cause::{chain_words, words};

/// How long the instance and container metadata endpoints get before the chain moves on: on a
/// laptop nothing answers there, and the SDK's own defaults wait seconds.
pub const METADATA_TIMEOUT: Duration = Duration::from_millis(800);

/// One source of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsSource {
    Environment,
    Profile,
    WebIdentity,
    Container,
    InstanceMetadata,
}

/// A source that failed (as opposed to having nothing): the chain stops there.
#[derive(Debug)]
pub struct SourceFailed {
    pub source: AwsSource,
    pub error: CredentialsError,
}

impl fmt::Display for SourceFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match self.source {
            AwsSource::Environment => "environment",
            AwsSource::Profile => "profile",
            AwsSource::WebIdentity => "web identity",
            AwsSource::Container => "container",
            AwsSource::InstanceMetadata => "instance metadata",
        };
        write!(f, "the {source} credential source failed")
    }
}

impl Error for SourceFailed {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.error)
    }
}

/// A provider whose failures carry its source.
#[derive(Debug)]
struct Named<P> {
    source: AwsSource,
    inner: P,
}

impl<P: ProvideCredentials> ProvideCredentials for Named<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            self.inner.provide_credentials().await.map_err(|e| match e {
                // "Nothing here": the chain goes on to the next source.
                e @ CredentialsError::CredentialsNotLoaded(_) => e,
                e => CredentialsError::provider_error(SourceFailed {
                    source: self.source,
                    error: e,
                }),
            })
        })
    }

    fn fallback_on_interrupt(&self) -> Option<Credentials> {
        self.inner.fallback_on_interrupt()
    }
}

/// The chain for `region`, in the SDK's default order, instance metadata bounded by
/// [`METADATA_TIMEOUT`] and one attempt.
#[must_use]
pub fn chain(region: aws_config::Region) -> CredentialsProviderChain {
    use aws_config::{
        ecs::EcsCredentialsProvider, environment::EnvironmentVariableCredentialsProvider,
        imds::credentials::ImdsCredentialsProvider, profile::ProfileFileCredentialsProvider,
        web_identity_token::WebIdentityTokenCredentialsProvider,
    };
    let conf = ProviderConfig::default().with_region(Some(region));
    let imds = aws_config::imds::Client::builder()
        .configure(&conf)
        .connect_timeout(METADATA_TIMEOUT)
        .read_timeout(METADATA_TIMEOUT)
        .max_attempts(1)
        .build();
    CredentialsProviderChain::first_try(
        "Environment",
        Named {
            source: AwsSource::Environment,
            inner: EnvironmentVariableCredentialsProvider::new(),
        },
    )
    .or_else(
        "Profile",
        Named {
            source: AwsSource::Profile,
            inner: ProfileFileCredentialsProvider::builder()
                .configure(&conf)
                .build(),
        },
    )
    .or_else(
        "WebIdentityToken",
        Named {
            source: AwsSource::WebIdentity,
            inner: WebIdentityTokenCredentialsProvider::builder()
                .configure(&conf)
                .build(),
        },
    )
    .or_else(
        "EcsContainer",
        Named {
            source: AwsSource::Container,
            inner: EcsCredentialsProvider::builder().configure(&conf).build(),
        },
    )
    .or_else(
        "Ec2InstanceMetadata",
        Named {
            source: AwsSource::InstanceMetadata,
            inner: ImdsCredentialsProvider::builder()
                .configure(&conf)
                .imds_client(imds)
                .build(),
        },
    )
}

/// The credential failure in `error`'s chain, in words; `None` when the chain holds none.
#[must_use]
pub fn credential_failure(error: &(dyn Error + 'static)) -> Option<EcrError> {
    let mut link = Some(error);
    let mut first = None;
    while let Some(e) = link {
        if let Some(failed) = e.downcast_ref::<SourceFailed>() {
            return Some(source_failed(failed.source, &failed.error));
        }
        if first.is_none() {
            first = e.downcast_ref::<CredentialsError>();
        }
        link = e.source();
    }
    Some(match first? {
        CredentialsError::CredentialsNotLoaded(_) => EcrError::NoCredentials {
            tried: tried(&|k| std::env::var(k).ok()),
        },
        CredentialsError::ProviderTimedOut(t) => EcrError::CredentialsTimedOut {
            after_secs: t.timeout_duration().as_secs().max(1),
        },
        other => EcrError::CredentialSource {
            from: "the AWS credential chain".into(),
            detail: credentials_words(other),
            advice: FIX.into(),
        },
    })
}

/// The ways to get credentials, for every message that has none.
const FIX: &str = "run `aws sso login` (or `aws configure`), set AWS_PROFILE to a profile that has credentials, or install the ECR credential helper (docker-credential-ecr-login)";

/// What went wrong, without the SDK's generic sentences ("an error occurred while loading
/// credentials") that wrap the cause.
fn credentials_words(error: &CredentialsError) -> String {
    const GENERIC: [&str; 4] = [
        "service error: ",
        "an error occurred while loading credentials: ",
        "an error occurred while loading an access token: ",
        "the credentials provider was not properly configured: ",
    ];
    let mut text = chain_words(error);
    for generic in GENERIC {
        text = text.replace(generic, "");
    }
    text
}

fn source_failed(source: AwsSource, error: &CredentialsError) -> EcrError {
    let detail = credentials_words(error);
    let profile = profile_name(&|k| std::env::var(k).ok());
    match source {
        AwsSource::Profile if is_sso_expired(&detail) => EcrError::SsoExpired {
            login: sso_login_command(&profile),
            profile,
        },
        AwsSource::Profile if is_sso_never_logged_in(&detail) => EcrError::SsoNotLoggedIn {
            login: sso_login_command(&profile),
            profile,
        },
        AwsSource::Profile if detail.contains("external process") => {
            EcrError::CredentialSource {
                from: format!("the credential_process of AWS profile {profile}"),
                detail: process_detail(&detail),
                advice: format!(
                    "fix the command in the profile (run it by hand to see why it fails), or set AWS_PROFILE to another profile; {FIX}"
                ),
            }
        }
        AwsSource::Profile => EcrError::CredentialSource {
            from: format!("AWS profile {profile} ({})", config_file(&|k| std::env::var(k).ok())),
            detail,
            advice: format!("fix the profile or set AWS_PROFILE to another; {FIX}"),
        },
        AwsSource::InstanceMetadata => EcrError::CredentialSource {
            from: "instance metadata (IMDS)".into(),
            detail,
            advice: format!(
                "off EC2 nothing should answer there: set AWS_EC2_METADATA_DISABLED=true; {FIX}"
            ),
        },
        AwsSource::WebIdentity => EcrError::CredentialSource {
            from: "web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)".into(),
            detail,
            advice: "check the token file and the role it assumes".into(),
        },
        AwsSource::Container => EcrError::CredentialSource {
            from: "container credentials (AWS_CONTAINER_CREDENTIALS_*)".into(),
            detail,
            advice: "check the task role, or unset AWS_CONTAINER_CREDENTIALS_* outside a container".into(),
        },
        AwsSource::Environment => EcrError::CredentialSource {
            from: "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)".into(),
            detail,
            advice: "set both variables, or unset them to use a profile".into(),
        },
    }
}

/// An SSO profile whose cached login has expired (the SDK's words for an `sso_session`
/// profile, and the SSO service's for a legacy `sso_start_url` one).
fn is_sso_expired(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("sso token has expired") || d.contains("session token not found or invalid")
}

/// An SSO profile with no usable cached login (`~/.aws/sso/cache/….json` missing or
/// unreadable: an `sso_session` profile says only "failed to load", a legacy one names the file).
fn is_sso_never_logged_in(detail: &str) -> bool {
    detail.contains("failed to load the cached SSO token")
        || (detail.contains("failed to read") && detail.contains("sso/cache"))
}

/// `credential_process`'s failure without the SDK's wrapping: the exit status and what the
/// command wrote to stderr.
fn process_detail(detail: &str) -> String {
    let d = detail
        .split_once("external process")
        .map_or(detail, |(_, rest)| rest)
        .trim_start_matches([' ', ':', ','])
        .replace("Stderr:", "its stderr:");
    words(&d)
}

fn sso_login_command(profile: &str) -> String {
    if profile == "default" {
        "aws sso login".into()
    } else {
        format!("aws sso login --profile {profile}")
    }
}

/// `AWS_PROFILE` as the SDK reads it (`AWS_DEFAULT_PROFILE` too), else `default`.
fn profile_name(var: &dyn Fn(&str) -> Option<String>) -> String {
    var("AWS_PROFILE")
        .or_else(|| var("AWS_DEFAULT_PROFILE"))
        .filter(|p| !p.trim().is_empty())
        .map_or_else(
            || "default".into(),
            |p| crate::sanitize::sanitize(&p).into_owned(),
        )
}

fn config_file(var: &dyn Fn(&str) -> Option<String>) -> String {
    file_var(var, "AWS_CONFIG_FILE", "~/.aws/config")
}

/// The file `name` points at, else where the SDK looks by default.
fn file_var(var: &dyn Fn(&str) -> Option<String>, name: &str, default: &str) -> String {
    var(name).filter(|p| !p.trim().is_empty()).map_or_else(
        || default.into(),
        |p| crate::sanitize::sanitize(&p).into_owned(),
    )
}

/// The sources tried, as a user would check them.
fn tried(var: &dyn Fn(&str) -> Option<String>) -> String {
    let imds_off = var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let imds = if imds_off {
        "instance metadata (off: AWS_EC2_METADATA_DISABLED)".to_string()
    } else {
        format!(
            "instance metadata (given {} ms)",
            METADATA_TIMEOUT.as_millis()
        )
    };
    format!(
        "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS profile {} in {} and {} (keys, SSO, credential_process), web identity, container credentials, {imds}",
        profile_name(var),
        config_file(var),
        file_var(var, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::cause::assert_no_debug_syntax;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn no_credentials_lists_every_source_tried_and_the_fixes() {
        let e = credential_failure(&CredentialsError::not_loaded("no providers in chain"))
            .expect("mapped");
        let text = e.to_string();
        assert!(text.starts_with("no AWS credentials found"), "{text}");
        for part in [
            "AWS_ACCESS_KEY_ID",
            "AWS profile",
            "SSO",
            "credential_process",
            "web identity",
            "container credentials",
            "instance metadata",
            "aws sso login",
            "AWS_PROFILE",
            "docker-credential-ecr-login",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
        assert_no_debug_syntax(&text);
    }

    #[test]
    fn the_sources_tried_name_the_profile_and_whether_metadata_was_asked() {
        let t = tried(&env(&[
            ("AWS_PROFILE", "dev"),
            ("AWS_CONFIG_FILE", "/tmp/c"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ]));
        assert!(t.contains("AWS profile dev in /tmp/c"), "{t}");
        assert!(t.contains("instance metadata (off"), "{t}");
        let t = tried(&env(&[]));
        assert!(
            t.contains("AWS profile default in ~/.aws/config and ~/.aws/credentials"),
            "{t}"
        );
        assert!(t.contains("instance metadata (given 800 ms)"), "{t}");
    }

    #[test]
    fn an_expired_sso_session_says_to_log_in_again() {
        let failed = SourceFailed {
            source: AwsSource::Profile,
            error: CredentialsError::provider_error(
                "the SSO token has expired and cannot be refreshed",
            ),
        };
        let e = credential_failure(&failed).expect("mapped");
        assert!(matches!(e, EcrError::SsoExpired { .. }), "{e}");
        assert!(e.to_string().contains("aws sso login"), "{e}");
        assert_no_debug_syntax(&e.to_string());
    }

    #[test]
    fn a_failing_credential_process_is_named_with_its_stderr() {
        let failed = SourceFailed {
            source: AwsSource::Profile,
            error: CredentialsError::provider_error(
                "Error retrieving credentials: external process exited with code exit status: 3. Stderr: vault is sealed",
            ),
        };
        let text = credential_failure(&failed).expect("mapped").to_string();
        assert!(text.contains("credential_process of AWS profile"), "{text}");
        assert!(text.contains("vault is sealed"), "{text}");
        assert!(text.contains("exit status: 3"), "{text}");
    }

    #[test]
    fn instance_metadata_answering_forbidden_is_named_without_its_response() {
        let failed = SourceFailed {
            source: AwsSource::InstanceMetadata,
            error: CredentialsError::provider_error(
                "error response from IMDS (code: 403). Response { status: StatusCode(403), headers: {\"server\": \"proxy\"} }",
            ),
        };
        let text = credential_failure(&failed).expect("mapped").to_string();
        assert!(text.contains("instance metadata (IMDS)"), "{text}");
        assert!(text.contains("AWS_EC2_METADATA_DISABLED=true"), "{text}");
        assert!(!text.contains("server"), "{text}");
        assert!(!text.contains("StatusCode("), "{text}");
    }

    #[test]
    fn a_chain_that_timed_out_says_so() {
        let e = credential_failure(&CredentialsError::provider_timed_out(Duration::from_secs(
            5,
        )))
        .expect("mapped");
        assert!(e.to_string().contains("5s"), "{e}");
    }
}
