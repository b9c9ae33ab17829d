//! The `regscope` command: `inspect` and `check` for scripts and CI (the TUI comes on top).

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use regscope::analysis::{self, Severity, Target};
use regscope::inspect::{inspect, InspectOptions, Inspection};
use regscope::model::Platform;
use regscope::output::{json, style::Style, text};
use regscope::reference::ImageRef;
use regscope::registry::{Credentials, FetchError, Fetcher, HttpOptions, Limits};

/// Look inside container registries: the whole manifest tree, attestations and platform
/// mismatches, with the explanation and the fix.
#[derive(Parser, Debug)]
#[command(name = "regscope", version, about, propagate_version = true)]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Open the TUI at a registry, `registry/repository`, or an image reference (default: the registry list).
    target: Option<String>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the manifest tree of an image (index, manifests, configs, layers, attestations) and findings.
    Inspect {
        /// Image reference (`name:tag`, `host:port/repo@sha256:…`, `oci:DIR[:TAG]`).
        reference: String,
        /// Also report `platform-missing` when this platform (os/arch[/variant]) is not offered.
        #[arg(long)]
        platform: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Check that an image will run on a deployment target; exits 1 when it will not.
    Check {
        reference: String,
        /// `lambda`, `lambda/arm64`, or a platform such as `linux/amd64`, `linux/arm/v7`.
        #[arg(long)]
        target: Option<String>,
        /// Fail (exit 1) when a finding reaches this severity.
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
        #[command(flatten)]
        common: Common,
    },
    /// Open the terminal UI at a registry, `registry/repository` or image reference.
    Tui {
        target: Option<String>,
        /// Use plain HTTP (loopback registries fall back to it automatically).
        #[arg(long)]
        plain_http: bool,
        /// Skip TLS certificate verification.
        #[arg(long)]
        insecure: bool,
    },
    /// Start the embedded demo registry (real BuildKit output plus crafted failure cases) and tour it.
    Demo {
        /// Keep serving (until Ctrl-C) instead of opening the TUI; print the address for other tools.
        #[arg(long)]
        serve: bool,
        /// Print a tour of the highlights instead of opening the TUI (the default when stdout is not a terminal).
        #[arg(long)]
        tour: bool,
        /// Address to listen on (default 127.0.0.1 on a free port).
        #[arg(long)]
        addr: Option<std::net::SocketAddr>,
    },
    /// Serve local OCI image layouts as a read-only registry (`NAME=PATH` or `PATH`, named after the directory).
    Serve {
        #[arg(required = true)]
        layouts: Vec<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:5000")]
        addr: std::net::SocketAddr,
    },
    /// Log in to a registry: the secret goes to the OS keyring, never to a plain file.
    Login {
        registry: String,
        #[arg(long, short)]
        username: Option<String>,
        /// Read the password or token from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Store without checking the credentials against the registry first.
        #[arg(long)]
        no_verify: bool,
        /// Use plain HTTP for the check (loopback registries fall back to it automatically).
        #[arg(long)]
        plain_http: bool,
        /// Trust this CA certificate (PEM) for the check.
        #[arg(long)]
        ca_file: Option<PathBuf>,
    },
    /// Remove a login made with `regscope login`.
    Logout { registry: String },
    /// regscope's config file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Show where credentials for each configured registry (or REGISTRY) come from, and whether they work.
    Auth {
        /// A registry (`ghcr.io`, `127.0.0.1:5000`); default: every registry found in docker/podman config.
        registry: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Use plain HTTP (loopback registries fall back to it automatically).
        #[arg(long)]
        plain_http: bool,
        /// Trust this CA certificate (PEM) in addition to the system roots.
        #[arg(long)]
        ca_file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigAction {
    /// Print where the config file is read from.
    Path,
    /// Read the config file and report errors (unknown keys, bad values).
    Check,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
enum FailOn {
    Info,
    Warning,
    Error,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
struct Common {
    /// Print one JSON document instead of the text tree.
    #[arg(long)]
    json: bool,
    /// Look up referrers (signatures, SBOMs attached by subject).
    #[arg(long)]
    referrers: bool,
    /// Use plain HTTP (loopback registries fall back to it automatically).
    #[arg(long)]
    plain_http: bool,
    /// Skip TLS certificate verification (dangerous; only for registries you trust).
    #[arg(long)]
    insecure: bool,
    /// Trust this CA certificate (PEM) in addition to the system roots.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Username for the registry (with --password-stdin or REGSCOPE_PASSWORD).
    #[arg(long, env = "REGSCOPE_USERNAME")]
    username: Option<String>,
    /// Read the password or token from standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Colour: auto (TTY and no NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Print round-trip counts to stderr.
    #[arg(long, short)]
    verbose: bool,
}

/// An error at the edge: a message for the user and an exit code.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
    fn fetch(e: &FetchError) -> Self {
        Self {
            code: 1,
            message: e.to_string(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("regscope: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("regscope: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<u8, Failure> {
    let Some(command) = cli.command else {
        return open_tui(cli.target, HttpOptions::default()).await;
    };
    match command {
        Command::Tui {
            target,
            plain_http,
            insecure,
        } => {
            open_tui(
                target,
                HttpOptions {
                    plain_http,
                    insecure,
                    ..HttpOptions::default()
                },
            )
            .await
        }
        Command::Config { action } => config_command(&action),
        Command::Login {
            registry,
            username,
            password_stdin,
            no_verify,
            plain_http,
            ca_file,
        } => {
            login(
                &registry,
                username,
                password_stdin,
                no_verify,
                plain_http,
                ca_file,
            )
            .await
        }
        Command::Logout { registry } => match regscope::auth::keyring::remove(&registry) {
            Ok(true) => {
                println!("removed the login for {registry}");
                Ok(0)
            }
            Ok(false) => {
                println!("no regscope login for {registry}");
                Ok(0)
            }
            Err(e) => Err(Failure {
                code: 1,
                message: e.to_string(),
            }),
        },
        Command::Demo { serve, tour, addr } => demo(serve, tour, addr).await,
        Command::Serve { layouts, addr } => serve_layouts(layouts, addr).await,
        Command::Auth {
            registry,
            json,
            plain_http,
            ca_file,
        } => auth_report(registry, json, plain_http, ca_file).await,
        Command::Inspect {
            reference,
            platform,
            common,
        } => {
            let platform = platform
                .map(|p| Platform::parse(&p).map(Target::Platform))
                .transpose()
                .map_err(Failure::usage)?;
            let (inspection, mut findings) = fetch(&reference, &common).await?;
            if let Some(t) = &platform {
                findings.extend(t.check(&inspection.root));
                analysis::sort(&mut findings);
            }
            emit(&inspection, &findings, None, &common);
            Ok(0)
        }
        Command::Check {
            reference,
            target,
            fail_on,
            common,
        } => {
            let target = target
                .map(|t| Target::parse(&t))
                .transpose()
                .map_err(Failure::usage)?;
            let (inspection, mut findings) = fetch(&reference, &common).await?;
            if let Some(t) = &target {
                findings.extend(t.check(&inspection.root));
                analysis::sort(&mut findings);
            }
            let threshold = match fail_on {
                FailOn::Info => Severity::Info,
                FailOn::Warning => Severity::Warning,
                FailOn::Error => Severity::Error,
            };
            let target_label = target.as_ref().map(ToString::to_string);
            emit(&inspection, &findings, target_label.as_deref(), &common);
            let failed = findings.iter().any(|f| f.severity >= threshold);
            if !common.json {
                let verdict = match (&target_label, failed) {
                    (Some(t), false) => format!("ok: {} can run on {t}", inspection.reference),
                    (Some(t), true) => format!(
                        "FAIL: {} is not fit for {t} (findings at or above {})",
                        inspection.reference, threshold
                    ),
                    (None, false) => format!("ok: no finding at or above {threshold}"),
                    (None, true) => format!("FAIL: findings at or above {threshold}"),
                };
                println!("{verdict}");
            }
            Ok(u8::from(failed))
        }
    }
}

async fn fetch(
    reference: &str,
    common: &Common,
) -> Result<(Inspection, Vec<analysis::Finding>), Failure> {
    let image = ImageRef::parse(reference).map_err(|e| Failure::usage(e.to_string()))?;
    let mut opts = http_options(common)?;
    let mut endpoint = None;
    if let ImageRef::Registry(r) = &image {
        endpoint = apply_config(&mut opts, &r.registry)?;
    }
    if let (ImageRef::Registry(r), None) = (&image, &opts.credentials) {
        let resolved = regscope::auth::Resolver::from_env()
            .resolve(&r.registry)
            .await;
        if common.verbose {
            eprintln!("credentials for {}: {}", r.registry, resolved.source);
            for note in &resolved.notes {
                eprintln!("  note: {note}");
            }
        }
        opts.identity_token = resolved.identity_token;
        opts.credentials = resolved.credentials;
    }
    let fetcher = match (&image, endpoint) {
        (ImageRef::Registry(r), Some(host)) => {
            Fetcher::for_registry_at(&r.registry, &host, opts, Limits::default())
        }
        _ => Fetcher::for_reference(&image, opts, Limits::default()),
    }
    .map_err(|e| Failure::fetch(&e))?;
    let inspection = inspect(
        &fetcher,
        &image,
        &InspectOptions {
            referrers: common.referrers,
        },
    )
    .await
    .map_err(|e| Failure::fetch(&e))?;
    if common.verbose {
        let rt = inspection.round_trips;
        eprintln!(
            "round trips: {} (ping {}, token {}, manifest {}, blob {}, tags {}, referrers {}), {} bytes, {} cache hits",
            rt.total, rt.ping, rt.token, rt.manifest, rt.blob, rt.tags, rt.referrers, rt.bytes, rt.cache_hits
        );
    }
    let findings = analysis::analyze(&inspection.root);
    Ok((inspection, findings))
}

fn http_options(common: &Common) -> Result<HttpOptions, Failure> {
    let mut opts = HttpOptions {
        plain_http: common.plain_http,
        insecure: common.insecure,
        timeout: Duration::from_secs(common.timeout.max(1)),
        concurrency: common.concurrency.max(1),
        ..HttpOptions::default()
    };
    if common.insecure {
        eprintln!("regscope: WARNING: TLS certificate verification is OFF (--insecure); anyone on the path can impersonate the registry");
    }
    if let Some(path) = &common.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            Failure::usage(format!("cannot read --ca-file {}: {e}", path.display()))
        })?;
        regscope::registry::tls::parse_pem_certs(&pem).map_err(|e| {
            Failure::usage(format!(
                "--ca-file {} is not a CA certificate: {e}",
                path.display()
            ))
        })?;
        opts.ca_pems.push(pem);
    }
    if let Some(user) = &common.username {
        let secret = if common.password_stdin {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
            s.trim_end_matches(['\n', '\r']).to_string()
        } else if let Ok(p) = std::env::var("REGSCOPE_PASSWORD") {
            p
        } else {
            return Err(Failure::usage(
                "--username needs --password-stdin or REGSCOPE_PASSWORD",
            ));
        };
        opts.credentials = Some(Credentials::new(user.clone(), secret));
    } else if common.password_stdin {
        return Err(Failure::usage("--password-stdin needs --username"));
    }
    Ok(opts)
}

fn emit(
    inspection: &Inspection,
    findings: &[analysis::Finding],
    target: Option<&str>,
    common: &Common,
) {
    let mut stdout = std::io::stdout().lock();
    if common.json {
        let doc = json::report(inspection, findings, target);
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
        return;
    }
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let _ = write!(
        stdout,
        "{}",
        text::render(inspection, findings, Style { color })
    );
}

/// `regscope auth`: one line per registry with the credential source, the challenge and a check.
async fn auth_report(
    registry: Option<String>,
    as_json: bool,
    plain_http: bool,
    ca_file: Option<PathBuf>,
) -> Result<u8, Failure> {
    let resolver = regscope::auth::Resolver::from_env();
    let registries: Vec<String> = match registry {
        Some(r) => vec![r
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()],
        None => {
            let mut names: Vec<String> = resolver
                .configured_registries()
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            names.dedup();
            names
        }
    };
    if registries.is_empty() && !as_json {
        println!("no registry is configured in docker or podman config; name one: regscope auth REGISTRY");
        return Ok(0);
    }
    let mut ca_pems = Vec::new();
    if let Some(path) = &ca_file {
        ca_pems.push(std::fs::read(path).map_err(|e| {
            Failure::usage(format!("cannot read --ca-file {}: {e}", path.display()))
        })?);
    }
    let mut rows = Vec::new();
    let mut failed = false;
    for name in registries {
        let resolved = resolver.resolve(&name).await;
        let opts = HttpOptions {
            plain_http,
            ca_pems: ca_pems.clone(),
            credentials: resolved.credentials.clone(),
            identity_token: resolved.identity_token,
            timeout: Duration::from_secs(15),
            ..HttpOptions::default()
        };
        let fetcher = Fetcher::for_registry(&name, opts, Limits::default())
            .map_err(|e| Failure::fetch(&e))?;
        let http = fetcher
            .http()
            .ok_or_else(|| Failure::usage("not a registry"))?;
        let challenge = http.challenge().await;
        let check = match &challenge {
            Ok(_) => http.verify_access().await,
            Err(e) => Err(e.clone()),
        };
        failed |= check.is_err();
        let mut rate_limit = None;
        if name == "docker.io" && check.is_ok() {
            // Docker's documented probe; a HEAD-like read of a tiny manifest.
            if let Ok(headers) = http
                .manifest_headers("ratelimitpreview/test", "latest")
                .await
            {
                let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
                rate_limit = Some((get("ratelimit-limit"), get("ratelimit-remaining")));
            }
        }
        let challenge_text = match &challenge {
            Ok(regscope::registry::http::Challenge::None) => "none (open)".to_string(),
            Ok(regscope::registry::http::Challenge::Basic) => "Basic".to_string(),
            Ok(regscope::registry::http::Challenge::Bearer { realm, service }) => {
                format!(
                    "Bearer realm={realm} service={}",
                    service.as_deref().unwrap_or("-")
                )
            }
            Err(_) => "unreachable".to_string(),
        };
        rows.push(serde_json::json!({
            "registry": name,
            "source": resolved.source.to_string(),
            "username": resolved.credentials.as_ref().map(|c| c.username.clone()),
            "identityToken": resolved.identity_token,
            "challenge": regscope::sanitize::sanitize(&challenge_text),
            "ok": check.is_ok(),
            "error": check.as_ref().err().map(ToString::to_string),
            "notes": resolved.notes,
            "rateLimit": rate_limit.as_ref().map(|(l, r)| serde_json::json!({"limit": l, "remaining": r})),
        }));
    }
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
    } else {
        for row in &rows {
            let field = |k: &str| row[k].as_str().unwrap_or("-").to_string();
            let _ = writeln!(stdout, "{}", field("registry"));
            let _ = writeln!(
                stdout,
                "  credentials  {}{}",
                field("source"),
                row["username"]
                    .as_str()
                    .map(|u| format!(", user {u}"))
                    .unwrap_or_default()
            );
            let _ = writeln!(stdout, "  challenge    {}", field("challenge"));
            if row["ok"].as_bool() == Some(true) {
                let _ = writeln!(
                    stdout,
                    "  check        ok: /v2/ answered with these credentials"
                );
            } else {
                let _ = writeln!(stdout, "  check        FAILED: {}", field("error"));
            }
            if let Some(rl) = row["rateLimit"].as_object() {
                let _ = writeln!(
                    stdout,
                    "  rate limit   {} remaining of {}",
                    rl["remaining"].as_str().unwrap_or("?"),
                    rl["limit"].as_str().unwrap_or("?")
                );
            }
            for note in row["notes"].as_array().into_iter().flatten() {
                let _ = writeln!(stdout, "  note         {}", note.as_str().unwrap_or(""));
            }
        }
    }
    Ok(u8::from(failed))
}

/// Applies the config file's table for `registry` and docker's certs.d CAs; returns the
/// endpoint to reach it at, when the config names one.
fn apply_config(opts: &mut HttpOptions, registry: &str) -> Result<Option<String>, Failure> {
    let config = regscope::config::load().map_err(|e| Failure::usage(e.to_string()))?;
    let host = regscope::reference::api_host(registry).to_string();
    for (path, pem) in regscope::config::certs_d_cas(&host) {
        regscope::registry::tls::parse_pem_certs(&pem).map_err(|e| {
            Failure::usage(format!("{} is not a CA certificate: {e}", path.display()))
        })?;
        opts.ca_pems.push(pem);
    }
    let Some(table) = config.for_registry(registry) else {
        return Ok(None);
    };
    if let Some(ca) = &table.ca_file {
        let pem = std::fs::read(ca).map_err(|e| {
            Failure::usage(format!(
                "cannot read ca_file {} for {registry}: {e}",
                ca.display()
            ))
        })?;
        opts.ca_pems.push(pem);
    }
    if table.insecure && !opts.insecure {
        eprintln!("regscope: WARNING: TLS certificate verification is OFF for {registry} (insecure = true in the config file)");
        opts.insecure = true;
    }
    opts.plain_http |= table.plain_http;
    Ok(table.endpoint.clone())
}

fn config_command(action: &ConfigAction) -> Result<u8, Failure> {
    match action {
        ConfigAction::Path => {
            match regscope::config::path() {
                Some(p) => println!(
                    "{}{}",
                    p.display(),
                    if p.exists() { "" } else { " (does not exist)" }
                ),
                None => println!(
                    "no config path: neither REGSCOPE_CONFIG, XDG_CONFIG_HOME nor HOME is set"
                ),
            }
            Ok(0)
        }
        ConfigAction::Check => {
            let config = regscope::config::load().map_err(|e| Failure::usage(e.to_string()))?;
            let n = config.registry.len();
            println!(
                "ok: {n} registr{} configured",
                if n == 1 { "y" } else { "ies" }
            );
            Ok(0)
        }
    }
}

/// `regscope demo`: the embedded registry, then a tour of its highlights (or serve until Ctrl-C).
async fn demo(
    keep_serving: bool,
    tour: bool,
    addr: Option<std::net::SocketAddr>,
) -> Result<u8, Failure> {
    let addr = addr.unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0)));
    let server = regscope::serve::start_repos(
        addr,
        regscope::demo::repositories(),
        regscope::serve::Faults::default(),
    )
    .await
    .map_err(|e| Failure {
        code: 1,
        message: format!("cannot start the demo registry on {addr}: {e}"),
    })?;
    let host = server.host();
    if keep_serving {
        println!("demo registry serving on http://{host} (read-only); try:\n  regscope inspect {host}/team/app:v7\nCtrl-C stops it.");
        server
            .run_until(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        return Ok(0);
    }
    if !tour && std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        let result = regscope::tui::run(
            regscope::tui::Start::Registry(host.clone()),
            HttpOptions::default(),
        )
        .await;
        server.shutdown().await;
        return result.map(|()| 0).map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        });
    }
    let color = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = Style { color };
    let mut out = String::new();
    out.push_str(&format!("regscope demo: a read-only registry on http://{host} with real BuildKit output and crafted failures.\n"));
    out.push_str(&format!(
        "(keep it running with `regscope demo --serve`; point regscope or skopeo at {host})\n\n"
    ));
    for (reference, what, target) in regscope::demo::TOUR {
        let full = format!("{host}/{reference}");
        out.push_str(&style.bold(&format!("== {what}")));
        out.push('\n');
        let image = ImageRef::parse(&full).map_err(|e| Failure::usage(e.to_string()))?;
        let fetcher = Fetcher::for_reference(&image, HttpOptions::default(), Limits::default())
            .map_err(|e| Failure::fetch(&e))?;
        match inspect(&fetcher, &image, &InspectOptions::default()).await {
            Ok(inspection) => {
                let mut findings = analysis::analyze(&inspection.root);
                if let Some(t) = target.and_then(|t| Target::parse(t).ok()) {
                    out.push_str(&format!("$ regscope check --target {t} {full}\n"));
                    findings.extend(t.check(&inspection.root));
                    analysis::sort(&mut findings);
                } else {
                    out.push_str(&format!("$ regscope inspect {full}\n"));
                }
                out.push_str(&text::render(&inspection, &findings, style));
            }
            Err(e) => out.push_str(&format!("error: {e}\n")),
        }
        out.push('\n');
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(0)
}

/// `regscope serve`: local OCI layouts as a read-only registry until Ctrl-C.
async fn serve_layouts(specs: Vec<String>, addr: std::net::SocketAddr) -> Result<u8, Failure> {
    let mut layouts = Vec::new();
    for spec in specs {
        let (name, path) = match spec.split_once('=') {
            Some((n, p)) => (n.to_string(), PathBuf::from(p)),
            None => {
                let path = PathBuf::from(&spec);
                let name = path
                    .canonicalize()
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().to_lowercase()))
                    .unwrap_or_else(|| "image".into());
                (name, path)
            }
        };
        layouts.push(regscope::serve::Layout::new(name, path));
    }
    let names: Vec<String> = layouts.iter().map(|l| l.repository.clone()).collect();
    let server = regscope::serve::start_on(addr, layouts, regscope::serve::Faults::default())
        .await
        .map_err(|e| Failure {
            code: 1,
            message: format!("cannot serve on {addr}: {e}"),
        })?;
    println!(
        "serving {} on http://{} (read-only); Ctrl-C stops it.",
        names.join(", "),
        server.host()
    );
    server
        .run_until(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    Ok(0)
}

/// The TUI at `target` (a registry, `registry/repository` or reference), or the registry list.
async fn open_tui(target: Option<String>, opts: HttpOptions) -> Result<u8, Failure> {
    let start = match target {
        Some(t) => regscope::tui::Start::parse(&t).map_err(|e| Failure::usage(e.to_string()))?,
        None => {
            let mut known: Vec<String> = regscope::auth::Resolver::from_env()
                .configured_registries()
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            if let Ok(config) = regscope::config::load() {
                known.extend(config.registry.keys().cloned());
            }
            known.sort();
            known.dedup();
            regscope::tui::Start::Registries(known)
        }
    };
    regscope::tui::run(start, opts)
        .await
        .map(|()| 0)
        .map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })
}

/// `regscope login`: checks the credentials like `docker login`, then stores them in the keyring.
async fn login(
    registry: &str,
    username: Option<String>,
    password_stdin: bool,
    no_verify: bool,
    plain_http: bool,
    ca_file: Option<PathBuf>,
) -> Result<u8, Failure> {
    let registry = registry
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let username = match username {
        Some(u) => u,
        None if std::io::stdin().is_terminal() => {
            prompt_line(&format!("Username for {registry}: "))?
        }
        None => {
            return Err(Failure::usage(
                "--username is required when standard input is not a terminal",
            ))
        }
    };
    let secret = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
        s.trim_end_matches(['\n', '\r']).to_string()
    } else if std::io::stdin().is_terminal() {
        prompt_hidden(&format!("Password for {username}@{registry}: "))?
    } else {
        return Err(Failure::usage(
            "use --password-stdin when standard input is not a terminal",
        ));
    };
    if secret.is_empty() {
        return Err(Failure::usage("the password is empty"));
    }
    if !no_verify {
        let mut ca_pems = Vec::new();
        if let Some(path) = &ca_file {
            ca_pems.push(std::fs::read(path).map_err(|e| {
                Failure::usage(format!("cannot read --ca-file {}: {e}", path.display()))
            })?);
        }
        let mut opts = HttpOptions {
            plain_http,
            ca_pems,
            credentials: Some(Credentials::new(username.clone(), secret.clone())),
            ..HttpOptions::default()
        };
        let endpoint = apply_config(&mut opts, registry)?;
        let host = endpoint.unwrap_or_else(|| regscope::reference::api_host(registry).to_string());
        let fetcher = Fetcher::for_registry_at(registry, &host, opts, Limits::default())
            .map_err(|e| Failure::fetch(&e))?;
        if let Some(http) = fetcher.http() {
            http.verify_access().await.map_err(|e| Failure {
                code: 1,
                message: format!("login to {registry} failed, nothing was stored: {e}"),
            })?;
        }
    }
    let backend =
        regscope::auth::keyring::store(registry, &username, &secret).map_err(|e| Failure {
            code: 1,
            message: e.to_string(),
        })?;
    println!("{}", backend.success_message(registry, &username));
    Ok(0)
}

fn prompt_line(label: &str) -> Result<String, Failure> {
    eprint!("{label}");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read from the terminal: {e}")))?;
    Ok(line.trim().to_string())
}

/// Reads a line without echo (raw mode), restoring the terminal whatever happens.
fn prompt_hidden(label: &str) -> Result<String, Failure> {
    use crossterm::event::{read, Event, KeyCode, KeyEventKind, KeyModifiers};
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    crossterm::terminal::enable_raw_mode()
        .map_err(|e| Failure::usage(format!("cannot prompt: {e}")))?;
    let mut secret = String::new();
    let result = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind == KeyEventKind::Press => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(Failure::usage("cancelled"))
                }
                KeyCode::Char(c) => secret.push(c),
                KeyCode::Backspace => {
                    secret.pop();
                }
                KeyCode::Esc => break Err(Failure::usage("cancelled")),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => {
                break Err(Failure::usage(format!(
                    "cannot read from the terminal: {e}"
                )))
            }
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    result.map(|()| secret)
}
