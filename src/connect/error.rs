//! Why a connection could not be made or used, in words: a refusal says what was sent, from
//! where, and the next step for that source.

use super::CredentialInfo;
use crate::auth::Source;
use crate::config::ConfigError;
use crate::registry::FetchError;

/// Why a connection could not be made or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A CA file (from `--ca-file`, the config file or certs.d) cannot be used.
    #[error("{origin} {path} {detail}")]
    CaFile {
        origin: String,
        path: String,
        detail: String,
    },
    /// The registry (or layout) failed; `credentials` says what was sent.
    #[error("{}", explain(cause, credentials.as_deref()))]
    Fetch {
        cause: FetchError,
        credentials: Option<Box<CredentialInfo>>,
    },
}

impl From<FetchError> for ConnectError {
    fn from(cause: FetchError) -> Self {
        ConnectError::Fetch {
            cause,
            credentials: None,
        }
    }
}

impl ConnectError {
    /// The fetch failure underneath, for a caller that acts on its kind.
    #[must_use]
    pub fn cause(&self) -> Option<&FetchError> {
        match self {
            ConnectError::Fetch { cause, .. } => Some(cause),
            _ => None,
        }
    }

    /// The registry refused the credentials (or their absence): 401 or 403.
    #[must_use]
    pub fn is_auth(&self) -> bool {
        matches!(
            self.cause(),
            Some(FetchError::Unauthorized { .. } | FetchError::Forbidden { .. })
        )
    }

    /// The registry answered and said no (401, 403, 404, 405 or another 4xx): as opposed to
    /// unreachable, failing TLS, timing out, or failing itself (5xx).
    #[must_use]
    pub fn refused_by_registry(&self) -> bool {
        matches!(
            self.cause(),
            Some(
                FetchError::Unauthorized { .. }
                    | FetchError::Forbidden { .. }
                    | FetchError::NotFound { .. }
                    | FetchError::Unexpected { .. }
                    | FetchError::CatalogNotOffered { .. }
                    | FetchError::NotListed { .. }
            )
        )
    }

    /// The content is not there (404), as opposed to unreachable or refused.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.cause().is_some_and(FetchError::is_not_found)
    }
}

/// The message for `cause`: for a refusal, what was sent, from where, and the next step for
/// that source; otherwise the fetch error's own sentence.
pub(super) fn explain(cause: &FetchError, credentials: Option<&CredentialInfo>) -> String {
    let (registry, detail, forbidden) = match cause {
        FetchError::Unauthorized { registry, detail } => (registry, detail, false),
        FetchError::Forbidden { registry, detail } => (registry, detail, true),
        other => return other.to_string(),
    };
    let Some(info) = credentials else {
        return cause.to_string();
    };
    let user = info
        .username
        .as_deref()
        .map(|u| crate::sanitize::sanitize(u).into_owned());
    let code = if forbidden { "403" } else { "401" };
    let sent = match (&info.source, &user) {
        (Source::Anonymous, _) | (_, None) => "anonymous access".to_string(),
        (_, Some(_)) if info.identity_token => format!("the identity token from {}", info.source),
        (source, Some(u)) => format!("the credentials of {u} from {source}"),
    };
    let verb = if forbidden { "denied" } else { "refused" };
    let mut text = format!("{registry} {verb} {sent} ({code}{detail})");
    let next = next_step(registry, info, forbidden);
    text.push_str("; ");
    text.push_str(&next);
    if !info.notes.is_empty() {
        text.push_str(" (skipped: ");
        text.push_str(&info.notes.join("; "));
        text.push(')');
    }
    text
}

/// The concrete next step after a refusal, for the source the credentials came from.
fn next_step(registry: &str, info: &CredentialInfo, forbidden: bool) -> String {
    if forbidden {
        return match info.source {
            Source::Anonymous => format!(
                "the repository is private: log in with `regscope login {registry}` or `docker login {registry}`"
            ),
            _ => "these credentials lack pull permission on this repository: ask for access, or log in as a user who has it".into(),
        };
    }
    match &info.source {
        Source::Anonymous if crate::registry::ecr_host::EcrHost::parse(registry).is_some_and(|h| h.private().is_some()) => format!(
            "no credentials for {registry}: give regscope AWS credentials (AWS_PROFILE, `aws sso login`), or run `aws ecr get-login-password | docker login --username AWS --password-stdin {registry}`"
        ),
        Source::Anonymous => format!(
            "no credentials are configured for {registry}: run `regscope login {registry}` or `docker login {registry}`"
        ),
        Source::AwsEcr { via } => format!(
            "ECR refused the token made with {via}: check the identity with `aws sts get-caller-identity` and that it may pull from this repository (ecr:BatchGetImage, ecr:GetDownloadUrlForLayer)"
        ),
        Source::Explicit => {
            "check --username and the password given with --password-stdin or REGSCOPE_PASSWORD".into()
        }
        Source::Keyring => format!(
            "the stored login is wrong or expired: run `regscope login {registry}` again (or `regscope logout {registry}` to use docker's credentials)"
        ),
        Source::DockerCredHelper { helper, .. } | Source::DockerCredsStore { helper, .. } => {
            if helper == "ecr-login" {
                "docker-credential-ecr-login answered, but ECR refused its token: check the AWS credentials it uses (profile, region, `aws sts get-caller-identity`)".into()
            } else {
                format!(
                    "the credentials docker-credential-{} holds are wrong or expired: run `docker login {registry}` to replace them",
                    crate::sanitize::sanitize(helper)
                )
            }
        }
        Source::DockerAuths { .. } if info.identity_token => format!(
            "the identity token has expired or was revoked: run `docker login {registry}` again"
        ),
        Source::DockerAuths { .. } => format!(
            "the stored login is wrong or expired: run `docker login {registry}` again (or `regscope login {registry}`)"
        ),
        Source::Podman { .. } => format!(
            "the stored login is wrong or expired: run `podman login {registry}` again (or `regscope login {registry}`)"
        ),
    }
}
