//! The loading state every view (and every lazily resolved tag row) has instead of booleans.

use std::collections::HashSet;

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

    /// Takes the answer to `id` when it is the request this state waits for (`false`, and
    /// nothing changed, when it is not: an answer to a request given up on).
    pub fn answer(&mut self, id: RequestId, result: &Result<T, ConnectError>) -> bool
    where
        T: Clone,
    {
        if !self.waits_for(id) {
            return false;
        }
        *self = match result {
            Ok(t) => Load::Loaded(t.clone()),
            Err(e) => Load::Error(e.clone()),
        };
        true
    }

    /// Adds the request this state waits for, if any, to `out`.
    pub fn pending_into(&self, out: &mut HashSet<RequestId>) {
        if let Load::Loading(id) = self {
            out.insert(*id);
        }
    }
}
