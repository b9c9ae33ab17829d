//! The floor a tree fetch can reach, for the benchmark (`bench/tree_fetch.py`): an anonymous
//! plain-HTTP client that knows the registry already (no ping) and does only what the tree
//! needs, each level all at once: the index, then every child, then every config and in-toto
//! statement. No verification, no analysis, no output beyond a count.
//!
//! Usage: `floor_client http://127.0.0.1:5000 REPO TAG` (prints the number of requests).

use futures::future::join_all;
use serde_json::Value;

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, repo, tag] = args.as_slice() else {
        return Err("usage: floor_client BASE_URL REPO TAG".into());
    };
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{base}/v2/{repo}/{path}");
        async move {
            let body = client
                .get(url)
                .header("Accept", ACCEPT)
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?;
            Ok::<Value, Box<dyn std::error::Error>>(
                serde_json::from_slice(&body).unwrap_or(Value::Null),
            )
        }
    };
    let index = get(format!("manifests/{tag}")).await?;
    let entries = index["manifests"].as_array().cloned().unwrap_or_default();
    let children = join_all(
        entries
            .iter()
            .map(|m| get(format!("manifests/{}", m["digest"].as_str().unwrap_or("")))),
    )
    .await;
    let mut blobs = Vec::new();
    for (entry, child) in entries.iter().zip(&children) {
        let Ok(child) = child else { continue };
        if let Some(config) = child["config"]["digest"].as_str() {
            blobs.push(config.to_string());
        }
        // Attestation manifests hold in-toto statements as layers.
        if entry["annotations"]["vnd.docker.reference.type"] == "attestation-manifest" {
            for layer in child["layers"].as_array().into_iter().flatten() {
                if let Some(d) = layer["digest"].as_str() {
                    blobs.push(d.to_string());
                }
            }
        }
    }
    let fetched = join_all(blobs.iter().map(|d| get(format!("blobs/{d}")))).await;
    for r in children.iter().chain(&fetched) {
        if let Err(e) = r {
            return Err(format!("{e}").into());
        }
    }
    println!("{}", 1 + children.len() + fetched.len());
    Ok(())
}
