//! `regscope diff A B` and `regscope diff --map FILE`: is the same image there, every platform,
//! with its attachments? Exit 0 when identical in what matters, 1 when not, 2 when something
//! could not be read and nothing that was read differs (never 0: unread is not the same).

use std::io::Write as _;
use std::path::Path;

use super::args::ConnectionArgs;
use super::Failure;
use regscope::diff::fetch::{check_promotion, compare_references_with};
use regscope::diff::{map, CompareOptions};
use regscope::output::{diff as out, json::to_terminal_string};
use regscope::reference::ImageRef;

/// `regscope diff A B` or `regscope diff --map FILE`.
pub async fn run(
    map: Option<std::path::PathBuf>,
    left: Option<String>,
    right: Option<String>,
    as_json: bool,
    show_env_values: bool,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let options = CompareOptions { show_env_values };
    match (map, left, right) {
        (Some(file), _, _) => run_map(&file, as_json, connection).await,
        (None, Some(l), Some(r)) => run_pair(&l, &r, as_json, options, connection).await,
        _ => Err(Failure::usage("diff needs two references, or --map FILE")),
    }
}

/// `regscope diff LEFT RIGHT`.
pub async fn run_pair(
    left: &str,
    right: &str,
    json: bool,
    options: CompareOptions,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let parse = |r: &str| ImageRef::parse(r).map_err(|e| Failure::usage(e.to_string()));
    let (left, right) = (parse(left)?, parse(right)?);
    let connector = connection.connector()?;
    let (comparison, _, _) = Box::pin(compare_references_with(&connector, &left, &right, options))
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    if json {
        let _ = writeln!(stdout, "{}", to_terminal_string(&out::json(&comparison)));
    } else {
        let _ = write!(stdout, "{}", out::render(&comparison, true));
    }
    Ok(comparison.verdict().exit_code())
}

/// `regscope diff --map FILE`: every line's tags, one after another (each line's tags
/// concurrently); exit 1 on any drift, else 2 when a tag could not be fully compared.
pub async fn run_map(file: &Path, json: bool, connection: &ConnectionArgs) -> Result<u8, Failure> {
    let text = read_bounded(file)?;
    let promotions =
        map::parse(&text).map_err(|e| Failure::usage(format!("{}: {e}", file.display())))?;
    let connector = connection.connector()?;
    let mut reports = Vec::with_capacity(promotions.len());
    for promotion in promotions {
        reports.push(Box::pin(check_promotion(&connector, promotion)).await);
    }
    let mut stdout = std::io::stdout().lock();
    if json {
        let _ = writeln!(stdout, "{}", to_terminal_string(&out::map_json(&reports)));
    } else {
        let _ = write!(stdout, "{}", out::render_map(&reports));
    }
    Ok(out::map_verdict(&reports).exit_code())
}

/// The map file, refused unread past [`map::MAX_BYTES`].
fn read_bounded(file: &Path) -> Result<String, Failure> {
    use std::io::Read as _;
    let f = std::fs::File::open(file)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?;
    let mut text = String::new();
    f.take(u64::try_from(map::MAX_BYTES).unwrap_or(u64::MAX) + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", file.display())))?;
    Ok(text)
}
