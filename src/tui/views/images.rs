//! The tags view's untagged toggle (`u`): every image of the repository, tagged and untagged,
//! each labelled with what it is (ECR: from `DescribeImages`; elsewhere what the tags reach).

use std::collections::HashSet;
use std::sync::Arc;

use crate::connect::ConnectError;
use crate::ecr::inventory::Inventory;
use crate::tui::action::RequestId;
use crate::tui::list::Cursor;
use crate::tui::load::Load;

/// The images shown in place of the tag rows.
#[derive(Debug, Clone, Default)]
pub struct ImagesPane {
    pub load: Load<Arc<Inventory>>,
    pub cursor: Cursor,
}

impl ImagesPane {
    /// Rows to move over (0 until loaded).
    #[must_use]
    pub fn len(&self) -> usize {
        self.load.loaded().map_or(0, |i| i.rows.len())
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the answer to `id`; false when this pane was not waiting for it.
    pub fn loaded(&mut self, id: RequestId, result: &Result<Arc<Inventory>, ConnectError>) -> bool {
        if !self.load.waits_for(id) {
            return false;
        }
        self.load = match result {
            Ok(inv) => Load::Loaded(inv.clone()),
            Err(e) => Load::Error(e.clone()),
        };
        self.cursor = Cursor::default();
        true
    }

    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        if let Load::Loading(id) = self.load {
            out.insert(id);
        }
    }
}
