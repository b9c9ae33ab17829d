//! The tags view's untagged toggle (`u`): every image of the repository, tagged and untagged,
//! each labelled with what it is (ECR: from `DescribeImages`; elsewhere what the tags reach).
//! The tags view's filter (`/`) applies here too, to the digest, the tags and what each image
//! is; `s` orders the rows.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::sync::Arc;

use crate::connect::ConnectError;
use crate::ecr::images::{describe, Row};
use crate::ecr::inventory::Inventory;
use crate::tui::action::RequestId;
use crate::tui::list::{filtered, Cursor, Memo};
use crate::tui::load::Load;

/// The order of the image rows (`s` cycles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageSort {
    /// As listed: ECR's order, or the tags' order.
    #[default]
    Listed,
    /// Pushed most recently first (rows without a push time last).
    Newest,
    /// Largest first (an index by the total of its children).
    Largest,
}

impl ImageSort {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Listed => Self::Newest,
            Self::Newest => Self::Largest,
            Self::Largest => Self::Listed,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Listed => "as listed",
            Self::Newest => "newest first",
            Self::Largest => "largest first",
        }
    }
}

/// The images shown in place of the tag rows.
#[derive(Debug, Clone, Default)]
pub struct ImagesPane {
    pub load: Load<Arc<Inventory>>,
    pub cursor: Cursor,
    /// The tags view's filter, as the rows were last filtered.
    pub filter: String,
    pub sort: ImageSort,
    memo: Memo<(String, ImageSort)>,
}

impl ImagesPane {
    /// A pane waiting for the inventory `id`.
    #[must_use]
    pub fn loading(id: RequestId, filter: String, sort: ImageSort) -> Self {
        Self {
            load: Load::Loading(id),
            filter,
            sort,
            ..Self::default()
        }
    }

    /// Rows to move over (0 until loaded): the visible ones.
    #[must_use]
    pub fn len(&self) -> usize {
        self.visible().len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Indices into the inventory's rows, filtered and ordered.
    #[must_use]
    pub fn visible(&self) -> Arc<[usize]> {
        let Some(inv) = self.load.loaded() else {
            return Arc::from([]);
        };
        self.memo.get((self.filter.clone(), self.sort), || {
            ordered(inv, &self.filter, self.sort)
        })
    }

    /// The selected image row.
    #[must_use]
    pub fn selected(&self) -> Option<&Row> {
        let inv = self.load.loaded()?;
        let i = *self.visible().get(self.cursor.selected)?;
        inv.rows.get(i)
    }

    /// A new filter: the selection starts over.
    pub fn set_filter(&mut self, text: &str) {
        self.filter = text.to_string();
        self.cursor = Cursor::default();
    }

    /// `s`: the next order, the selection staying on its image.
    pub fn cycle_sort(&mut self, height: usize) {
        let selected = self.visible().get(self.cursor.selected).copied();
        self.sort = self.sort.next();
        self.cursor.selected = 0;
        let visible = self.visible();
        if let Some(at) = selected.and_then(|s| visible.iter().position(|&i| i == s)) {
            self.cursor.selected = at;
        }
        self.cursor.fit(visible.len(), height);
    }

    /// Takes the answer to `id`; false when this pane was not waiting for it.
    pub fn loaded(&mut self, id: RequestId, result: &Result<Arc<Inventory>, ConnectError>) -> bool {
        if !self.load.answer(id, result) {
            return false;
        }
        self.cursor = Cursor::default();
        self.memo = Memo::default();
        true
    }

    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        self.load.pending_into(out);
    }
}

/// What the filter looks at: the digest, the tags, the kind and what the image is (`orphan`,
/// `EXPIRES`, a platform).
fn haystack(inv: &Inventory, row: &Row) -> String {
    let mut text = format!(
        "{} {} {} {}",
        row.image.digest,
        row.image.tags.join(" "),
        row.kind.as_str(),
        describe(row, &inv.graph)
    );
    if inv.planned(&row.image.digest).is_some() {
        text.push_str(" EXPIRES");
    }
    text
}

fn ordered(inv: &Inventory, filter: &str, sort: ImageSort) -> Vec<usize> {
    let mut visible: Vec<usize> = if filter.trim().is_empty() {
        (0..inv.rows.len()).collect()
    } else {
        let texts: Vec<String> = inv.rows.iter().map(|r| haystack(inv, r)).collect();
        let mut keep = filtered(texts.iter().map(String::as_str), filter);
        // The filter decides which rows; the order is the sort's.
        keep.sort_unstable();
        keep
    };
    let rows = &inv.rows;
    match sort {
        ImageSort::Listed => {}
        // Stable: equal keys keep the listed order.
        ImageSort::Newest => visible.sort_by_key(|&i| Reverse(rows[i].image.pushed_at)),
        ImageSort::Largest => {
            visible.sort_by_key(|&i| Reverse(rows[i].total_size.or(rows[i].image.size)));
        }
    }
    visible
}
