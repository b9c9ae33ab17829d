//! A token issuer for docker-registry's `auth: token` mode, run by the tests on 127.0.0.1.
//!
//! It signs ES256 JWTs with an `x5c` header whose certificate is the registry's
//! `rootcertbundle`, grants every action to known users and `pull` on `public/*` to anonymous
//! callers (or refuses them, [`IssuerOptions::refuse_anonymous`]), and records every request so
//! tests can count token round trips.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;

pub const SERVICE: &str = "regscope-test";
pub const ISSUER: &str = "regscope-test-issuer";

/// One token request as the issuer saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub user: Option<String>,
    pub scopes: Vec<String>,
    pub granted: bool,
}

pub struct TokenIssuer {
    pub realm: String,
    pub cert: PathBuf,
    log: Arc<Mutex<Vec<TokenRequest>>>,
    expire_next: Arc<std::sync::atomic::AtomicBool>,
}

/// How the issuer misbehaves or what extra it accepts.
#[derive(Debug, Clone, Default)]
pub struct IssuerOptions {
    /// `OAuth2` refresh tokens (identity tokens) accepted on POST, mapped to a user.
    pub refresh_tokens: Vec<(String, String)>,
    /// The `expires_in` to answer with (default 300 s). The JWT itself stays valid for 300 s,
    /// so a client that renews after this many seconds does so on its own account, never
    /// because the registry refused the token.
    pub expires_in: Option<u64>,
    /// Answer 401 to a token request without credentials, as registries without public
    /// repositories do, instead of a token granting nothing.
    pub refuse_anonymous: bool,
    /// Grant nothing for the catalog (`registry:catalog:*`), as Docker Hub and Harbor do for
    /// users who are not admins, while every repository scope is granted as usual.
    pub no_catalog: bool,
}

impl TokenIssuer {
    /// Starts an issuer knowing `users` (name, password); key material goes to `dir`.
    pub fn start(dir: &Path, users: &[(&str, &str)]) -> TokenIssuer {
        Self::start_with(dir, users, IssuerOptions::default())
    }

    pub fn start_with(dir: &Path, users: &[(&str, &str)], options: IssuerOptions) -> TokenIssuer {
        let key = dir.join("token-key.pem");
        let cert = dir.join("token-cert.pem");
        openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            path(&key),
        ]);
        let pkcs8 = dir.join("token-key-pkcs8.pem");
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            path(&key),
            "-out",
            path(&pkcs8),
        ]);
        openssl(&[
            "req",
            "-new",
            "-x509",
            "-key",
            path(&key),
            "-out",
            path(&cert),
            "-days",
            "2",
            "-subj",
            "/CN=regscope-test-token-issuer",
        ]);
        let der = openssl_out(&["x509", "-in", path(&cert), "-outform", "DER"]);
        let x5c = base64::engine::general_purpose::STANDARD.encode(der);
        let signing =
            jsonwebtoken::EncodingKey::from_ec_pem(&std::fs::read(&pkcs8).expect("read key"))
                .expect("EC key");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind issuer");
        let realm = format!("http://{}/token", listener.local_addr().expect("addr"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let users: HashMap<String, String> = users
            .iter()
            .map(|(u, p)| ((*u).to_string(), (*p).to_string()))
            .collect();
        let expire_next = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let state = Arc::new((
            signing,
            x5c,
            users,
            log.clone(),
            options,
            expire_next.clone(),
        ));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = state.clone();
                std::thread::spawn(move || {
                    let (key, x5c, users, log, options, expire_next) = &*state;
                    let _ = serve(stream, key, x5c, users, log, options, expire_next);
                });
            }
        });
        TokenIssuer {
            realm,
            cert,
            log,
            expire_next,
        }
    }

    /// The next token issued is already expired (to test re-authentication on 401).
    pub fn expire_next_token(&self) {
        self.expire_next
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn requests(&self) -> Vec<TokenRequest> {
        self.log.lock().expect("lock").clone()
    }
}

#[allow(clippy::too_many_lines)] // one request, start to end: reading it top to bottom is the point
fn serve(
    stream: TcpStream,
    key: &jsonwebtoken::EncodingKey,
    x5c: &str,
    users: &HashMap<String, String>,
    log: &Mutex<Vec<TokenRequest>>,
    options: &IssuerOptions,
    expire_next: &std::sync::atomic::AtomicBool,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut auth = None;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                auth = Some(value.trim().to_string());
            }
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length.min(64 * 1024)];
    std::io::Read::read_exact(&mut reader, &mut body)?;
    let target = request_line.split_whitespace().nth(1).unwrap_or("/");
    // OAuth2 (identity token) requests are form POSTs; docker's token requests are GETs.
    let query = if request_line.starts_with("POST") {
        String::from_utf8_lossy(&body).into_owned()
    } else {
        target.split_once('?').map_or("", |(_, q)| q).to_string()
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let scopes: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .collect();
    let refresh = params
        .iter()
        .find(|(k, _)| k == "refresh_token")
        .map(|(_, v)| v.clone());
    let mut user = auth
        .as_deref()
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| {
            let raw = base64::engine::general_purpose::STANDARD.decode(b).ok()?;
            let text = String::from_utf8(raw).ok()?;
            let (u, p) = text.split_once(':')?;
            Some((u.to_string(), p.to_string()))
        });
    let mut authenticated = match &user {
        Some((u, p)) => users.get(u) == Some(p),
        None => false,
    };
    if let Some(token) = &refresh {
        let owner = options
            .refresh_tokens
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, u)| u.clone());
        authenticated = owner.is_some();
        user = Some((
            owner.unwrap_or_else(|| "<bad refresh token>".into()),
            String::new(),
        ));
    }
    let mut out = stream;
    if (user.is_some() || options.refuse_anonymous) && !authenticated {
        log.lock().expect("lock").push(TokenRequest {
            user: user.map(|u| u.0),
            scopes,
            granted: false,
        });
        let body = r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#;
        return write!(out, "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
    }
    let access: Vec<serde_json::Value> = scopes
        .iter()
        .filter_map(|scope| {
            let mut parts = scope.splitn(3, ':');
            let (kind, name, actions) = (parts.next()?, parts.next()?, parts.next()?);
            let actions: Vec<&str> = actions
                .split(',')
                .filter(|a| {
                    !(options.no_catalog && kind == "registry")
                        && (authenticated
                            || (kind == "repository"
                                && *a == "pull"
                                && name.starts_with("public/")))
                })
                .collect();
            Some(serde_json::json!({"type": kind, "name": name, "actions": actions}))
        })
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    // Past the registry's 60 s leeway, so it really is expired.
    let (nbf, exp) = if expire_next.swap(false, std::sync::atomic::Ordering::SeqCst) {
        (now - 600, now - 300)
    } else {
        (now - 10, now + 300)
    };
    let claims = serde_json::json!({
        "iss": ISSUER, "sub": user.as_ref().map(|u| u.0.clone()).unwrap_or_default(), "aud": SERVICE,
        "exp": exp, "nbf": nbf, "iat": nbf, "jti": format!("{now}-{}", rand_suffix()), "access": access
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.x5c = Some(vec![x5c.to_string()]);
    let token = jsonwebtoken::encode(&header, &claims, key).expect("sign");
    log.lock().expect("lock").push(TokenRequest {
        user: user.map(|u| u.0),
        scopes,
        granted: true,
    });
    let body = serde_json::json!({
        "token": token, "access_token": token, "expires_in": options.expires_in.unwrap_or(300)
    })
    .to_string();
    write!(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

fn rand_suffix() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn openssl(args: &[&str]) {
    openssl_out(args);
}

fn openssl_out(args: &[&str]) -> Vec<u8> {
    super::run_ok(Command::new("openssl").args(args), "openssl")
}
