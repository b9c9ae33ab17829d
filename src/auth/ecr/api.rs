//! The ECR API client through the official AWS SDK (cargo feature `ecr`), and the one call a
//! registry login needs (`GetAuthorizationToken`): read-only calls only.
//!
//! Credentials come from the standard AWS chain (environment, profiles and SSO, web identity,
//! container and instance metadata: [`super::chain`]); the metadata endpoints get short
//! timeouts so a laptop without them answers in about a second, not after the SDK's retries. The region is the
//! registry's (from its host). `AWS_ENDPOINT_URL_ECR` / `AWS_ENDPOINT_URL` (read by the SDK)
//! or the config file's `ecr_api_endpoint` send the API calls elsewhere.
//!
//! Read-only by construction: [`EcrApi`] exposes `GetAuthorizationToken` here and
//! `DescribeRepositories`, `DescribeImages` and `GetLifecyclePolicy` in `ecr::api` and nothing
//! else; the integration tests record every action sent and fail on any other.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_ecr::error::{ProvideErrorMetadata, SdkError};
use base64::Engine as _;
use chrono::{DateTime, Utc};

use super::{EcrError, Token};
use crate::registry::cause::{chain_words, network_cause, NetCause};

/// A whole API operation, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// A connection to the API endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for one registry's region (and account).
#[derive(Debug, Clone)]
pub struct EcrApi {
    pub(crate) client: aws_sdk_ecr::Client,
    /// The registry id (account) to ask about; `None` lets ECR use the caller's account.
    pub(crate) registry_id: Option<String>,
    region: String,
}

impl EcrApi {
    /// A client for `region`; `endpoint` overrides where API calls go (else the SDK's own
    /// resolution, which honours `AWS_ENDPOINT_URL_ECR`).
    pub async fn new(region: &str, registry_id: Option<&str>, endpoint: Option<&str>) -> Self {
        let region = aws_config::Region::new(region.to_string());
        let chain = super::chain::chain(region.clone());
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(region.clone())
            .credentials_provider(chain)
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(OPERATION_TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            )
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
        if let Some(url) = endpoint {
            loader = loader.endpoint_url(url);
        }
        let config = loader.load().await;
        Self {
            client: aws_sdk_ecr::Client::new(&config),
            registry_id: registry_id.map(str::to_string),
            region: region.to_string(),
        }
    }

    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// A registry login (`AWS` and a 12-hour password) from `GetAuthorizationToken`.
    pub async fn authorization_token(&self) -> Result<Token, EcrError> {
        let out = self
            .client
            .get_authorization_token()
            .send()
            .await
            .map_err(|e| classify("GetAuthorizationToken", &e))?;
        let data = out
            .authorization_data()
            .first()
            .ok_or_else(|| EcrError::Malformed("GetAuthorizationToken returned no token".into()))?;
        let encoded = data.authorization_token().unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                EcrError::Malformed("the authorization token is not base64 of user:password".into())
            })?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            EcrError::Malformed("the authorization token is not base64 of user:password".into())
        })?;
        Ok(Token {
            username: username.to_string(),
            password: password.to_string(),
            expires_at: data.expires_at().and_then(to_chrono),
            proxy_endpoint: data.proxy_endpoint().map(str::to_string),
        })
    }
}

pub(crate) fn to_chrono(t: &aws_sdk_ecr::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// One sentence for an API failure, naming the missing piece. Never the SDK's `Debug` form:
/// it dumps foreign responses, headers included.
pub(crate) fn classify<E, R>(action: &str, error: &SdkError<E, R>) -> EcrError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    // The SDK resolves credentials while dispatching: a failed chain shows up inside a
    // dispatch (or construction) failure.
    if let Some(failure) = super::chain::credential_failure(error) {
        return failure;
    }
    match error {
        SdkError::TimeoutError(_) => EcrError::Unreachable {
            action: action.to_string(),
            detail: format!("no answer within {}s", OPERATION_TIMEOUT.as_secs()),
            advice: "the network or the endpoint is slow: try again, and check HTTPS_PROXY/NO_PROXY if this network needs a proxy".into(),
        },
        SdkError::DispatchFailure(f) => {
            let timed_out = f.as_connector_error().is_some_and(aws_sdk_ecr::error::ConnectorError::is_timeout);
            unreachable(action, network_cause(error).or(timed_out.then_some(NetCause::TimedOut)), error)
        }
        SdkError::ConstructionFailure(_) => EcrError::Other {
            action: action.to_string(),
            detail: chain_words(error),
        },
        _ => {
            let code = error.code().unwrap_or("").to_string();
            let message = crate::sanitize::sanitize(error.message().unwrap_or("")).into_owned();
            match code.as_str() {
                "AccessDeniedException" => EcrError::AccessDenied {
                    action: action.to_string(),
                    detail: message,
                },
                "RepositoryNotFoundException" => EcrError::RepositoryNotFound(message),
                "UnrecognizedClientException"
                | "InvalidSignatureException"
                | "ExpiredTokenException"
                | "InvalidClientTokenId" => EcrError::CredentialsRejected {
                    code,
                    detail: message,
                },
                "ThrottlingException" | "TooManyRequestsException" => EcrError::Throttled {
                    action: action.to_string(),
                },
                _ => EcrError::Other {
                    action: action.to_string(),
                    detail: if code.is_empty() {
                        chain_words(error)
                    } else {
                        format!("{}: {message}", crate::sanitize::sanitize(&code))
                    },
                },
            }
        }
    }
}

/// The API endpoint could not be reached: the layer that failed, and advice that fits it.
fn unreachable(
    action: &str,
    cause: Option<NetCause>,
    error: &(dyn std::error::Error + 'static),
) -> EcrError {
    const ENDPOINT: &str = "AWS_ENDPOINT_URL_ECR (or the config file's ecr_api_endpoint)";
    let (detail, advice) = match cause {
        Some(NetCause::Dns { detail }) => (
            format!("the endpoint's name does not resolve ({detail})"),
            format!("check DNS and HTTPS_PROXY/NO_PROXY, or {ENDPOINT}"),
        ),
        Some(NetCause::Refused { detail }) => (
            format!("the endpoint refused the connection ({detail})"),
            format!("nothing listens there: check {ENDPOINT}, and that the service behind it is running"),
        ),
        Some(NetCause::TimedOut) => (
            format!("no connection within {}s", CONNECT_TIMEOUT.as_secs()),
            "check the network, a firewall on the way, or HTTPS_PROXY/NO_PROXY if this network needs a proxy".into(),
        ),
        Some(NetCause::NoRoute { detail }) => (
            format!("no route to the endpoint ({detail})"),
            "check the network (VPN, Wi-Fi), or HTTPS_PROXY/NO_PROXY".into(),
        ),
        None => (
            chain_words(error),
            format!("check access to the ECR endpoint, or {ENDPOINT}"),
        ),
    };
    EcrError::Unreachable {
        action: action.to_string(),
        detail,
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::cause::assert_no_debug_syntax;
    use aws_sdk_ecr::error::ConnectorError;
    use aws_sdk_ecr::operation::get_authorization_token::GetAuthorizationTokenError;

    type Error = SdkError<GetAuthorizationTokenError, ()>;

    fn dispatch(connector: ConnectorError) -> String {
        let e: Error = SdkError::dispatch_failure(connector);
        let text = classify("GetAuthorizationToken", &e).to_string();
        assert_no_debug_syntax(&text);
        text
    }

    /// hyper-util's connector wraps the resolver's error in one that says "dns error".
    #[derive(Debug)]
    struct DnsError(std::io::Error);

    impl std::fmt::Display for DnsError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("dns error")
        }
    }

    impl std::error::Error for DnsError {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn an_empty_credential_chain_inside_a_dispatch_failure_names_the_sources() {
        let creds = aws_credential_types::provider::error::CredentialsError::not_loaded(
            "no providers in chain provided credentials",
        );
        let text = dispatch(ConnectorError::other(Box::new(creds), None));
        assert!(
            text.starts_with("no AWS credentials found (tried"),
            "{text}"
        );
        assert!(text.contains("aws sso login"), "{text}");
    }

    #[test]
    fn a_failed_credential_source_inside_a_dispatch_failure_is_named() {
        let failed = super::super::chain::SourceFailed {
            source: super::super::chain::AwsSource::InstanceMetadata,
            error: aws_credential_types::provider::error::CredentialsError::provider_error(
                "failed to load IMDS session token",
            ),
        };
        let creds = aws_credential_types::provider::error::CredentialsError::provider_error(failed);
        let text = dispatch(ConnectorError::other(Box::new(creds), None));
        assert!(
            text.starts_with("AWS credentials from instance metadata (IMDS) failed: failed to load IMDS session token"),
            "{text}"
        );
    }

    #[test]
    fn network_failures_name_their_layer() {
        let text = dispatch(ConnectorError::io(Box::new(DnsError(
            std::io::Error::other(
                "failed to lookup address information: Name or service not known",
            ),
        ))));
        assert!(
            text.contains("the endpoint's name does not resolve"),
            "{text}"
        );
        assert!(
            text.contains("check DNS and HTTPS_PROXY/NO_PROXY"),
            "{text}"
        );
        assert!(!text.contains("running"), "{text}");

        let text = dispatch(ConnectorError::io(Box::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        ))));
        assert!(
            text.contains("the endpoint refused the connection"),
            "{text}"
        );
        assert!(text.contains("the service behind it is running"), "{text}");

        let text = dispatch(ConnectorError::timeout(Box::new(std::io::Error::from(
            std::io::ErrorKind::TimedOut,
        ))));
        assert!(text.contains("no connection within 5s"), "{text}");

        let e: Error = SdkError::timeout_error("operation timeout");
        let text = classify("DescribeImages", &e).to_string();
        assert!(text.contains("no answer within 30s"), "{text}");
    }
}
