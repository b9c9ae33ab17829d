//! Explaining TLS failures: which certificate the server presented, and how to trust it.
//!
//! When verification fails, a second handshake that accepts any certificate captures the chain
//! (nothing is sent over it). A self-signed registry or a corporate TLS-inspecting proxy is then
//! obvious from the subject and issuer.

use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// What a server presented, for a person to recognise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedCert {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    pub sans: Vec<String>,
    pub self_signed: bool,
    pub chain_len: usize,
}

impl PresentedCert {
    /// One sentence: `subject CN=…, issued by CN=…, valid … to …, for 127.0.0.1, localhost`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut s = format!(
            "the server presented `{}` issued by `{}`{}, valid {} to {}",
            self.subject,
            self.issuer,
            if self.self_signed {
                " (self-signed)"
            } else {
                ""
            },
            self.not_before,
            self.not_after
        );
        if !self.sans.is_empty() {
            s.push_str(&format!(", for {}", self.sans.join(", ")));
        }
        if self.chain_len > 1 {
            s.push_str(&format!(" (chain of {})", self.chain_len));
        }
        crate::sanitize::sanitize(&s).into_owned()
    }
}

/// Connects to `host[:port]` (443 by default) and returns the leaf certificate it presents.
pub async fn presented_certificate(host: &str) -> Option<PresentedCert> {
    let (name, addr) = split_host(host);
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .ok()?
    .dangerous()
    .with_custom_certificate_verifier(Arc::new(AcceptAnything))
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let server_name = ServerName::try_from(name.clone()).ok()?;
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect(&addr).await.ok()?;
        let tls = connector.connect(server_name, tcp).await.ok()?;
        let (_, conn) = tls.get_ref();
        let chain: Vec<CertificateDer<'static>> = conn.peer_certificates()?.to_vec();
        parse(&chain)
    };
    tokio::time::timeout(Duration::from_secs(5), attempt)
        .await
        .ok()
        .flatten()
}

fn parse(chain: &[CertificateDer<'_>]) -> Option<PresentedCert> {
    let leaf = chain.first()?;
    let (_, cert) = X509Certificate::from_der(leaf.as_ref()).ok()?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push((*d).to_string()),
                GeneralName::IPAddress(ip) => sans.push(format_ip(ip)),
                _ => {}
            }
        }
    }
    Some(PresentedCert {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
        sans,
        self_signed: cert.subject() == cert.issuer(),
        chain_len: chain.len(),
    })
}

fn format_ip(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]).to_string(),
        16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(a).to_string()
        }
        _ => hex::encode(bytes),
    }
}

/// `host:port` -> (server name for SNI, socket address to dial).
fn split_host(host: &str) -> (String, String) {
    if let Some(rest) = host.strip_prefix('[') {
        let (ip, port) = rest.split_once(']').unwrap_or((rest, ""));
        let port = port.trim_start_matches(':');
        return (
            ip.to_string(),
            format!("[{ip}]:{}", if port.is_empty() { "443" } else { port }),
        );
    }
    match host.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) => (h.to_string(), host.to_string()),
        _ => (host.to_string(), format!("{host}:443")),
    }
}

/// Used only to look at a certificate we have already refused; never for real requests.
#[derive(Debug)]
struct AcceptAnything;

impl ServerCertVerifier for AcceptAnything {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The certificates in a PEM file; an error when it holds none (a wrong file is a usage error,
/// not a TLS failure later).
pub fn parse_pem_certs(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject as _;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("it is not valid PEM ({e})"))?;
    if certs.is_empty() {
        return Err("it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_hosts() {
        assert_eq!(
            split_host("ghcr.io"),
            ("ghcr.io".into(), "ghcr.io:443".into())
        );
        assert_eq!(
            split_host("127.0.0.1:5000"),
            ("127.0.0.1".into(), "127.0.0.1:5000".into())
        );
        assert_eq!(
            split_host("[::1]:5000"),
            ("::1".into(), "[::1]:5000".into())
        );
    }
}
