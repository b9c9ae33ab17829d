//! Recognising Amazon ECR registries by name, as the ecr-login helper and the AWS docs do.
//! Naming only (no AWS call): the registry client and the credential chain ask it, so it lives
//! below them; `ecr::host` re-exports it.
//!
//! Private registries: `ACCOUNT.dkr.ecr.REGION.amazonaws.com`, the China partition
//! (`.amazonaws.com.cn`), the FIPS endpoints (`ACCOUNT.dkr.ecr-fips.REGION.amazonaws.com`) and
//! the dual-stack ones (`ACCOUNT.dkr-ecr.REGION.on.aws`, `...on.amazonwebservices.com.cn`).
//! ECR Public is `public.ecr.aws` (anonymous pulls get a Bearer token from its own realm).

use std::fmt;

/// An ECR registry, from its host name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EcrHost {
    Private(PrivateRegistry),
    /// `public.ecr.aws`.
    Public,
}

/// One account's private registry in one region.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PrivateRegistry {
    /// The 12-digit AWS account id (the registry id in the ECR API).
    pub account: String,
    pub region: String,
    /// `dkr.ecr-fips`: the FIPS 140 endpoint.
    pub fips: bool,
    /// The China partition (`amazonaws.com.cn`).
    pub china: bool,
    /// `dkr-ecr.REGION.on.aws`: the dual-stack (IPv6) endpoint.
    pub dual_stack: bool,
}

impl EcrHost {
    /// The ECR registry `registry` names (`host[:port]`, any case), if it is one.
    #[must_use]
    pub fn parse(registry: &str) -> Option<Self> {
        let host = registry
            .rsplit_once(':')
            .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
            .map_or(registry, |(h, _)| h)
            .to_ascii_lowercase();
        if host == "public.ecr.aws" {
            return Some(Self::Public);
        }
        let (account, rest) = host.split_once('.')?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (fips, dual_stack, rest) = if let Some(r) = rest.strip_prefix("dkr.ecr.") {
            (false, false, r)
        } else if let Some(r) = rest.strip_prefix("dkr.ecr-fips.") {
            (true, false, r)
        } else if let Some(r) = rest.strip_prefix("dkr-ecr.") {
            (false, true, r)
        } else if let Some(r) = rest.strip_prefix("dkr-ecr-fips.") {
            (true, true, r)
        } else {
            return None;
        };
        let (region, suffix) = rest.split_once('.')?;
        let china = match (dual_stack, suffix) {
            (false, "amazonaws.com") | (true, "on.aws") => false,
            (false, "amazonaws.com.cn") | (true, "on.amazonwebservices.com.cn") => true,
            _ => return None,
        };
        let region_ok = !region.is_empty()
            && region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        region_ok.then(|| {
            Self::Private(PrivateRegistry {
                account: account.to_string(),
                region: region.to_string(),
                fips,
                china,
                dual_stack,
            })
        })
    }

    /// The private registry, when this is one.
    #[must_use]
    pub fn private(&self) -> Option<&PrivateRegistry> {
        match self {
            Self::Private(p) => Some(p),
            Self::Public => None,
        }
    }
}

impl fmt::Display for EcrHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Public => f.write_str("ECR Public"),
            Self::Private(p) => {
                write!(f, "ECR {} in {}", p.account, p.region)?;
                if p.fips {
                    f.write_str(" (FIPS endpoint)")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private(host: &str) -> PrivateRegistry {
        EcrHost::parse(host)
            .and_then(|h| h.private().cloned())
            .unwrap_or_else(|| panic!("{host} is ECR"))
    }

    #[test]
    fn recognises_every_private_form() {
        let p = private("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
        assert_eq!(
            (p.account.as_str(), p.region.as_str()),
            ("123456789012", "eu-west-1")
        );
        assert!(!p.fips && !p.china && !p.dual_stack);
        assert!(private("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com").fips);
        let cn = private("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
        assert!(cn.china && cn.region == "cn-north-1");
        let ds = private("123456789012.dkr-ecr.us-east-1.on.aws");
        assert!(ds.dual_stack && !ds.china);
        assert!(private("123456789012.DKR.ECR.us-east-1.AMAZONAWS.COM:443").region == "us-east-1");
        assert_eq!(EcrHost::parse("public.ecr.aws"), Some(EcrHost::Public));
    }

    #[test]
    fn other_hosts_are_not_ecr() {
        for host in [
            "ghcr.io",
            "docker.io",
            "127.0.0.1:5000",
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
            "12345678901a.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
            "123456789012.dkr.ecr..amazonaws.com",
            "123456789012.ecr.us-east-1.amazonaws.com",
            "public.ecr.aws.evil.example",
        ] {
            assert_eq!(EcrHost::parse(host), None, "{host}");
        }
    }
}
