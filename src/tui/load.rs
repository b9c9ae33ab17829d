//! The loading state every view (and every lazily resolved tag row) has instead of booleans.

use super::action::RequestId;
use crate::connect::ConnectError;

/// Idle until something asks for the data; `Loading` remembers which request will answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Load<T> {
    #[default]
    Idle,
    Loading(RequestId),
    Loaded(T),
    /// Typed, so a view can tell a refusal from a timeout and offer the right next step.
    Error(ConnectError),
}

impl<T> Load<T> {
    #[must_use]
    pub fn loaded(&self) -> Option<&T> {
        match self {
            Load::Loaded(t) => Some(t),
            _ => None,
        }
    }

    #[must_use]
    pub fn loaded_mut(&mut self) -> Option<&mut T> {
        match self {
            Load::Loaded(t) => Some(t),
            _ => None,
        }
    }

    /// Whether `id` is the request this state waits for.
    #[must_use]
    pub fn waits_for(&self, id: RequestId) -> bool {
        matches!(self, Load::Loading(pending) if *pending == id)
    }

    #[must_use]
    pub fn is_idle(&self) -> bool {
        matches!(self, Load::Idle)
    }

    #[must_use]
    pub fn is_loading(&self) -> bool {
        matches!(self, Load::Loading(_))
    }
}
