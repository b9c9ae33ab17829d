//! Which proxy a request goes through, as curl and Go decide it: `https_proxy` / `HTTPS_PROXY`
//! for HTTPS, `http_proxy` / `HTTP_PROXY` for HTTP, `all_proxy` / `ALL_PROXY` for either, and
//! never for a host `no_proxy` / `NO_PROXY` names (`*` for every host, a domain and its
//! subdomains, an IP, a CIDR block, optionally with `:port`) or for this machine: docker and
//! Go never send loopback traffic to a proxy, and over plain HTTP that would hand it the
//! `Authorization` header.

use std::net::IpAddr;

use url::Url;

/// The proxy settings of the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    http: Option<Url>,
    https: Option<Url>,
    no_proxy: Vec<NoProxyEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxyEntry {
    Everything,
    /// `example.com` or `.example.com`: the domain and every subdomain.
    Domain {
        name: String,
        port: Option<u16>,
    },
    Ip {
        ip: IpAddr,
        port: Option<u16>,
    },
    Cidr {
        net: IpAddr,
        bits: u8,
    },
}

impl ProxyConfig {
    /// From the process environment (lower-case names first, as curl reads them).
    #[must_use]
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// From `var` (a lookup such as `std::env::var`).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let get = |lower: &str| {
            var(lower)
                .or_else(|| var(&lower.to_ascii_uppercase()))
                .filter(|v| !v.trim().is_empty())
        };
        let all = get("all_proxy").and_then(|v| parse_proxy(&v));
        Self {
            http: get("http_proxy")
                .and_then(|v| parse_proxy(&v))
                .or_else(|| all.clone()),
            https: get("https_proxy").and_then(|v| parse_proxy(&v)).or(all),
            no_proxy: get("no_proxy")
                .map(|v| v.split(',').filter_map(parse_no_proxy).collect())
                .unwrap_or_default(),
        }
    }

    /// Whether any proxy is configured.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy for `url`, or `None` to connect directly.
    #[must_use]
    pub fn for_url(&self, url: &Url) -> Option<Url> {
        let proxy = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        }?;
        let host = url.host_str()?;
        let port = url.port_or_known_default();
        if is_loopback(host) || self.bypassed(host, port) {
            return None;
        }
        Some(proxy.clone())
    }

    /// The proxy for a registry reached at `host[:port]` over `scheme`, for messages and the
    /// certificate diagnosis.
    #[must_use]
    pub fn for_host(&self, scheme: &str, host: &str) -> Option<Url> {
        Url::parse(&format!("{scheme}://{host}/"))
            .ok()
            .and_then(|u| self.for_url(&u))
    }

    fn bypassed(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let ip: Option<IpAddr> = host.parse().ok();
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.no_proxy.iter().any(|entry| match entry {
            NoProxyEntry::Everything => true,
            NoProxyEntry::Domain { name, port: p } => {
                p.is_none_or(|p| Some(p) == port)
                    && (host == *name || host.ends_with(&format!(".{name}")))
            }
            NoProxyEntry::Ip { ip: want, port: p } => {
                p.is_none_or(|p| Some(p) == port) && ip == Some(*want)
            }
            NoProxyEntry::Cidr { net, bits } => ip.is_some_and(|ip| in_cidr(ip, *net, *bits)),
        })
    }
}

/// `host:port` and `http://host:port` alike (curl takes a bare host as HTTP).
fn parse_proxy(value: &str) -> Option<Url> {
    let value = value.trim();
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    Url::parse(&with_scheme)
        .ok()
        .filter(|u| u.host_str().is_some())
}

fn parse_no_proxy(entry: &str) -> Option<NoProxyEntry> {
    let entry = entry.trim();
    if entry.is_empty() {
        return None;
    }
    if entry == "*" {
        return Some(NoProxyEntry::Everything);
    }
    if let Some((net, bits)) = entry.split_once('/') {
        let net: IpAddr = net.parse().ok()?;
        let bits: u8 = bits.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        return (bits <= max).then_some(NoProxyEntry::Cidr { net, bits });
    }
    // `[::1]:5000`, `10.0.0.1:5000`, `example.com:443`, or without the port.
    let (name, port) = match entry.rsplit_once(':') {
        Some((h, p))
            if !h.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') =>
        {
            (h, p.parse().ok())
        }
        _ => (entry, None),
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Some(NoProxyEntry::Ip { ip, port });
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(NoProxyEntry::Ip { ip, port: None });
    }
    let name = name
        .trim_start_matches("*.")
        .trim_start_matches('.')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    (!name.is_empty()).then_some(NoProxyEntry::Domain { name, port })
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// Whether `host[:port]` names this machine.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> ProxyConfig {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        ProxyConfig::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn via(c: &ProxyConfig, url: &str) -> Option<String> {
        c.for_url(&Url::parse(url).unwrap()).map(|u| u.to_string())
    }

    #[test]
    fn schemes_pick_their_proxy_and_loopback_is_always_direct() {
        let c = config(&[
            ("HTTPS_PROXY", "proxy.corp:3128"),
            ("http_proxy", "http://plain.corp:8080"),
        ]);
        assert_eq!(
            via(&c, "https://ghcr.io/v2/").as_deref(),
            Some("http://proxy.corp:3128/")
        );
        assert_eq!(
            via(&c, "http://reg.lan/v2/").as_deref(),
            Some("http://plain.corp:8080/")
        );
        for local in [
            "http://127.0.0.1:5000/v2/",
            "https://localhost:5000/v2/",
            "http://[::1]:5000/v2/",
            "http://127.8.9.10/v2/",
        ] {
            assert_eq!(via(&c, local), None, "{local}");
        }
        let all = config(&[("ALL_PROXY", "socks5://s.corp:1080")]);
        assert_eq!(
            via(&all, "https://ghcr.io/").as_deref(),
            Some("socks5://s.corp:1080")
        );
        assert!(config(&[]).is_empty());
    }

    #[test]
    fn no_proxy_takes_everything_domains_ips_cidrs_and_ports() {
        let proxied = |no_proxy: &str, url: &str| {
            via(
                &config(&[("HTTPS_PROXY", "p:3128"), ("NO_PROXY", no_proxy)]),
                url,
            )
            .is_some()
        };
        assert!(!proxied("*", "https://ghcr.io/"));
        assert!(!proxied("example.com", "https://reg.example.com/"));
        assert!(!proxied(".example.com", "https://example.com/"));
        assert!(!proxied("*.example.com", "https://a.b.example.com/"));
        assert!(proxied("example.com", "https://notexample.com/"));
        assert!(!proxied("10.1.2.3", "https://10.1.2.3/"));
        assert!(!proxied("10.0.0.0/8, ghcr.io", "https://10.200.0.1:5000/"));
        assert!(proxied("10.0.0.0/8", "https://11.0.0.1/"));
        assert!(!proxied("reg.lan:5000", "https://reg.lan:5000/"));
        assert!(proxied("reg.lan:5000", "https://reg.lan/"));
        assert!(!proxied("fd00::/8", "https://[fd00::1]/"));
        assert!(!proxied("GHCR.IO", "https://ghcr.io/"));
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "localhost",
            "localhost:5000",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["ghcr.io", "10.0.0.1:5000", "registry.local:443"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
