//! Flags shared by several subcommands, and how they become a [`Connector`].

use std::io::Read as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::Failure;
use regscope::connect::{CacheSettings, Connection, Connector, Settings};
use regscope::registry::Credentials;

/// How to reach registries: the same flags for the CLI and the TUI.
#[derive(Args, Debug, Clone)]
pub struct TransportArgs {
    /// Use plain HTTP (loopback registries fall back to it automatically).
    #[arg(long)]
    pub plain_http: bool,
    /// Skip TLS certificate verification (dangerous; only for registries you trust).
    #[arg(long)]
    pub insecure: bool,
    /// Trust this CA certificate (PEM) in addition to the system roots.
    #[arg(long, value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Requests in flight at once per registry.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub concurrency: usize,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECS")]
    pub timeout: u64,
    /// Seconds a whole operation (a tree, a tag list, a repository's images) may take.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    pub deadline: u64,
}

/// The on-disk cache, for the commands that read through it.
#[derive(Args, Debug, Clone)]
pub struct CacheArgs {
    /// Keep nothing between runs: no on-disk cache of content, tags and endpoints.
    #[arg(long, conflicts_with = "offline")]
    pub no_cache: bool,
    /// Answer from the on-disk cache alone; send no request.
    #[arg(long)]
    pub offline: bool,
}

/// Credentials given on the command line: they win over every configured source.
#[derive(Args, Debug, Clone)]
pub struct CredentialArgs {
    /// Username for the registry (with --password-stdin or REGSCOPE_PASSWORD).
    #[arg(long, env = "REGSCOPE_USERNAME", value_name = "USER")]
    pub username: Option<String>,
    /// Read the password or token from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// Everything that makes a connection.
#[derive(Args, Debug, Clone)]
pub struct ConnectionArgs {
    #[command(flatten)]
    pub transport: TransportArgs,
    #[command(flatten)]
    pub credentials: CredentialArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
}

impl TransportArgs {
    /// The settings these flags (and `credentials`) ask for.
    pub fn settings(&self, credentials: Option<Credentials>) -> Settings {
        Settings {
            plain_http: self.plain_http,
            insecure: self.insecure,
            ca_files: self.ca_file.iter().cloned().collect(),
            credentials,
            timeout: Duration::from_secs(self.timeout.max(1)),
            deadline: Duration::from_secs(self.deadline.max(1)),
            concurrency: self.concurrency.max(1),
            ..Settings::default()
        }
    }
}

/// The on-disk cache: `REGSCOPE_CACHE_DIR` (which caches loopback registries too), else
/// `$XDG_CACHE_HOME/regscope` or `~/.cache/regscope`; `REGSCOPE_CACHE_MAX_MB` bounds it and
/// `REGSCOPE_CACHE_TRUST` (seconds) is how long content seen in a repository is taken as
/// still there without a HEAD.
fn cache_settings(offline: bool) -> Option<CacheSettings> {
    let explicit = std::env::var_os("REGSCOPE_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    let include_loopback = explicit.is_some();
    let dir = explicit.or_else(regscope::cache::default_dir)?;
    let mut cache = CacheSettings::new(dir);
    cache.include_loopback = include_loopback;
    cache.offline = offline;
    if let Some(mb) = std::env::var("REGSCOPE_CACHE_MAX_MB")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        cache.max_bytes = mb.saturating_mul(1024 * 1024);
    }
    if let Some(secs) = std::env::var("REGSCOPE_CACHE_TRUST")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        cache.trust = Duration::from_secs(secs);
    }
    Some(cache)
}

impl CredentialArgs {
    /// The explicit credentials, reading the secret from stdin or `REGSCOPE_PASSWORD`.
    pub fn read(&self) -> Result<Option<Credentials>, Failure> {
        let Some(user) = &self.username else {
            if self.password_stdin {
                return Err(Failure::usage("--password-stdin needs --username"));
            }
            return Ok(None);
        };
        let secret = if self.password_stdin {
            read_secret_from_stdin()?
        } else if let Ok(p) = std::env::var("REGSCOPE_PASSWORD") {
            p
        } else {
            return Err(Failure::usage(
                "--username needs --password-stdin or REGSCOPE_PASSWORD",
            ));
        };
        Ok(Some(Credentials::new(user.clone(), secret)))
    }
}

impl ConnectionArgs {
    /// The connector every front end uses: flags, config file, credential sources.
    pub fn connector(&self) -> Result<Connector, Failure> {
        let mut settings = self.transport.settings(self.credentials.read()?);
        settings.cache = (!self.cache.no_cache)
            .then(|| cache_settings(self.cache.offline))
            .flatten();
        Connector::new(settings).map_err(|e| Failure::usage(e.to_string()))
    }
}

/// Reads a password or token from stdin (to EOF), without its final newline.
pub fn read_secret_from_stdin() -> Result<String, Failure> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(|e| Failure::usage(format!("cannot read the password from stdin: {e}")))?;
    Ok(s.trim_end_matches(['\n', '\r']).to_string())
}

/// Prints what a connection warns about (verification off), and with `verbose` where its
/// credentials came from and why earlier sources were skipped, to stderr.
pub fn report_connection(connection: &Connection, verbose: bool) {
    for warning in connection.warnings() {
        eprintln!("regscope: {warning}");
    }
    if !verbose {
        return;
    }
    if let (Some(registry), Some(creds)) = (connection.registry(), &connection.credentials) {
        eprintln!("credentials for {registry}: {}", creds.source);
        for note in &creds.notes {
            eprintln!("  note: {note}");
        }
    }
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour stdout: `auto` means a terminal and no `NO_COLOR`.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal as _;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// The width the text output is fitted to: `COLUMNS` when it is set to a number (for a pipe
/// too: `COLUMNS=100 regscope inspect … | less` wraps as asked), else the terminal's when
/// stdout is one. None otherwise: a file, `grep` or `less -S` gets every row whole.
pub fn text_width() -> Option<usize> {
    use std::io::IsTerminal as _;
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return Some(n);
    }
    if !std::io::stdout().is_terminal() {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(w, _)| usize::from(w))
        .filter(|&w| w > 0)
}

/// What an operation cost, for `--stats` and `-v`.
pub fn stats_line(rt: &regscope::registry::RoundTrips) -> String {
    format!(
        "stats: {} requests (ping {}, token {}, manifest {}, blob {}, head {}, tags {}, catalog {}, referrers {}), {} bytes; cache hits: {} in memory, {} on disk; longest chain: {} round trips; {} retried",
        rt.total,
        rt.ping,
        rt.token,
        rt.manifest,
        rt.blob,
        rt.head,
        rt.tags,
        rt.catalog,
        rt.referrers,
        rt.bytes,
        rt.cache_hits,
        rt.disk_hits,
        rt.chain,
        rt.retries
    )
}

/// "3 minutes ago", for how old something from the cache is.
pub fn age(at: std::time::SystemTime) -> String {
    let secs = at.elapsed().map_or(0, |d| d.as_secs());
    match secs {
        0..=59 => "just now".to_string(),
        60..=3599 => format!("{} minutes ago", secs / 60),
        3600..=86_399 => format!("{} hours ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

/// `--target`: checked as it is parsed (a typo is a usage error naming the known targets and
/// the likely one meant), and offering the target names to shell completion instead of files.
#[derive(Clone, Copy, Debug)]
pub struct TargetParser;

impl clap::builder::TypedValueParser for TargetParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let invalid = |detail: String| {
            let flag = arg
                .and_then(clap::Arg::get_long)
                .map_or_else(|| "--target".to_string(), |l| format!("--{l}"));
            clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!("{flag}: {detail}\n"),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| invalid("it is not UTF-8".into()))?;
        regscope::analysis::Target::parse(text)
            .map(|_| text.to_string())
            .map_err(invalid)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            regscope::analysis::target::NAMES
                .iter()
                .map(|n| clap::builder::PossibleValue::new(*n)),
        ))
    }
}

/// `--min-efficiency`: a ratio from 0 to 1.
pub fn ratio(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|r| (0.0..=1.0).contains(r))
        .ok_or_else(|| format!("`{text}` is not a ratio: write a number from 0 to 1, such as 0.95"))
}
