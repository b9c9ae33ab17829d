//! The command line: one clap definition (which also makes `--help`, completions and the man
//! page), and a dispatch to one thin function per subcommand over the library.

mod args;
mod auth;
mod config;
mod diff;
mod files;
mod images;
mod inspect;
mod place;
mod tui;

use std::net::SocketAddr;

use clap::{CommandFactory as _, Parser, Subcommand, ValueEnum};

use args::{ConnectionArgs, TransportArgs};
use inspect::{Common, FailOn};

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
    #[arg(long = "target", value_name = "TARGET")]
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
    Check {
        /// Image reference (`name:tag`, `host:port/repo@sha256:…`, `oci:DIR[:TAG]`).
        reference: String,
        /// `lambda`, `lambda/arm64`, `cloudrun`, `fargate`, `fargate/arm64`, `fargate/windows-2022`,
        /// `k8s:amd64,arm64`, or a platform such as `linux/amd64`, `linux/arm/v7`; without it only
        /// the generic findings are checked, not whether the image runs anywhere.
        #[arg(long)]
        target: Option<String>,
        /// Fail (exit 1) when a finding reaches this severity.
        #[arg(long, value_enum, default_value_t = FailOn::Error, value_name = "SEVERITY")]
        fail_on: FailOn,
        /// The region the Lambda function is in; an ECR repository elsewhere is flagged. Default: AWS_REGION or AWS_DEFAULT_REGION
        #[arg(long, value_name = "REGION")]
        region: Option<String>,
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
    /// Place a digest from a log: which tags and which indexes (for which platform) point at it, and its attachment tags; exits 1 when nothing does.
    Where {
        /// `REGISTRY/REPOSITORY@sha256:…` (or `oci:DIR@sha256:…`).
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
    /// List every image of a repository, tagged and untagged, with what each one is (ECR: from DescribeImages).
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
    /// Open the terminal UI at a registry, `registry/repository` or image reference.
    Tui {
        /// A registry (`127.0.0.1:5000`), `registry/repository`, or an image reference (default: the registry list).
        target: Option<String>,
        /// Judge every tag against this deployment target: `lambda`, `lambda/arm64`, `linux/amd64`, ... (default: `target` in config.toml).
        #[arg(long = "target", value_name = "TARGET")]
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
    /// Print the man page (roff) for regscope: `regscope man | man -l -`.
    Man,
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

/// Runs the parsed command line; `Ok` carries the exit code.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let Some(command) = cli.command else {
        return tui::open(
            cli.target.as_deref(),
            cli.deploy.as_deref(),
            &cli.connection,
        )
        .await;
    };
    match command {
        Command::Inspect {
            reference,
            platform,
            common,
        } => inspect::run_inspect(&reference, platform.as_deref(), &common).await,
        Command::Check {
            reference,
            target,
            fail_on,
            region,
            common,
        } => {
            inspect::run_check(
                &reference,
                target.as_deref(),
                fail_on,
                region.as_deref(),
                &common,
            )
            .await
        }
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
        Command::Images {
            repository,
            json,
            color,
            verbose,
            connection,
        } => images::run(&repository, json, color, verbose, &connection).await,
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
        Command::Man => man(),
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

/// The man page (roff) for the top-level command, with its subcommands listed.
fn man() -> Result<u8, Failure> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Failure::runtime(format!("cannot render the man page: {e}")))?;
    std::io::Write::write_all(&mut std::io::stdout(), &out)
        .map_err(|e| Failure::runtime(format!("cannot write the man page: {e}")))?;
    Ok(0)
}
