//! `regscope config path|check`: where the config file is, and whether it reads.

use super::Failure;

/// `regscope config path`.
pub fn path() -> u8 {
    match regscope::config::path() {
        Some(p) => println!(
            "{}{}",
            p.display(),
            if p.exists() { "" } else { " (does not exist)" }
        ),
        None => {
            println!("no config path: neither REGSCOPE_CONFIG, XDG_CONFIG_HOME nor HOME is set");
        }
    }
    0
}

/// `regscope config check`: exit 2 on errors (unknown keys with their line, bad values).
pub fn check() -> Result<u8, Failure> {
    let config = regscope::config::load().map_err(|e| Failure::usage(e.to_string()))?;
    let n = config.registry.len();
    let target = config
        .target
        .map(|t| format!("; target {t}"))
        .unwrap_or_default();
    // A policy whose key cannot be read would fail every `verify`: say so here, at the pattern.
    for (pattern, policy) in &config.verify {
        regscope::verify::policy_verifier(policy).map_err(|(what, why)| {
            // `key PATH` is named `key:` as the file spells it, then the path.
            let what = match what.strip_prefix("key ") {
                Some(path) => format!("key: {path}"),
                None => format!("{what}:"),
            };
            Failure::usage(format!(
                "[verify.\"{}\"] {what} {why}",
                regscope::sanitize::sanitize(pattern)
            ))
        })?;
    }
    let policies = match config.verify.len() {
        0 => String::new(),
        1 => "; 1 signature policy".to_string(),
        p => format!("; {p} signature policies"),
    };
    println!(
        "ok: {n} registr{} configured{target}{policies}",
        if n == 1 { "y" } else { "ies" }
    );
    Ok(0)
}
