//! Which network layer failed, read from a foreign error's `source()` chain (reqwest, hyper,
//! the AWS SDK's connector): the name did not resolve, the host refused, nothing answered, no
//! route. Each layer has its own advice; "is the registry running?" fits only a refusal.

use std::error::Error;
use std::time::Duration;

use super::FetchError;

/// How long a TCP (and TLS) connection may take to open at most.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connect timeout for requests that may take `request` in all: at most half of it, so a
/// connection nobody accepts is reported as such, not as a slow answer.
#[must_use]
pub fn connect_timeout(request: Duration) -> Duration {
    CONNECT_TIMEOUT.min(request / 2)
}

/// The layer a connection failed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetCause {
    /// The host name did not resolve; `detail` is the resolver's words.
    Dns { detail: String },
    /// The host resolved and refused: nothing listens on that port.
    Refused { detail: String },
    /// Nothing answered in time (packets dropped, wrong address, a full listen queue).
    TimedOut,
    /// No route to the host or its network.
    NoRoute { detail: String },
}

/// The first network layer named anywhere in `error`'s chain, if any.
#[must_use]
pub fn network_cause(error: &(dyn Error + 'static)) -> Option<NetCause> {
    let mut link = Some(error);
    let mut found = None;
    while let Some(e) = link {
        let text = e.to_string();
        // hyper-util's connector says "dns error" around the resolver's own error; getaddrinfo
        // says "failed to lookup address information".
        if text == "dns error" || text.starts_with("failed to lookup address information") {
            return Some(NetCause::Dns {
                detail: innermost(e),
            });
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            found = found.or(match io.kind() {
                ErrorKind::ConnectionRefused => Some(NetCause::Refused {
                    detail: words(&text),
                }),
                ErrorKind::TimedOut => Some(NetCause::TimedOut),
                ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable => {
                    Some(NetCause::NoRoute {
                        detail: words(&text),
                    })
                }
                _ => None,
            });
        }
        link = e.source();
    }
    found
}

/// An error's chain as words: each link's `Display` (never `Debug`), repeats dropped, anything
/// that looks like a debug dump cut off, sanitized and bounded. Foreign errors can embed a
/// response (status, headers) in their text: that never reaches the user.
#[must_use]
pub fn chain_words(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut link = Some(error);
    while let Some(e) = link {
        let text = words(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        link = e.source();
    }
    bounded(&parts.join(": "), 300)
}

/// The innermost link's words ("Connection refused (os error 111)").
fn innermost(error: &(dyn Error + 'static)) -> String {
    let mut last = error;
    while let Some(next) = last.source() {
        last = next;
    }
    words(&last.to_string())
}

/// Text cut before the first sign of Rust `Debug` output, sanitized.
#[must_use]
pub fn words(text: &str) -> String {
    const DEBUG_SIGNS: [&str; 7] = [
        "{",
        "Some(",
        "None",
        "StatusCode(",
        "kind: ",
        "Response",
        "headers",
    ];
    let cut = DEBUG_SIGNS
        .iter()
        .filter_map(|s| text.find(s))
        .min()
        .unwrap_or(text.len());
    let kept = text[..cut].trim_end_matches([' ', '.', ',', ':', '(', ';']);
    crate::sanitize::sanitize(kept.trim()).into_owned()
}

/// `10s`, `1.5s`.
#[must_use]
pub fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

fn bounded(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

/// A connection failure named for its layer; `None` when the error is not a connection
/// failure of a layer named here (TLS, a refusal, and the rest stay with the caller).
/// `host` is where the request went, `proxy` the proxy it went through (its printable name),
/// `connect_timeout` the limit a connection had.
#[must_use]
pub fn connect_failure(
    host: &str,
    error: &reqwest::Error,
    proxy: Option<String>,
    connect_timeout: Duration,
) -> Option<FetchError> {
    if !error.is_connect() {
        return None;
    }
    let cause =
        network_cause(error).or_else(|| error.is_timeout().then_some(NetCause::TimedOut))?;
    let host = error
        .url()
        .and_then(|u| {
            u.host_str().map(|h| {
                format!(
                    "{h}{}",
                    u.port().map(|p| format!(":{p}")).unwrap_or_default()
                )
            })
        })
        .unwrap_or_else(|| host.to_string());
    if let Some(proxy) = proxy {
        let detail = match cause {
            NetCause::Dns { detail } => format!("the proxy's name does not resolve ({detail})"),
            NetCause::Refused { detail } => {
                format!("the proxy refused the connection ({detail}): nothing listens there")
            }
            NetCause::TimedOut => format!(
                "the proxy did not accept a connection within {}",
                seconds(connect_timeout)
            ),
            NetCause::NoRoute { detail } => format!("no route to the proxy ({detail})"),
        };
        return Some(FetchError::Proxy {
            host,
            proxy,
            detail,
        });
    }
    match cause {
        NetCause::Dns { detail } => {
            let name = error
                .url()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or(host);
            Some(FetchError::Dns {
                context: dns_context(&name),
                name: crate::sanitize::sanitize(&name).into_owned(),
                detail,
            })
        }
        NetCause::TimedOut => Some(FetchError::ConnectTimeout {
            host,
            after: connect_timeout,
        }),
        NetCause::NoRoute { detail } => Some(FetchError::NoRoute { host, detail }),
        // A refusal keeps the caller's `Connect` (the host resolved: is the registry running?).
        NetCause::Refused { .. } => None,
    }
}

/// What was in effect for a failed lookup of `name`: the resolver and the proxy settings.
fn dns_context(name: &str) -> String {
    let resolver = std::fs::read_to_string("/etc/resolv.conf")
        .ok()
        .and_then(|conf| first_nameserver(&conf))
        .map_or_else(
            || "no nameserver in /etc/resolv.conf".to_string(),
            |ns| format!("resolver {ns} from /etc/resolv.conf"),
        );
    let proxies = super::proxy::ProxyConfig::from_env();
    let proxy = if proxies.is_empty() {
        "no proxy set (HTTPS_PROXY)".to_string()
    } else {
        format!("a proxy is set, but NO_PROXY sends {name} direct")
    };
    format!("{resolver}; {proxy}")
}

fn first_nameserver(conf: &str) -> Option<String> {
    conf.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(str::trim)
        .find(|ns| !ns.is_empty())
        .map(|ns| crate::sanitize::sanitize(ns).into_owned())
}

/// Fails when `text` shows Rust `Debug` syntax or a response's headers (unit tests' check; the
/// integration tests have their own in `tests/support`).
#[cfg(test)]
pub(crate) fn assert_no_debug_syntax(text: &str) {
    for sign in [
        "{ source:",
        "Some(",
        "None",
        "StatusCode(",
        "kind: ",
        "headers",
    ] {
        assert!(!text.contains(sign), "`{sign}` in {text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrap(&'static str, Option<Box<dyn Error + Send + Sync>>);

    impl std::fmt::Display for Wrap {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrap {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            self.1.as_deref().map(|e| e as &(dyn Error + 'static))
        }
    }

    fn io(kind: std::io::ErrorKind, text: &'static str) -> Wrap {
        Wrap(
            "client error (Connect)",
            Some(Box::new(Wrap(
                "tcp connect error",
                Some(Box::new(std::io::Error::new(kind, text))),
            ))),
        )
    }

    #[test]
    fn each_layer_is_named_from_the_chain() {
        let dns = Wrap(
            "client error (Connect)",
            Some(Box::new(Wrap(
                "dns error",
                Some(Box::new(std::io::Error::other(
                    "failed to lookup address information: Name or service not known",
                ))),
            ))),
        );
        assert_eq!(
            network_cause(&dns),
            Some(NetCause::Dns {
                detail: "failed to lookup address information: Name or service not known".into()
            })
        );
        assert_eq!(
            network_cause(&io(
                std::io::ErrorKind::ConnectionRefused,
                "Connection refused"
            )),
            Some(NetCause::Refused {
                detail: "Connection refused".into()
            })
        );
        assert_eq!(
            network_cause(&io(std::io::ErrorKind::TimedOut, "connect timeout")),
            Some(NetCause::TimedOut)
        );
        assert_eq!(
            network_cause(&io(
                std::io::ErrorKind::NetworkUnreachable,
                "Network is unreachable"
            )),
            Some(NetCause::NoRoute {
                detail: "Network is unreachable".into()
            })
        );
        assert_eq!(
            network_cause(&io(std::io::ErrorKind::PermissionDenied, "denied")),
            None
        );
    }

    #[test]
    fn chain_words_never_carry_a_debug_dump_or_headers() {
        let e = Wrap(
            "dispatch failure",
            Some(Box::new(Wrap(
                "error response from IMDS (code: 403). Response { status: StatusCode(403), headers: {\"server\": \"x\"} }",
                Some(Box::new(Wrap("request forbidden", None))),
            ))),
        );
        let text = chain_words(&e);
        assert_eq!(
            text,
            "dispatch failure: error response from IMDS (code: 403): request forbidden"
        );
        assert_no_debug_syntax(&text);
    }

    #[test]
    fn the_resolver_is_read_from_resolv_conf() {
        assert_eq!(
            first_nameserver("# generated\nsearch lan\nnameserver 10.0.0.2\nnameserver 1.1.1.1\n"),
            Some("10.0.0.2".into())
        );
        assert_eq!(first_nameserver("search lan\n"), None);
    }
}
