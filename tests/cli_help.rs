//! `--help` of the command and every subcommand is a snapshot (as trippy does): a flag that
//! loses its description, or changes by accident, shows up in review. Completions and the man
//! page come from the same definitions.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

mod support;

use support::regscope_bin;

fn regscope(args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = support::isolated_command(&regscope_bin(), home.path())
        .args(args)
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success(), "regscope {args:?} failed");
    String::from_utf8(out.stdout).unwrap()
}

const SUBCOMMANDS: [&str; 22] = [
    "inspect",
    "check",
    "diff",
    "where",
    "files",
    "layers",
    "images",
    "history",
    "watch",
    "verify",
    "ls",
    "tui",
    "demo",
    "serve",
    "login",
    "logout",
    "config",
    "auth",
    "completions",
    "man",
    "config path",
    "config check",
];

#[test]
fn help_of_every_subcommand() {
    insta::assert_snapshot!("help", regscope(&["--help"]));
    for sub in SUBCOMMANDS {
        let mut args: Vec<&str> = sub.split(' ').collect();
        args.push("--help");
        insta::assert_snapshot!(format!("help_{}", sub.replace(' ', "_")), regscope(&args));
    }
}

#[test]
fn every_argument_is_described() {
    // clap prints an argument without a doc comment as a bare name: every line that starts
    // an option or positional must carry text after it. The top level too (`regscope
    // [TARGET]`), and every subcommand the binary has, not only the ones listed here.
    let top = regscope(&["--help"]);
    for listed in top
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
    {
        let Some(name) = listed.split_whitespace().next() else {
            break;
        };
        assert!(
            name == "help" || SUBCOMMANDS.contains(&name),
            "`regscope {name}` is missing from SUBCOMMANDS"
        );
    }
    for sub in std::iter::once("").chain(SUBCOMMANDS) {
        let mut args: Vec<&str> = sub.split(' ').filter(|s| !s.is_empty()).collect();
        args.push("--help");
        let help = regscope(&args);
        for line in help.lines() {
            let t = line.trim_start();
            let is_arg = t.starts_with('-') || (t.starts_with('<') || t.starts_with('['));
            if is_arg && line.starts_with("  ") && !line.starts_with("       ") {
                let described = t.split("  ").filter(|s| !s.trim().is_empty()).count() > 1;
                assert!(described, "`regscope {sub}`: undescribed argument: {line}");
            }
        }
    }
}

#[test]
fn completions_and_man_page_come_from_the_same_definitions() {
    let bash = regscope(&["completions", "bash"]);
    assert!(
        bash.contains("_regscope()") && bash.contains("--ca-file"),
        "{bash}"
    );
    let zsh = regscope(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef regscope"), "{zsh}");
    let fish = regscope(&["completions", "fish"]);
    assert!(
        fish.contains("complete -c regscope") && fish.contains("inspect"),
        "{fish}"
    );
    let man = regscope(&["man"]);
    assert!(
        man.contains(".TH regscope") && man.contains("inspect"),
        "{man}"
    );
}
