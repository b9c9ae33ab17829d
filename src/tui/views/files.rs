//! The files of one platform manifest: its layers merged (loaded on demand, with progress),
//! browsed a directory at a time or searched with `/`, each path coloured by the layer that
//! wrote it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::analysis::files::Facts;
use crate::analysis::Finding;
use crate::connect::ConnectError;
use crate::layers::fetch::Progress;
use crate::layers::fs::Node as FileNode;
use crate::layers::{EntryKind, Filesystem};
use crate::model::Node;
use crate::reference::ImageRef;
use crate::tui::action::{Effect, Inspected, RequestId, RequestIds};
use crate::tui::list::Cursor;
use crate::tui::load::Load;

/// Rows a search shows at most (the filesystem may hold a million paths).
pub const MAX_MATCHES: usize = 10_000;

/// A platform's merged filesystem with what its files say.
#[derive(Debug, Clone)]
pub struct LoadedFiles {
    pub fs: Filesystem,
    pub facts: Facts,
    pub findings: Vec<Finding>,
}

/// `inspected` with what the files of its image manifests said (`learned`, by manifest
/// digest), so the tree, the tag row and the matrix judge the image by them too; `None` when
/// that adds nothing (no finding, and it was already marked as opened). Digests name content, so what was learnt holds for every tree with it.
#[must_use]
pub fn with_files<S: std::hash::BuildHasher>(
    inspected: &Arc<Inspected>,
    learned: &HashMap<String, Vec<Finding>, S>,
) -> Option<Arc<Inspected>> {
    if learned.is_empty() {
        return None;
    }
    let mut findings = inspected.findings.clone();
    let mut opened = inspected.files_opened;
    inspected.root.walk(&mut |n| {
        if let Some(from_files) = learned.get(&n.digest) {
            opened = true;
            crate::analysis::files::merge_into(&mut findings, from_files.clone());
        }
    });
    (findings != inspected.findings || opened != inspected.files_opened).then(|| {
        Arc::new(Inspected {
            findings,
            files_opened: opened,
            ..(**inspected).clone()
        })
    })
}

#[derive(Debug, Clone)]
pub struct FilesView {
    pub reference: ImageRef,
    pub crumb: String,
    /// The platform's image manifest (with its config and layer children).
    pub manifest: Node,
    pub load: Load<Arc<LoadedFiles>>,
    /// How far the download has come, while loading.
    pub progress: Option<Progress>,
    pub cursor: Cursor,
    /// `/`: paths containing this (case-insensitive) instead of one directory.
    pub filter: String,
    /// The directory shown (`""` the root), when not searching.
    pub dir: String,
    /// The rows of `dir` or of the search, (path, is a directory): worked out when either
    /// changes, not on every frame (a filesystem may hold a million paths).
    shown: Vec<(String, bool)>,
}

/// One visible row: an entry, or a directory only implied by the paths below it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRow<'a> {
    pub path: String,
    pub node: Option<&'a FileNode>,
    pub is_dir: bool,
}

impl FilesView {
    #[must_use]
    pub fn new(reference: ImageRef, manifest: Node, platform: &str) -> Self {
        Self {
            reference,
            crumb: format!("files {platform}"),
            manifest,
            load: Load::Idle,
            progress: None,
            cursor: Cursor::default(),
            filter: String::new(),
            dir: String::new(),
            shown: Vec::new(),
        }
    }

    /// Asks for the filesystem the first time.
    pub fn activate(&mut self, ids: &mut RequestIds) -> Vec<Effect> {
        if !self.load.is_idle() {
            return Vec::new();
        }
        let id = ids.fresh();
        self.load = Load::Loading(id);
        self.progress = None;
        vec![Effect::LoadFiles {
            id,
            reference: self.reference.clone(),
            manifest: Box::new(self.manifest.clone()),
        }]
    }

    /// Takes the answer to `id`; `false` when this view did not ask for it.
    pub fn loaded(
        &mut self,
        id: RequestId,
        result: &Result<Arc<LoadedFiles>, ConnectError>,
    ) -> bool {
        if !self.load.waits_for(id) {
            return false;
        }
        self.load = match result {
            Ok(f) => Load::Loaded(f.clone()),
            Err(e) => Load::Error(e.clone()),
        };
        self.progress = None;
        self.reshow();
        true
    }

    /// A progress report for `id`.
    pub fn progressed(&mut self, id: RequestId, progress: Progress) -> bool {
        if !self.load.waits_for(id) {
            return false;
        }
        self.progress = Some(progress);
        true
    }

    pub fn pending(&self, out: &mut HashSet<RequestId>) {
        if let Load::Loading(id) = self.load {
            out.insert(id);
        }
    }

    /// The rows shown: the directory's entries (directories first), or the search's matches.
    #[must_use]
    pub fn rows(&self) -> Vec<FileRow<'_>> {
        let Some(files) = self.load.loaded() else {
            return Vec::new();
        };
        self.shown
            .iter()
            .map(|(path, is_dir)| FileRow {
                path: path.clone(),
                node: files.fs.get(path),
                is_dir: *is_dir,
            })
            .collect()
    }

    /// Sets the search (empty: browse `dir` again).
    pub fn set_filter(&mut self, text: String) {
        self.filter = text;
        self.cursor = Cursor::default();
        self.reshow();
    }

    /// Works out the rows for the directory or search now in force.
    fn reshow(&mut self) {
        let Some(files) = self.load.loaded() else {
            self.shown.clear();
            return;
        };
        let fs = &files.fs;
        if !self.filter.is_empty() {
            let needle = self.filter.to_lowercase();
            self.shown = fs
                .nodes()
                .filter(|n| n.entry.path.to_lowercase().contains(&needle))
                .take(MAX_MATCHES)
                .map(|n| (n.entry.path.clone(), n.entry.kind == EntryKind::Dir))
                .collect();
            return;
        }
        let prefix = if self.dir.is_empty() {
            String::new()
        } else {
            format!("{}/", self.dir)
        };
        // Immediate children, and directories implied by deeper paths (layers may omit them).
        let mut rows: Vec<(String, bool)> = Vec::new();
        let mut last: Option<String> = None;
        for path in fs.paths_below(&self.dir) {
            let rest = &path[prefix.len()..];
            let name = rest.split('/').next().unwrap_or(rest);
            let child = format!("{prefix}{name}");
            if last.as_deref() == Some(child.as_str()) {
                continue;
            }
            last = Some(child.clone());
            rows.push((child.clone(), fs.is_dir(&child)));
        }
        // `a.txt` sorts between `a` and `a/b`: the same child can come back; sorted, it is adjacent.
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.dedup();
        self.shown = rows;
    }

    #[must_use]
    pub fn selected(&self) -> Option<FileRow<'_>> {
        self.rows().into_iter().nth(self.cursor.selected)
    }

    /// Enter / Right: into the selected directory (a search ends there too).
    pub fn open(&mut self) {
        let Some(row) = self.selected() else { return };
        if row.is_dir {
            let path = row.path.clone();
            self.dir = path;
            self.filter.clear();
            self.cursor = Cursor::default();
            self.reshow();
        }
    }

    /// Left / Back: up one directory; `false` at the root (Back then closes the view).
    pub fn up(&mut self) -> bool {
        if !self.filter.is_empty() {
            self.set_filter(String::new());
            return true;
        }
        if self.dir.is_empty() {
            return false;
        }
        let left = self.dir.clone();
        self.dir = crate::layers::parent(&left).to_string();
        self.reshow();
        let back_at = self.shown.iter().position(|(p, _)| *p == left);
        self.cursor = Cursor::default();
        if let Some(i) = back_at {
            self.cursor.selected = i;
        }
        true
    }
}
