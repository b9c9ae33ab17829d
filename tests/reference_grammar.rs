//! regscope's reference parser against oci-client's (docker's grammar as regexes), on
//! generated input: both accept or both refuse, and agree on every part when they accept.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap or expect is a failed test

use proptest::prelude::*;
use regscope::reference::ImageRef;

const DIGEST: &str = "sha256:db8f2a6e112ea6396f57d073269ecfac61e8dcdad3a4a643dcb577522492f898";

/// Reference-shaped strings: hosts, ports, path components, tags and digests, with the
/// separators and characters that make them valid or not.
fn reference() -> impl Strategy<Value = String> {
    let component = "[a-z0-9]{1,4}([._-]{1,2}[a-z0-9]{1,3}){0,2}|[a-zA-Z0-9._-]{1,6}";
    let host = prop_oneof![
        Just(String::new()),
        Just("localhost/".to_string()),
        Just("docker.io/".to_string()),
        Just("index.docker.io/".to_string()),
        "[a-z0-9-]{1,6}(\\.[a-z0-9-]{1,4}){1,2}(:[0-9]{1,5})?/",
        "[a-z0-9]{1,5}:[0-9a-z]{0,5}/",
        Just("[::1]:5000/".to_string()),
        Just("127.0.0.1:5000/".to_string()),
    ];
    let tag = prop_oneof![
        Just(String::new()),
        "(:[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,8})",
        "(:[a-zA-Z0-9_.:-]{0,5})",
    ];
    let digest = prop_oneof![
        Just(String::new()),
        Just(format!("@{DIGEST}")),
        Just("@sha256:abc".to_string()),
    ];
    (host, prop::collection::vec(component, 1..4), tag, digest)
        .prop_map(|(h, path, t, d)| format!("{h}{}{t}{d}", path.join("/")))
}

proptest! {
    // 3,000 cases in CI; `PROPTEST_CASES=100000` for a long run by hand.
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000)
    ))]

    #[test]
    fn agrees_with_oci_client(input in reference()) {
        let ours = ImageRef::parse(&input);
        let theirs = oci_client::Reference::try_from(input.as_str());
        // regscope refuses upper case anywhere in the repository path (docker refuses it too:
        // "repository name must be lowercase"); oci-client may take an upper-case first
        // component for a host.
        let upper_in_path = input.split('@').next().unwrap_or("")
            .split('/').any(|c| c.chars().any(|ch| ch.is_ascii_uppercase()) && !c.contains(['.', ':']));
        match (&ours, &theirs) {
            (Ok(ImageRef::Registry(r)), Ok(t)) => {
                prop_assert_eq!(&r.registry, t.registry(), "{}", input);
                prop_assert_eq!(&r.repository, t.repository(), "{}", input);
                prop_assert_eq!(r.digest.as_ref().map(ToString::to_string), t.digest().map(str::to_string), "{}", input);
                if r.digest.is_none() {
                    prop_assert_eq!(r.tag.as_deref(), t.tag(), "{}", input);
                }
            }
            (Err(_), Err(_)) => {}
            (Err(_), Ok(_)) if upper_in_path => {}
            // A first component with a `.` or `:` is a host to docker, which then refuses
            // one with `_` in it; oci-client reads it as a repository path instead.
            (Err(_), Ok(_)) if input.split('/').next().is_some_and(|h| h.contains(['.', ':']) && h.contains('_')) => {}
            // IPv6 hosts (`[::1]:5000`) are in docker's grammar since distribution/reference
            // 0.5; oci-client's copy of the regexes predates them.
            (Ok(_), Err(_)) if input.starts_with('[') => {}
            _ => prop_assert!(false, "{:?}: ours {:?}, oci-client {:?}", input, ours, theirs.map(|t| t.whole())),
        }
    }
}
