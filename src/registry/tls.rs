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

/// Connects to `host[:port]` (443 by default), through `proxy` when the requests go through
/// one (a TLS-inspecting proxy presents its own certificate: that is the one to describe), and
/// returns the leaf certificate presented.
pub async fn presented_certificate(host: &str, proxy: Option<&url::Url>) -> Option<PresentedCert> {
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
        let tcp = match proxy {
            Some(p) if p.scheme() == "http" => tunnel(p, &addr).await?,
            // A SOCKS or HTTPS proxy: not diagnosed (the error still names the proxy).
            Some(_) => return None,
            None => tokio::net::TcpStream::connect(&addr).await.ok()?,
        };
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

/// A TCP stream to `addr` through the HTTP proxy `proxy` (`CONNECT`), read-only.
async fn tunnel(proxy: &url::Url, addr: &str) -> Option<tokio::net::TcpStream> {
    use base64::Engine as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let at = format!(
        "{}:{}",
        proxy.host_str()?,
        proxy.port_or_known_default().unwrap_or(80)
    );
    let mut tcp = tokio::net::TcpStream::connect(at).await.ok()?;
    let mut request = format!("CONNECT {addr} HTTP/1.1\r\nHost: {addr}\r\n");
    if !proxy.username().is_empty() {
        let user = percent_decode(proxy.username());
        let password = percent_decode(proxy.password().unwrap_or(""));
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.ok()?;
    // The proxy's answer ends with an empty line; anything past 8 KiB is not an answer.
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() > 8192 || tcp.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        answer.push(byte[0]);
    }
    let status = String::from_utf8_lossy(&answer);
    let code = status.split_whitespace().nth(1)?;
    (code == "200").then_some(tcp)
}

/// `%XX` escapes of a URL's user info, decoded (`+` stays a plus there).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
pub(crate) struct AcceptAnything;

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
