//! Amazon ECR as a credential source: a registry login (`GetAuthorizationToken`) through the
//! AWS credential chain, cached per process, and the errors that say which source failed.
//! Below the connection that asks it; the ECR API's listings are `crate::ecr`'s.
//!
//! The SDK parts (`api`, `chain`) are behind the cargo feature `ecr` (on by default).

#[cfg(feature = "ecr")]
pub mod api;
#[cfg(feature = "ecr")]
pub mod chain;

use chrono::{DateTime, Utc};

use crate::registry::ecr_host::PrivateRegistry;

/// A registry login from `GetAuthorizationToken`. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub username: String,
    pub password: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub proxy_endpoint: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("proxy_endpoint", &self.proxy_endpoint)
            .finish()
    }
}

/// How long a token fetched at `fetched_at` is used. Until a minute before `expiresAt`; a
/// token that arrives already expired (or about to) is used for a quarter of an hour anyway,
/// so a wrong clock or a fake server cannot make every request fetch a new one.
#[must_use]
pub fn token_fresh_until(
    fetched_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> DateTime<Utc> {
    let floor = fetched_at + chrono::Duration::minutes(15);
    match expires_at {
        Some(at) if at - chrono::Duration::minutes(1) > floor => at - chrono::Duration::minutes(1),
        _ => floor,
    }
}

/// Why the ECR API could not be used: one sentence naming the missing piece.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EcrError {
    #[error("no AWS credentials found (tried {tried}); run `aws sso login` (or `aws configure`), set AWS_PROFILE to a profile that has credentials, or install the ECR credential helper (docker-credential-ecr-login)")]
    NoCredentials {
        /// The sources the chain tried, in words.
        tried: String,
    },
    #[error("the AWS SSO session of profile {profile} has expired; run `{login}`")]
    SsoExpired { profile: String, login: String },
    #[error(
        "AWS profile {profile} uses SSO, and there is no SSO login cached for it; run `{login}`"
    )]
    SsoNotLoggedIn { profile: String, login: String },
    #[error("AWS credentials from {from} failed: {detail}; {advice}")]
    CredentialSource {
        from: String,
        detail: String,
        advice: String,
    },
    #[error("the AWS credential chain did not answer within {after_secs}s; check the profile's SSO or credential_process, or set AWS_EC2_METADATA_DISABLED=true off EC2")]
    CredentialsTimedOut { after_secs: u64 },
    #[error("AWS rejected the credentials ({code}: {detail}); check them with `aws sts get-caller-identity`")]
    CredentialsRejected { code: String, detail: String },
    #[error("AWS denied ecr:{action} ({detail}); the IAM identity needs ecr:{action} on this repository")]
    AccessDenied { action: String, detail: String },
    #[error("the repository does not exist in this registry ({0})")]
    RepositoryNotFound(String),
    #[error("ECR throttled {action}; try again in a minute")]
    Throttled { action: String },
    #[error("cannot reach the ECR API for {action}: {detail}; {advice}")]
    Unreachable {
        action: String,
        detail: String,
        advice: String,
    },
    #[error("the ECR API answered with something unreadable: {0}")]
    Malformed(String),
    #[error("ECR {action} failed: {detail}")]
    Other { action: String, detail: String },
    #[error("this regscope was built without the `ecr` feature: use docker-credential-ecr-login, or `aws ecr get-login-password | docker login`")]
    FeatureOff,
}

/// Where the AWS chain will most likely take credentials from, for `regscope auth`, `-v` and
/// the TUI header (the SDK does not say which provider answered).
#[must_use]
pub fn aws_source_hint() -> String {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    if set("AWS_ACCESS_KEY_ID") {
        "AWS_ACCESS_KEY_ID".into()
    } else if let Some(p) = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()) {
        format!("AWS profile {}", crate::sanitize::sanitize(&p))
    } else if set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        "web identity".into()
    } else if set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        || set("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    {
        "container credentials".into()
    } else {
        "the default AWS profile or instance role".into()
    }
}

/// A registry login for the private ECR registry `registry` through the AWS chain, cached
/// per process until [`token_fresh_until`], with that time: a connection using it is made
/// again after it (a TUI stays open longer than the 12-hour token).
#[cfg(feature = "ecr")]
pub async fn login(
    registry: &PrivateRegistry,
    endpoint: Option<&str>,
) -> Result<(Token, DateTime<Utc>), EcrError> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    use tokio::sync::Mutex;

    type Cache = Mutex<HashMap<(String, String, Option<String>), (Token, DateTime<Utc>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = (
        registry.account.clone(),
        registry.region.clone(),
        endpoint.map(str::to_string),
    );
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    // Held across the call: concurrent lookups share one GetAuthorizationToken.
    let mut cache = cache.lock().await;
    if let Some((token, until)) = cache.get(&key) {
        if Utc::now() < *until {
            return Ok((token.clone(), *until));
        }
    }
    let api = api::EcrApi::new(&registry.region, Some(&registry.account), endpoint).await;
    let token = api.authorization_token().await?;
    let until = token_fresh_until(Utc::now(), token.expires_at);
    cache.insert(key, (token.clone(), until));
    Ok((token, until))
}

/// Without the SDK there is no AWS login.
#[cfg(not(feature = "ecr"))]
#[allow(clippy::unused_async)] // the same signature as the `ecr` build's
pub async fn login(
    _registry: &PrivateRegistry,
    _endpoint: Option<&str>,
) -> Result<(Token, DateTime<Utc>), EcrError> {
    Err(EcrError::FeatureOff)
}

/// The ECR API endpoint for a registry: the config file's `ecr_api_endpoint`, else the
/// environment's (`AWS_ENDPOINT_URL_ECR`, read by the SDK itself).
#[must_use]
pub fn api_endpoint(config: &crate::config::Config, registry: &str) -> Option<String> {
    config
        .for_registry(registry)
        .and_then(|t| t.ecr_api_endpoint.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_until_a_minute_before_expiry() {
        let now = Utc::now();
        let at = now + chrono::Duration::hours(12);
        assert_eq!(
            token_fresh_until(now, Some(at)),
            at - chrono::Duration::minutes(1)
        );
    }

    #[test]
    fn an_expired_token_is_not_refetched_in_a_loop() {
        let now = Utc::now();
        let long_ago = DateTime::from_timestamp(1_420_070_400, 0).expect("2015");
        assert_eq!(
            token_fresh_until(now, Some(long_ago)),
            now + chrono::Duration::minutes(15)
        );
        assert_eq!(
            token_fresh_until(now, None),
            now + chrono::Duration::minutes(15)
        );
    }

    #[test]
    fn the_token_debug_hides_the_password() {
        let t = Token {
            username: "AWS".into(),
            password: "s3cret".into(),
            expires_at: None,
            proxy_endpoint: None,
        };
        assert!(!format!("{t:?}").contains("s3cret"));
    }
}
