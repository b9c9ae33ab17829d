//! regscope: look inside container registries.
//!
//! Modules are listed by floor, lowest first; an import should only ever point down. Data
//! flows one way: reference -> connection -> registry fetch -> tree -> analysis -> report ->
//! output or the TUI. The core (up to `report`) never imports a terminal crate. `floors.rs`
//! fails on any loop between these modules, and on any between the files of one module but
//! those it lists (with what removes each).

// Strings: safe for a terminal, digests, references, typo suggestions.
pub mod digest; // digests: parse, verify
pub mod glob; // shell-style `*` and `?` patterns (config, diff maps)
pub mod reference; // image references, docker.io normalisation, oci:PATH
pub mod sanitize; // strings from a registry made safe for a terminal
pub mod suggest; // "did you mean": the closest known word to a typo
pub mod units; // counts and sizes in words (`2 tags`, `1.2 MiB`)

// The domain and the store.
pub mod cache; // the verified on-disk store: content by digest, records
pub mod model; // descriptors, platforms, manifests, the tree, attachment origins, payloads

// The settings, the protocol on them, the credentials on both (blank lines keep this order).
pub mod config; // regscope's config file: per-registry TLS, plain HTTP, endpoints, target

pub mod registry; // the distribution protocol: transport, tokens, listings, OCI layouts

pub mod auth; // credential sources: docker config, helpers, podman, keyring, the ECR login

// The one connection.
pub mod connect; // the one connection builder every front end uses, and its errors

// Fetching: the tree, what is attached, what is inside.
pub mod attachments; // referrers, sha256- tags, cosign tags
pub mod inspect; // the tree of a reference
pub mod layers; // layers streamed, listed, merged

// Judging.
pub mod analysis; // pure: what was fetched -> findings; deployment targets

// One report.
pub mod report; // findings in order, the verdict, what to deploy, what was not checked

// Features built on the report.
pub mod diff; // comparing two trees
pub mod ecr; // Amazon ECR's API: DescribeImages joined with the trees, lifecycle policies, Lambda rules
pub mod history; // where tags pointed over time (the cache's log), and watching them
pub mod listing; // repositories and tags from Docker Hub's, GitHub's and Harbor's own APIs
pub mod placement; // which tags point at a digest
pub mod verify; // signatures checked against keys and policies

// Presentation and front ends.
pub mod present; // how a node, a size, a count read (shared by both renderers)

pub mod output; // CLI text and JSON renderers
pub mod tui; // the terminal UI: app, views, worker, draw, key map, help

// The in-process registry and the demo's content.
pub mod demo; // the demo registry's content
pub mod serve; // read-only registry over layouts (demo, serve, fault injection)

#[cfg(test)]
mod floors; // the test that no loop runs between these modules
