//! `regscope images REGISTRY/REPOSITORY`: every image, tagged and untagged, with what it is.

use std::io::Write as _;

use super::args::{report_connection, ColorChoice, ConnectionArgs};
use super::Failure;
use regscope::ecr::inventory;
use regscope::output::{images, json, style::Style};
use regscope::reference::ImageRef;

/// Lists the repository's images (ECR: `DescribeImages`, else what the tags reach), labelled;
/// exit 3 when the listing is incomplete (a tree could not be read, a list was cut).
pub async fn run(
    repository: &str,
    as_json: bool,
    color: ColorChoice,
    verbose: bool,
    connection: &ConnectionArgs,
) -> Result<u8, Failure> {
    let Ok(ImageRef::Registry(parsed)) = ImageRef::parse(repository) else {
        return Err(Failure::usage(format!(
            "`{}` is not a repository: expected REGISTRY/REPOSITORY, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app",
            regscope::sanitize::sanitize(repository)
        )));
    };
    let connector = connection.connector()?;
    let location = regscope::connect::Location::Registry(parsed.registry.clone());
    let conn = connector
        .connect(&location)
        .await
        .map_err(|e| Failure::runtime(e.to_string()))?;
    report_connection(&conn, verbose);
    let inv = regscope::connect::within_deadline(
        connector.settings().deadline,
        &format!("the images of {repository}"),
        inventory::collect(&connector, &conn, &parsed.repository),
    )
    .await
    .map_err(|e| Failure::runtime(e.to_string()))?;
    let mut stdout = std::io::stdout().lock();
    if as_json {
        let _ = writeln!(stdout, "{}", json::to_terminal_string(&images::json(&inv)));
    } else {
        let style = Style {
            color: color.enabled(),
        };
        let _ = write!(stdout, "{}", images::text(&inv, style));
    }
    // 3, not 1: the listing was printed, but it is not the whole truth.
    Ok(if images::incomplete(&inv) { 3 } else { 0 })
}
