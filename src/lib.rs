//! regscope: look inside container registries.
//!
//! Data flows one way: `reference` -> `registry` (fetch, verify, cache) -> `model::tree`
//! -> `analysis` (findings) -> `output` (text, JSON) or the TUI. The core never imports a
//! terminal crate.

pub mod analysis;
pub mod attachments;
pub mod auth;
pub mod cache;
pub mod config;
pub mod connect;
pub mod demo;
pub mod diff;
pub mod digest;
pub mod ecr;
pub mod inspect;
pub mod layers;
pub mod listing;
pub mod model;
pub mod output;
pub mod placement;
pub mod reference;
pub mod registry;
pub mod sanitize;
pub mod serve;
pub mod suggest;
pub mod tui;
