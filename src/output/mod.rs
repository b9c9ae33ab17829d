//! CLI output: the text tree (with colour where the terminal has it) and the stable JSON document.

pub mod auth;
pub mod diff;
pub mod files;
pub mod images;
pub mod json;
pub mod layers;
pub mod style;
pub mod text;
pub mod wrap;
