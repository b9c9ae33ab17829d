//! The command line: one clap definition (which also makes `--help`, completions and the man
//! page), and a dispatch to one thin function per subcommand over the library.

mod args;
mod auth;
mod check;
mod config;
mod diff;
mod files;
mod history;
mod images;
mod inspect;
mod layers;
mod ls;
mod place;
mod tui;
mod verify;

use std::net::SocketAddr;

use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};

use args::{ConnectionArgs, TransportArgs};
use inspect::Common;

/// Look inside container registries: the whole manifest tree, attestations and platform
/// mismatches, with the explanation and the fix.
#[derive(Parser, Debug)]
#[command(name = "regscope", version, about, propagate_version = true)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Open the TUI at a registry, `registry/repository`, or an image reference (default: the registry list).
    target: Option<String>,
    /// Judge every tag against this deployment target: `lambda`, `lambda/arm64`, `linux/amd64`, ... (default: `target` in config.toml).
    #[arg(long = "target", value_name = "TARGET", value_parser = args::TargetParser, hide_possible_values = true)]
    deploy: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show the manifest tree of an image (index, manifests, configs, layers, attestations) and findings.
    Inspect {
        /// Image reference (`name:tag`, `host:port/repo@sha256:…`, `oci:DIR[:TAG]`).
        reference: String,
        /// Also report `platform-missing` when this platform (os/arch[/variant]) is not offered.
        #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
        platform: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Check that an image will run on a deployment target; exits 1 when it will not.
    #[command(
        after_help = "A repository without a tag (`REGISTRY/REPO --target T`) judges every tag, one line each; exits 1 when any is rejected or could not be read."
    )]
    Check {
        /// Image reference (`name:tag`, `host:port/repo@sha256:…`, `oci:DIR[:TAG]`), or `REGISTRY/REPOSITORY` with --target.
        reference: String,
        #[command(flatten)]
        check: inspect::CheckArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Compare two references (tags, digests, other registries, `oci:` layouts), or check a whole promotion with --map; exits 1 when they differ, 2 when something could not be read and nothing read differs.
    #[command(arg_required_else_help = true)]
    Diff {
        /// The reference before (`registry.internal:5000/team/app:v1`).
        #[arg(required_unless_present = "map", conflicts_with = "map")]
        left: Option<String>,
        /// The reference after (`docker.io/team/app:v1`).
        #[arg(required_unless_present = "map")]
        right: Option<String>,
        /// Check a promotion: lines of `SOURCE_REPO TARGET_REPO [TAG_GLOB]` (`#` comments); every matching tag of each source is compared with the target's.
        #[arg(long, value_name = "FILE")]
        map: Option<std::path::PathBuf>,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// Show the values of environment variables that changed (hidden by default: they often hold tokens).
        #[arg(long)]
        show_env_values: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Place a digest from a log: which tags and which indexes (for which platform) point at it, and its attachment tags (in version order); exits 1 when nothing does.
    Where {
        /// `REGISTRY/REPOSITORY@sha256:…` (or `oci:DIR@sha256:…`); the repository is required.
        reference: String,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// List the files of an image (its layers merged, as a container of one platform sees them), or one path's metadata.
    Files {
        /// Image reference (`name:tag`, `host:port/repo@sha256:…`, `oci:DIR[:TAG]`).
        reference: String,
        /// A path in the image: print its metadata (a directory: its entries) instead of every path.
        path: Option<String>,
        /// The platform to open when the image is an index (default: its only one, else linux/amd64).
        #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
        platform: Option<String>,
        /// Print one JSON document instead of the text listing.
        #[arg(long)]
        json: bool,
        /// Print where the credentials came from to stderr.
        #[arg(long, short)]
        verbose: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Show each layer with the step that made it, and the space wasted as dive computes it (`wasted`, `efficiency`).
    Layers {
        /// Image reference (`name:tag`, `host:port/repo@sha256:…`, `oci:DIR[:TAG]`).
        reference: String,
        /// The platform to open when the image is an index, as os/arch[/variant] (default: its only one, else linux/amd64); `all` for every platform side by side.
        #[arg(long, value_name = "PLATFORM")]
        platform: Option<String>,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// Print where the credentials came from to stderr.
        #[arg(long, short)]
        verbose: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// List every image of a repository, tagged and untagged, with what each one is (ECR: from DescribeImages).
    #[command(
        after_help = "Exits 3 when the listing is incomplete: a tree could not be read (untagged images it might reach are then `not checked`, not orphans), or a list was cut."
    )]
    Images {
        /// `REGISTRY/REPOSITORY` (`123456789012.dkr.ecr.eu-west-1.amazonaws.com/app`, `127.0.0.1:5000/team/app`).
        repository: String,
        /// Print one JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// Colour: auto (TTY and no NO_COLOR), always, never.
        #[arg(long, value_enum, default_value_t = args::ColorChoice::Auto)]
        color: args::ColorChoice,
        /// Print where the credentials came from to stderr.
        #[arg(long, short)]
        verbose: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Where each tag of a repository (or one tag) has pointed, as regscope saw it: each digest with when it was first and last seen, newest first, and what each move changed.
    History(history::HistoryArgs),
    /// Watch tags and report each change as it happens: `moved`, `deleted`, `error`, `recovered` (one HEAD per tag per interval while nothing changes).
    Watch(history::WatchArgs),
    /// Verify the image's cosign signatures with a public key, or keyless (a Fulcio certificate for an identity and issuer, logged in Rekor, offline), or its notation signatures under notation's trust policy and trust store; exits 0 when one of the image's own signatures verifies, 1 otherwise.
    Verify(verify::VerifyArgs),
    /// List a registry's repositories (with --tags, their tags): from the catalog, or from Docker Hub's or GitHub's own API where the registry does not offer it.
    #[command(
        after_help = "Where the list came from and what could not be listed go to stderr; exits 3 when something could not be listed. Set `api` and `namespaces` under [registry.\"docker.io\"] or [registry.\"ghcr.io\"] in the config file to move the API or list organisations."
    )]
    Ls(ls::LsArgs),
    /// Open the terminal UI at a registry, `registry/repository` or image reference.
    Tui {
        /// A registry (`127.0.0.1:5000`), `registry/repository`, or an image reference (default: the registry list).
        target: Option<String>,
        /// Judge every tag against this deployment target: `lambda`, `lambda/arm64`, `linux/amd64`, ... (default: `target` in config.toml).
        #[arg(long = "target", value_name = "TARGET", value_parser = args::TargetParser, hide_possible_values = true)]
        deploy: Option<String>,
        #[command(flatten)]
        connection: ConnectionArgs,
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
        addr: Option<SocketAddr>,
    },
    /// Serve local OCI image layouts as a read-only registry (`NAME=PATH` or `PATH`, named after the directory).
    Serve {
        /// OCI image layout directories, as `PATH` or `NAME=PATH` (NAME is the repository).
        #[arg(required = true, value_name = "[NAME=]PATH")]
        layouts: Vec<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:5000")]
        addr: SocketAddr,
    },
    /// Log in to a registry: the secret goes to the OS keyring, never to a plain file.
    Login {
        /// The registry (`ghcr.io`, `127.0.0.1:5000`).
        registry: String,
        /// The username (asked for when standard input is a terminal).
        #[arg(long, short)]
        username: Option<String>,
        /// Read the password or token from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Store without checking the credentials against the registry first.
        #[arg(long)]
        no_verify: bool,
        #[command(flatten)]
        transport: TransportArgs,
    },
    /// Remove a login made with `regscope login`.
    Logout {
        /// The registry to forget the login for.
        registry: String,
    },
    /// regscope's config file.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Show where credentials for each known registry (or REGISTRY) come from, and whether they work.
    Auth {
        /// A registry (`ghcr.io`, `127.0.0.1:5000`); default: every registry found in regscope logins, docker/podman config and the config file.
        registry: Option<String>,
        /// Print one JSON document instead of the text report.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Print a shell completion script (source it from your shell's startup file).
    Completions {
        /// The shell to print the completion script for.
        shell: Shell,
    },
    /// Print the man page (roff) for regscope or one of its subcommands: `regscope man check | man -l -`.
    Man {
        /// The subcommand whose page to print (`check`, `config check`); default: regscope's own page.
        #[arg(value_name = "SUBCOMMAND", num_args = 0..=2)]
        page: Vec<String>,
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
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// An error at the edge: a message for the user and an exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// The command line or a setting is wrong (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }

    /// The work itself failed (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }
}

/// Parses the command line. A mistyped subcommand is reported as one, with the command it
/// likely meant (exit 2), not as a registry to open nor as clap's "cannot be used with
/// '[TARGET]'" (`regscope inspekt HOST/REPO:TAG` is two positionals to clap).
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let shown = matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            if !shown {
                if let Some(message) = first_positional(&args).and_then(|w| not_a_command(&w)) {
                    eprintln!("error: {message}\n\nFor more information, try '--help'.");
                    std::process::exit(2);
                }
            }
            e.exit()
        }
    }
}

/// The first word on the command line that is not an option or an option's value.
fn first_positional(args: &[std::ffi::OsString]) -> Option<String> {
    let command = Cli::command();
    let mut valued: Vec<String> = Vec::new();
    for arg in command.get_arguments() {
        if arg.get_action().takes_values() {
            valued.extend(arg.get_long().map(|l| format!("--{l}")));
            valued.extend(arg.get_short().map(|c| format!("-{c}")));
        }
    }
    let mut words = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned());
    while let Some(word) = words.next() {
        if word == "--" {
            return words.next();
        }
        if word.starts_with('-') {
            if valued.contains(&word) {
                words.next();
            }
            continue;
        }
        return Some(word);
    }
    None
}

/// Why `word`, where a subcommand or a registry goes, is neither: `None` when it is a
/// subcommand or can name a registry, repository or reference (a dot, a colon, a slash, an
/// `@`, `localhost`).
fn not_a_command(word: &str) -> Option<String> {
    let command = Cli::command();
    let names: Vec<&str> = command
        .get_subcommands()
        .map(clap::Command::get_name)
        .collect();
    let could_be_a_place =
        word.contains(['.', ':', '/', '@', '[']) || word == "localhost" || word.starts_with("oci:");
    if names.contains(&word) || could_be_a_place {
        return None;
    }
    let shown = regscope::sanitize::sanitize(word);
    Some(match regscope::suggest::closest(word, names.iter().copied()) {
        Some(meant) => format!("unknown command `{shown}`; did you mean `{meant}`?"),
        None => format!(
            "`{shown}` is neither a command nor a registry: a registry has a dot or a port (`ghcr.io`, `127.0.0.1:5000`) or is `localhost`, and a Docker Hub repository is written `docker.io/library/{shown}`; commands: {}",
            names
                .iter()
                .filter(|n| **n != "help")
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// `regscope [TARGET]`: the TUI, unless TARGET is a word that names no registry.
async fn open_tui(cli: &Cli) -> Result<u8, Failure> {
    if let Some(message) = cli.target.as_deref().and_then(not_a_command) {
        return Err(Failure::usage(message));
    }
    tui::open(
        cli.target.as_deref(),
        cli.deploy.as_deref(),
        &cli.connection,
    )
    .await
}

/// Runs the parsed command line; `Ok` carries the exit code.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let Some(command) = cli.command else {
        return open_tui(&cli).await;
    };
    match command {
        Command::Inspect {
            reference,
            platform,
            common,
        } => inspect::run_inspect(&reference, platform.as_deref(), &common).await,
        Command::Check {
            reference,
            check,
            common,
        } => inspect::run_check(&reference, &check, &common).await,
        Command::Diff {
            left,
            right,
            map,
            json,
            show_env_values,
            connection,
        } => diff::run(map, left, right, json, show_env_values, &connection).await,
        Command::Where {
            reference,
            json,
            connection,
        } => place::run(&reference, json, &connection).await,
        Command::Files {
            reference,
            path,
            platform,
            json,
            verbose,
            connection,
        } => {
            files::run(
                &reference,
                platform.as_deref(),
                path.as_deref(),
                json,
                verbose,
                &connection,
            )
            .await
        }
        Command::Layers {
            reference,
            platform,
            json,
            verbose,
            connection,
        } => layers::run(&reference, platform.as_deref(), json, verbose, &connection).await,
        Command::Images {
            repository,
            json,
            color,
            verbose,
            connection,
        } => images::run(&repository, json, color, verbose, &connection).await,
        Command::History(args) => history::run_history(&args).await,
        Command::Watch(args) => history::run_watch(&args).await,
        Command::Verify(args) => verify::run(&args).await,
        Command::Ls(args) => ls::run(&args).await,
        Command::Tui {
            target,
            deploy,
            connection,
        } => tui::open(target.as_deref(), deploy.as_deref(), &connection).await,
        Command::Demo { serve, tour, addr } => tui::demo(serve, tour, addr).await,
        Command::Serve { layouts, addr } => tui::serve_layouts(&layouts, addr).await,
        Command::Login {
            registry,
            username,
            password_stdin,
            no_verify,
            transport,
        } => auth::run_login(&registry, username, password_stdin, no_verify, &transport).await,
        Command::Logout { registry } => auth::run_logout(&registry),
        Command::Auth {
            registry,
            json,
            connection,
        } => auth::run_auth(registry.as_deref(), json, &connection).await,
        Command::Config { action } => match action {
            ConfigAction::Path => Ok(config::path()),
            ConfigAction::Check => config::check(),
        },
        Command::Completions { shell } => {
            completions(shell);
            Ok(0)
        }
        Command::Man { page } => man(&page),
    }
}

/// The completion script for `shell`, from the same definitions as `--help`.
fn completions(shell: Shell) {
    use clap_complete::{generate, shells};
    let mut command = Cli::command();
    let out = &mut std::io::stdout();
    match shell {
        Shell::Bash => generate(shells::Bash, &mut command, "regscope", out),
        Shell::Zsh => generate(shells::Zsh, &mut command, "regscope", out),
        Shell::Fish => generate(shells::Fish, &mut command, "regscope", out),
    }
}

/// The man page (roff) of regscope, or of the subcommand `page` names (`check`, `config
/// check`): every `regscope-NAME(1)` the top-level page lists can be printed this way.
fn man(page: &[String]) -> Result<u8, Failure> {
    let mut command = Cli::command();
    command.build();
    let mut name = "regscope".to_string();
    for word in page {
        let Some(sub) = command
            .get_subcommands()
            .find(|c| c.get_name() == word)
            .cloned()
        else {
            let names: Vec<&str> = command
                .get_subcommands()
                .map(clap::Command::get_name)
                .filter(|n| *n != "help")
                .collect();
            return Err(Failure::usage(format!(
                "no man page `{name} {}`; pages: {}{}",
                regscope::sanitize::sanitize(word),
                names.join(", "),
                regscope::suggest::did_you_mean(word, names.iter().copied()),
            )));
        };
        // Built, a subcommand is titled `regscope-check` with the synopsis `regscope check`.
        name = format!("{name} {word}");
        command = sub;
    }
    if page.is_empty() {
        command = command.after_long_help(
            "Each regscope-NAME(1) page above is printed by `regscope man NAME`, e.g. `regscope man check | man -l -`.",
        );
    }
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .map_err(|e| Failure::runtime(format!("cannot render the man page: {e}")))?;
    std::io::Write::write_all(&mut std::io::stdout(), &out)
        .map_err(|e| Failure::runtime(format!("cannot write the man page: {e}")))?;
    Ok(0)
}
