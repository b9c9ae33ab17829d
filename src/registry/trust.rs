//! Which certificates a registry's TLS server must chain to: the system's roots (read the way
//! the platform keeps them) plus any `--ca-file`, loaded when a handshake first needs them.
//!
//! Reading the system roots means opening and parsing hundreds of files (`/etc/ssl/certs`): tens
//! of milliseconds, which reqwest would spend on every client it builds, and a plain-HTTP or
//! fully cached run would spend for nothing. Here they are read once per process, on the first
//! TLS handshake; every registry without a CA file of its own shares that one verifier.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// The TLS client configuration for one registry: the system roots plus `extra_roots`, or no
/// verification at all with `insecure` (`--insecure`). ALPN offers HTTP/2 and HTTP/1.1, as
/// reqwest does when it builds the configuration itself.
pub fn client_config(
    extra_roots: Vec<CertificateDer<'static>>,
    insecure: bool,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = if insecure {
        Arc::new(super::tls::AcceptAnything)
    } else if extra_roots.is_empty() {
        system()
    } else {
        Arc::new(LazyVerifier::new(extra_roots, provider.clone()))
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// The one HTTP client every request to a registry or its service's API goes through: the
/// system roots plus `ca_pems` (or no verification with `insecure`), regscope's own proxy
/// choice, no redirects followed by reqwest. One builder, so the registry and its listing API
/// trust the same certificates. The error is a sentence for the user.
pub fn http_client(
    ca_pems: &[Vec<u8>],
    insecure: bool,
    connect_timeout: std::time::Duration,
    read_timeout: std::time::Duration,
    proxies: &super::proxy::ProxyConfig,
) -> Result<reqwest::Client, String> {
    let mut extra_roots = Vec::new();
    for pem in ca_pems {
        let certs = super::tls::parse_pem_certs(pem)
            .map_err(|e| format!("the CA file is not usable: {e}"))?;
        for der in certs {
            // Parsed now, so a bad certificate is a usage error here, not a TLS failure later.
            let mut store = rustls::RootCertStore::empty();
            store
                .add(der.clone())
                .map_err(|e| format!("the CA file holds a bad certificate: {e}"))?;
            extra_roots.push(der);
        }
    }
    // Our own TLS configuration: the system roots are read on the first handshake, once per
    // process, not for every client.
    warm_up();
    let tls =
        client_config(extra_roots, insecure).map_err(|e| format!("cannot set up TLS: {e}"))?;
    // Our own proxy choice (loopback direct, `NO_PROXY=*` honoured), not reqwest's.
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .read_timeout(read_timeout)
        .user_agent(concat!("regscope/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .no_proxy();
    if !proxies.is_empty() {
        let chosen = proxies.clone();
        builder = builder.proxy(reqwest::Proxy::custom(move |url| chosen.for_url(url)));
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up HTTP: {e}"))
}

/// Seeds the TLS library's random generator in the background, once per process. Its first
/// use gathers CPU jitter for entropy: about 40 ms of CPU, measured here. Left to the first
/// handshake it delays that handshake (and, on the async runtime's thread, the plain-HTTP
/// attempt raced beside it); started when a registry client is built, it overlaps the DNS
/// lookup and the TCP connect. A handshake that comes first waits for the same seeding once.
pub fn warm_up() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("tls-warm-up".into())
            .spawn(|| {
                let mut byte = [0u8; 1];
                let _ = provider().secure_random.fill(&mut byte);
                seeding().mark_done();
            });
        match spawned {
            Ok(handle) => {
                if let Ok(mut slot) = WARM_UP.lock() {
                    *slot = Some(handle);
                }
            }
            // The first handshake seeds it instead.
            Err(_) => seeding().mark_done(),
        }
    });
}

/// The warm-up thread, until [`settle`] joins it.
static WARM_UP: std::sync::Mutex<Option<std::thread::JoinHandle<()>>> = std::sync::Mutex::new(None);

/// Waits for the warm-up thread to end (at most its ~40 ms, and only when the process is
/// younger than that). The binary calls it before it exits: aws-lc clears every thread's
/// random state at exit, and a thread still seeding or ending at that moment races it (a test
/// run saw the process die by a signal as it exited).
pub fn settle() {
    let handle = WARM_UP.lock().ok().and_then(|mut slot| slot.take());
    if let Some(handle) = handle {
        let _ = handle.join();
    }
}

/// Waits, without holding the async runtime's thread, until the random generator is seeded
/// (see [`warm_up`]): a TLS ping raced against a plain-HTTP one must not stall it. Nothing is
/// left behind for the runtime to wait for when the ping is dropped.
pub async fn seeded() {
    warm_up();
    let s = seeding();
    loop {
        let notified = s.notify.notified();
        if s.done.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        notified.await;
    }
}

/// Whether [`warm_up`] has finished, and who to tell.
struct Seeding {
    done: std::sync::atomic::AtomicBool,
    notify: tokio::sync::Notify,
}

impl Seeding {
    fn mark_done(&self) {
        self.done.store(true, std::sync::atomic::Ordering::Release);
        self.notify.notify_waiters();
    }
}

fn seeding() -> &'static Seeding {
    static SEEDING: OnceLock<Seeding> = OnceLock::new();
    SEEDING.get_or_init(|| Seeding {
        done: std::sync::atomic::AtomicBool::new(false),
        notify: tokio::sync::Notify::new(),
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The process's one verifier for the system roots alone.
fn system() -> Arc<LazyVerifier> {
    static SYSTEM: OnceLock<Arc<LazyVerifier>> = OnceLock::new();
    SYSTEM
        .get_or_init(|| Arc::new(LazyVerifier::new(Vec::new(), provider())))
        .clone()
}

/// The platform's verifier (system roots plus `extra`), built on the first certificate it is
/// asked to verify. Handshake signatures need no roots: they are checked with the provider's
/// algorithms directly, as the platform verifier does.
#[derive(Debug)]
struct LazyVerifier {
    extra: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    built: OnceLock<Result<Arc<rustls_platform_verifier::Verifier>, rustls::Error>>,
}

impl LazyVerifier {
    fn new(extra: Vec<CertificateDer<'static>>, provider: Arc<CryptoProvider>) -> Self {
        Self {
            extra,
            provider,
            built: OnceLock::new(),
        }
    }

    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.built
            .get_or_init(|| {
                let provider = self.provider.clone();
                if self.extra.is_empty() {
                    rustls_platform_verifier::Verifier::new(provider)
                } else {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        self.extra.iter().cloned(),
                        provider,
                    )
                }
                .map(Arc::new)
            })
            .as_ref()
            .map(AsRef::as_ref)
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_read_on_the_first_certificate_and_registries_share_the_system_verifier() {
        let _ = client_config(Vec::new(), false).expect("config");
        assert!(Arc::ptr_eq(&system(), &system()));
        let lazy = LazyVerifier::new(Vec::new(), provider());
        assert!(
            lazy.built.get().is_none(),
            "nothing read before a handshake"
        );
        let name = ServerName::try_from("registry.example").expect("name");
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
        assert!(lazy
            .verify_server_cert(&garbage, &[], &name, &[], UnixTime::now())
            .is_err());
        assert!(lazy.built.get().is_some(), "read when first asked");
    }
}
