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
    /// Loaded, and asked again (`r`): the value stays on screen until the answer to the
    /// request replaces it.
    Refreshing(T, RequestId),
    /// Typed, so a view can tell a refusal from a timeout and offer the right next step.
    Error(ConnectError),
}

impl<T> Load<T> {
    #[must_use]
    pub fn loaded(&self) -> Option<&T> {
        match self {
            Load::Loaded(t) | Load::Refreshing(t, _) => Some(t),
            _ => None,
        }
    }

    #[must_use]
    pub fn loaded_mut(&mut self) -> Option<&mut T> {
        match self {
            Load::Loaded(t) | Load::Refreshing(t, _) => Some(t),
            _ => None,
        }
    }

    /// Whether `id` is the request this state waits for.
    #[must_use]
    pub fn waits_for(&self, id: RequestId) -> bool {
        matches!(self, Load::Loading(pending) | Load::Refreshing(_, pending) if *pending == id)
    }

    /// Whether a loaded value is being asked for again.
    #[must_use]
    pub fn is_refreshing(&self) -> bool {
        matches!(self, Load::Refreshing(..))
    }

    /// Asks again for a loaded value under `id`, keeping it meanwhile; `false` (and nothing
    /// changed) when nothing is loaded.
    pub fn refresh(&mut self, id: RequestId) -> bool {
        match std::mem::take(self) {
            Load::Loaded(t) | Load::Refreshing(t, _) => {
                *self = Load::Refreshing(t, id);
                true
            }
            other => {
                *self = other;
                false
            }
        }
    }

    /// Stops waiting for a refresh, keeping the value (its answer failed or was not needed).
    pub fn settle(&mut self) {
        if let Load::Refreshing(..) = self {
            if let Load::Refreshing(t, _) = std::mem::take(self) {
                *self = Load::Loaded(t);
            }
        }
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
        if let Load::Loading(id) | Load::Refreshing(_, id) = self {
            out.insert(*id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_keeps_the_value_until_its_answer_and_waits_for_that_request_only() {
        let mut load: Load<u8> = Load::Idle;
        assert!(!load.refresh(1), "nothing loaded: nothing to refresh");
        load = Load::Loaded(7);
        assert!(load.refresh(2));
        assert_eq!(load.loaded(), Some(&7), "still on screen");
        assert!(load.is_refreshing() && !load.is_loading());
        assert!(load.waits_for(2) && !load.waits_for(1));
        let mut pending = HashSet::new();
        load.pending_into(&mut pending);
        assert_eq!(pending, HashSet::from([2]));
        // A second `r` waits for the newer request only.
        assert!(load.refresh(3));
        assert!(!load.waits_for(2) && load.waits_for(3));
        assert!(!load.answer(2, &Ok(8)), "an answer given up on");
        assert!(load.answer(3, &Ok(9)));
        assert_eq!(load, Load::Loaded(9));
        // Settling keeps the value and stops waiting.
        load.refresh(4);
        load.settle();
        assert_eq!(load, Load::Loaded(9));
    }
}
