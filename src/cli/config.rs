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
    println!(
        "ok: {n} registr{} configured{target}",
        if n == 1 { "y" } else { "ies" }
    );
    Ok(0)
}
