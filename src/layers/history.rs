//! The config's `history` aligned with the layers, as dive aligns them: each layer takes the
//! next step that made a layer; steps with `empty_layer` (`ENV`, `CMD`...) are shown between
//! them but own none.

use serde::Serialize;

use crate::model::config::HistoryStep;

/// The command of a layer the history does not describe.
pub const MISSING: &str = "(missing)";

/// One step of the image's history, with the layer it made when it made one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The layer (0 = bottom) this step made; `None` for a metadata-only step, or a step
    /// the config lists beyond the layers.
    pub layer: Option<usize>,
    /// The command, sanitised for a terminal, without the `/bin/sh -c ` dive also strips;
    /// `(missing)` for a layer the history does not describe.
    pub command: String,
    /// A step with `empty_layer` (it made no layer).
    pub empty: bool,
}

/// The steps of `history` aligned with `layers` layers, bottom first. Every layer appears
/// exactly once, in order.
#[must_use]
pub fn align(history: &[HistoryStep], layers: usize) -> Vec<Step> {
    let mut steps = Vec::with_capacity(history.len().max(layers));
    let mut next = 0;
    let step = |h: &HistoryStep, layer: Option<usize>| Step {
        layer,
        command: command(&h.created_by),
        empty: h.empty_layer,
    };
    for layer in 0..layers {
        while let Some(h) = history.get(next).filter(|h| h.empty_layer) {
            steps.push(step(h, None));
            next += 1;
        }
        match history.get(next) {
            Some(h) => {
                steps.push(step(h, Some(layer)));
                next += 1;
            }
            None => steps.push(Step {
                layer: Some(layer),
                command: MISSING.into(),
                empty: false,
            }),
        }
    }
    // Steps after the last layer: metadata (`CMD`), or more layer steps than layers.
    steps.extend(history.iter().skip(next).map(|h| step(h, None)));
    steps
}

/// A command as shown: one line, sanitised, the shell prefix dive strips stripped.
fn command(created_by: &str) -> String {
    let trimmed = created_by.strip_prefix("/bin/sh -c ").unwrap_or(created_by);
    let one_line: String = trimmed.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::sanitize::sanitize(&one_line).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cmd: &str, empty: bool) -> HistoryStep {
        HistoryStep {
            created_by: cmd.into(),
            empty_layer: empty,
        }
    }

    #[test]
    fn empty_layer_steps_own_no_layer_and_each_layer_takes_the_next_step() {
        let history = [
            h("/bin/sh -c #(nop) ADD file:abc in / ", false),
            h("/bin/sh -c #(nop)  ENV A=1", true),
            h(
                "RUN /bin/sh -c echo \u{1b}[31mred\n  && true # buildkit",
                false,
            ),
            h("CMD [\"app\"]", true),
        ];
        let steps = align(&history, 3);
        let got: Vec<(Option<usize>, &str, bool)> = steps
            .iter()
            .map(|s| (s.layer, s.command.as_str(), s.empty))
            .collect();
        assert_eq!(got[0], (Some(0), "#(nop) ADD file:abc in /", false));
        assert_eq!(got[1], (None, "#(nop) ENV A=1", true));
        assert_eq!(got[2].0, Some(1));
        assert!(!got[2].1.contains('\u{1b}'), "sanitised: {}", got[2].1);
        assert_eq!(got[3], (None, "CMD [\"app\"]", true));
        // The third layer has no step left: dive says (missing) too.
        assert_eq!(got[4], (Some(2), "(missing)", false));
        assert_eq!(steps.len(), 5);
    }
}
