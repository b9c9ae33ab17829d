//! Manifests, indexes, configs and in-toto statements exactly as a registry sends them: every
//! decoder answers with a value or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use regscope::model::config::summarize_config;
use regscope::model::intoto::summarize_statement;
use regscope::model::manifest::Manifest;

const MEDIA_TYPES: [Option<&str>; 6] = [
    None,
    Some("application/vnd.oci.image.index.v1+json"),
    Some("application/vnd.oci.image.manifest.v1+json"),
    Some("application/vnd.docker.distribution.manifest.list.v2+json"),
    Some("application/vnd.docker.distribution.manifest.v2+json"),
    Some("application/vnd.docker.distribution.manifest.v1+prettyjws"),
];

fuzz_target!(|data: &[u8]| {
    for media_type in MEDIA_TYPES {
        if let Ok(m) = Manifest::parse(data, media_type) {
            let _ = m.media_type();
            let _ = m.artifact_type();
        }
    }
    let _ = summarize_config(data);
    let _ = summarize_statement(data);
});
