//! `regscope auth`, `login` and `logout`: where credentials come from, and regscope's own logins.

use std::io::{IsTerminal as _, Write as _};

use super::args::{read_secret_from_stdin, ConnectionArgs, TransportArgs};
use super::Failure;
use regscope::connect::diagnose::diagnose_all;
use regscope::connect::Connector;
use regscope::registry::Credentials;

/// `host[:port]` from what a user may paste (`https://ghcr.io/`).
fn bare_registry(registry: &str) -> &str {
    registry
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
}

/// `regscope auth [REGISTRY] [--json]`: exit 1 when a check fails.
pub async fn run_auth(
    registry: Option<&str>,
    as_json: bool,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let connector = connection.connector()?;
    let registries: Vec<String> = match registry {
        Some(r) => vec![bare_registry(r).to_string()],
        None => connector
            .known_registries()
            .into_iter()
            .map(|(r, _)| r)
            .collect(),
    };
    if registries.is_empty() && !as_json {
        println!("no registry is configured in docker or podman config, regscope logins or the config file; name one: regscope auth REGISTRY");
        return Ok(0);
    }
    let reports = diagnose_all(&connector, &registries).await;
    for warning in reports
        .iter()
        .filter_map(|r| r.tls.insecure.as_ref().map(|why| (r, why)))
    {
        eprintln!(
            "regscope: WARNING: TLS certificate verification is OFF for {} ({})",
            warning.0.registry, warning.1
        );
    }
    let failed = reports.iter().any(|r| !r.ok());
    let out = if as_json {
        format!(
            "{}\n",
            regscope::output::json::to_terminal_string(&regscope::output::auth::json(&reports))
        )
    } else {
        regscope::output::auth::text(&reports)
    };
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    Ok(u8::from(failed))
}

/// `regscope login`: checks the credentials like `docker login`, then stores them in the keyring.
pub async fn run_login(
    registry: &str,
    username: Option<String>,
    password_stdin: bool,
    no_verify: bool,
    transport: &TransportArgs,
) -> Result<u8, Failure> {
    let registry = bare_registry(registry);
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
        read_secret_from_stdin()?
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
        let connector =
            Connector::new(transport.settings(None)).map_err(|e| Failure::usage(e.to_string()))?;
        let connection = connector
            .connect_as(registry, Credentials::new(username.clone(), secret.clone()))
            .map_err(|e| Failure::usage(e.to_string()))?;
        super::args::report_connection(&connection, false);
        if let Some(http) = connection.fetcher.http() {
            http.verify_access().await.map_err(|e| {
                Failure::runtime(format!(
                    "login to {registry} failed, nothing was stored: {}",
                    connection.error(e)
                ))
            })?;
        }
    }
    let backend = regscope::auth::keyring::store(registry, &username, &secret)
        .map_err(|e| Failure::runtime(e.to_string()))?;
    println!("{}", backend.success_message(registry, &username));
    Ok(0)
}

/// `regscope logout REGISTRY`.
pub fn run_logout(registry: &str) -> Result<u8, Failure> {
    let registry = bare_registry(registry);
    match regscope::auth::keyring::remove(registry) {
        Ok(true) => println!("removed the login for {registry}"),
        Ok(false) => println!("no regscope login for {registry}"),
        Err(e) => return Err(Failure::runtime(e.to_string())),
    }
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
