//! ANSI styling for the text output, off for `NO_COLOR`, non-TTY output or `--color never`.

use crate::analysis::Severity;
use crate::present::Tone;

/// Whether to colour, decided once at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    #[must_use]
    pub fn plain() -> Self {
        Self { color: false }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    #[must_use]
    pub fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    #[must_use]
    pub fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    /// Attestations and other not-runnable entries.
    #[must_use]
    pub fn attestation(self, s: &str) -> String {
        self.paint("1;35", s)
    }
    #[must_use]
    pub fn error(self, s: &str) -> String {
        self.paint("1;31", s)
    }
    #[must_use]
    pub fn warning(self, s: &str) -> String {
        self.paint("33", s)
    }
    #[must_use]
    pub fn info(self, s: &str) -> String {
        self.paint("36", s)
    }
    #[must_use]
    pub fn platform(self, s: &str) -> String {
        self.paint("32", s)
    }

    /// `s` styled for what it means in a [`NodeLabel`](crate::present::NodeLabel).
    #[must_use]
    pub fn tone(self, tone: Tone, s: &str) -> String {
        match tone {
            Tone::Normal => s.to_string(),
            Tone::Strong => self.bold(s),
            Tone::Dim => self.dim(s),
            Tone::Platform => self.platform(s),
            Tone::Attestation => self.attestation(s),
            Tone::Info => self.info(s),
            Tone::Error => self.error(s),
        }
    }

    #[must_use]
    pub fn severity(self, sev: Severity, s: &str) -> String {
        match sev {
            Severity::Error => self.error(s),
            Severity::Warning => self.warning(s),
            Severity::Info => self.info(s),
        }
    }
}
