//! Colours and emphasis; with `NO_COLOR` every style falls back to modifiers only.

use ratatui::style::{Color, Modifier, Style};

use crate::analysis::Severity;
use crate::present::Tone;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color {
            colored
        } else {
            plain
        }
    }

    #[must_use]
    pub fn dim(self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    #[must_use]
    pub fn bold(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// The selected row: reverse video reads well with and without colour.
    #[must_use]
    pub fn selected(self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// A search match: reverse video, with or without colour; the current one underlined too
    /// (JSON keys are bold already).
    #[must_use]
    pub fn found(self, current: bool) -> Style {
        let style = Style::new().add_modifier(Modifier::REVERSED);
        if current {
            style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            style
        }
    }

    /// Attestations and other `unknown/unknown` entries: not runnable, easy to mistake for images.
    #[must_use]
    pub fn attestation(self) -> Style {
        self.pick(
            Style::new().fg(Color::Magenta),
            Style::new().add_modifier(Modifier::ITALIC),
        )
    }

    #[must_use]
    pub fn error(self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    #[must_use]
    pub fn warning(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    #[must_use]
    pub fn info(self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }

    /// The style for what a piece of a [`NodeLabel`](crate::present::NodeLabel) means.
    #[must_use]
    pub fn tone(self, tone: Tone) -> Style {
        match tone {
            Tone::Normal => Style::new(),
            Tone::Strong => self.bold(),
            Tone::Dim => self.dim(),
            Tone::Platform => self.platform(),
            Tone::Attestation => self.attestation(),
            Tone::Info => self.info(),
            Tone::Error => self.error(),
        }
    }

    #[must_use]
    pub fn platform(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    /// Key names in the footer and the help overlay.
    #[must_use]
    pub fn key(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The border of the pane the movement keys act on.
    #[must_use]
    pub fn focused(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The title of the focused pane: reverse video marks it without colour too.
    #[must_use]
    pub fn focused_title(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        )
    }

    /// A warning that stays on screen (TLS verification off): red, or reverse video.
    #[must_use]
    pub fn alarm(self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        )
    }

    #[must_use]
    pub fn severity(self, severity: Severity) -> Style {
        match severity {
            Severity::Error => self.error(),
            Severity::Warning => self.warning(),
            Severity::Info => self.info(),
        }
    }
}
