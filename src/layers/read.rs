//! One layer blob in, its listing out: the compressed bytes are hashed as they stream (the
//! digest is checked at the end), decompressed by what their magic says (gzip, zstd or none),
//! and the tar inside is listed within [`Limits`]. Nothing is held but the listing.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::exec::{self, Exec, HEAD_BYTES};
use super::tar::{RawEntry, TarError, TarReader};
use super::{normalize, Entry, EntryKind, LayerError, Limits, TEXT_BYTES, TEXT_FILES};
use crate::digest::Digest;

/// What one layer holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerListing {
    pub entries: Vec<Entry>,
    /// The text of the [`TEXT_FILES`] this layer writes (`etc/passwd` -> its first 64 KiB).
    pub texts: BTreeMap<String, String>,
    /// `gzip`, `zstd` or `tar`.
    pub compression: String,
    /// Decompressed bytes read.
    pub tar_bytes: u64,
    /// Set when the listing is partial: why reading stopped (a bound was reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// Entries skipped because their path climbs out of the root (`../`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub escaping: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Hashes the compressed bytes as they are read, for a source that does not hash them itself.
struct Hashing<R> {
    inner: R,
    hasher: Rc<RefCell<Sha256>>,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// Who hashes the compressed bytes.
enum Hashed {
    /// The lister, as it reads them ([`Hashing`]).
    Here(Rc<RefCell<Sha256>>),
    /// The source, where they arrive (the download task, on another thread than the
    /// decompressor): it says what they hash to once their end was read.
    There(Rc<Cell<Option<[u8; 32]>>>),
}

impl Hashed {
    /// The hex SHA-256 of every byte read; `None` when the source has not reached its end.
    fn actual(&self) -> Option<String> {
        match self {
            Self::Here(hasher) => Some(hex::encode(hasher.borrow().clone().finalize())),
            Self::There(sum) => sum.get().map(hex::encode),
        }
    }
}

/// Counts the compressed bytes the decompressor consumes and refuses more than the
/// descriptor's size: a borrowed view of the source's buffer, no copy.
struct Counted<B> {
    inner: B,
    bytes: u64,
    cap: u64,
    over: Rc<Cell<bool>>,
}

impl<B: BufRead> BufRead for Counted<B> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if self.bytes + buf.len() as u64 > self.cap {
            self.over.set(true);
            return Err(io::Error::other("more bytes than the descriptor's size"));
        }
        Ok(buf)
    }

    fn consume(&mut self, n: usize) {
        self.bytes += n as u64;
        self.inner.consume(n);
    }
}

impl<B: BufRead> Read for Counted<B> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Stops the decompressed stream at the byte bound (the gzip bomb guard).
struct Capped<R> {
    inner: R,
    read: Rc<Cell<u64>>,
    cap: u64,
    hit: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.cap.saturating_sub(self.read.get());
        if left == 0 {
            self.hit.set(true);
            return Err(io::Error::other("decompressed byte bound reached"));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// Zstd streams may hold several frames one after the other (pzstd writes them).
struct ZstdFrames<R: Read> {
    current:
        Option<ruzstd::decoding::StreamingDecoder<BufReader<R>, ruzstd::decoding::FrameDecoder>>,
}

impl<R: Read> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(decoder) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            let Some(done) = self.current.take() else {
                return Ok(0);
            };
            let mut source = done.into_inner();
            if source.fill_buf()?.is_empty() {
                return Ok(0);
            }
            self.current = Some(
                ruzstd::decoding::StreamingDecoder::new(source)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
            );
        }
    }
}

/// The memory bound ([`Limits::listing_bytes`]) of one image's layers listed at once: every
/// lister takes what each entry costs from it as the entry arrives, so layers read in parallel
/// hold no more between them than one after the other did.
#[derive(Debug)]
pub struct Budget {
    left: AtomicUsize,
}

impl Budget {
    #[must_use]
    pub fn new(bytes: usize) -> Self {
        Self {
            left: AtomicUsize::new(bytes),
        }
    }

    /// Takes `n` bytes; false (and nothing taken) when fewer are left.
    pub fn take(&self, n: usize) -> bool {
        self.left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(n)
            })
            .is_ok()
    }
}

/// Lists the layer `blob` (its compressed bytes, as they arrive). `digest` is checked when the
/// whole blob was read; a listing stopped by a bound says so in `stopped` and is unverified.
pub fn list_layer<R: Read>(
    blob: R,
    digest: &Digest,
    size: Option<u64>,
    limits: &Limits,
) -> Result<LayerListing, LayerError> {
    list_layer_within(
        blob,
        digest,
        size,
        limits,
        &Budget::new(limits.listing_bytes),
    )
}

/// [`list_layer`], its entries' memory taken from `budget` (shared with the other layers of
/// the image being listed at the same time).
pub fn list_layer_within<R: Read>(
    blob: R,
    digest: &Digest,
    size: Option<u64>,
    limits: &Limits,
    budget: &Budget,
) -> Result<LayerListing, LayerError> {
    let hasher = Rc::new(RefCell::new(Sha256::new()));
    let source = BufReader::with_capacity(
        64 * 1024,
        Hashing {
            inner: blob,
            hasher: hasher.clone(),
        },
    );
    list_from(source, &Hashed::Here(hasher), digest, size, limits, budget)
}

/// [`list_layer_within`] for a source that hashes its bytes itself where they arrive (the
/// download, on another thread than this one, so hashing and inflating run side by side): it
/// sets `sum` to the SHA-256 of every byte it handed out when it reaches its end. The digest
/// is checked exactly as when the lister hashes: nothing is returned for a whole blob whose
/// bytes do not match, and the decompressor reads the source's buffers in place (no copy).
pub fn list_hashed_layer_within<B: BufRead>(
    blob: B,
    sum: Rc<Cell<Option<[u8; 32]>>>,
    digest: &Digest,
    size: Option<u64>,
    limits: &Limits,
    budget: &Budget,
) -> Result<LayerListing, LayerError> {
    list_from(blob, &Hashed::There(sum), digest, size, limits, budget)
}

/// The compressed bytes in `source` (hashed as `hashed` says) listed and verified.
fn list_from<B: BufRead>(
    source: B,
    hashed: &Hashed,
    digest: &Digest,
    size: Option<u64>,
    limits: &Limits,
    budget: &Budget,
) -> Result<LayerListing, LayerError> {
    let cap = size.unwrap_or(limits.blob_bytes);
    let over = Rc::new(Cell::new(false));
    let tally = Tally {
        cap,
        over: over.clone(),
    };
    let malformed = |detail: String| LayerError::Malformed {
        digest: digest.to_string(),
        detail,
    };
    let mut counted = Counted {
        inner: source,
        bytes: 0,
        cap,
        over,
    };
    // The magic may arrive split across network chunks (a first chunk of 1 byte is legal):
    // read until it is whole or the blob ends, then put it back in front of the stream.
    let magic = read_magic(&mut counted).map_err(|e| io_error(&e, &tally, digest))?;
    let mut raw = io::Cursor::new(magic.clone()).chain(counted);
    let (compression, decoder): (&str, Box<dyn Read + '_>) = if magic.starts_with(&[0x1f, 0x8b]) {
        (
            "gzip",
            Box::new(flate2::bufread::MultiGzDecoder::new(&mut raw)),
        )
    } else if magic == [0x28, 0xb5, 0x2f, 0xfd] {
        let first = ruzstd::decoding::StreamingDecoder::new(BufReader::new(&mut raw))
            .map_err(|e| malformed(format!("zstd: {e}")))?;
        (
            "zstd",
            Box::new(ZstdFrames {
                current: Some(first),
            }),
        )
    } else {
        ("tar", Box::new(&mut raw))
    };
    let read = Rc::new(Cell::new(0));
    let hit = Rc::new(Cell::new(false));
    let capped = Capped {
        inner: decoder,
        read: read.clone(),
        cap: limits.tar_bytes,
        hit: hit.clone(),
    };
    let mut listing = LayerListing {
        compression: compression.to_string(),
        ..LayerListing::default()
    };
    // The decompressor writes into this buffer in large steps; the tar reader takes its
    // headers from it and drops the data it skips in place, instead of one decoder call per
    // header and per 8 KiB skipped (about 3% less CPU on the bench image).
    let mut tar = TarReader::new(
        BufReader::with_capacity(DECOMPRESSED_BUFFER, capped),
        limits.path_bytes,
    );
    let outcome = walk(&mut tar, &mut listing, limits, budget);
    let fail = |raw: &mut dyn Read, e: LayerError| mismatch_first(raw, hashed, digest, e);
    match outcome {
        Ok(()) if listing.stopped.is_none() => {
            // The digest covers the whole blob: read what follows the archive's end (padding,
            // the gzip trailer), within the same bounds.
            if let Err(e) = io::copy(tar.inner_mut(), &mut io::sink()) {
                if !hit.get() {
                    let e = io_error(&e, &tally, digest);
                    drop(tar);
                    return Err(fail(&mut raw, e));
                }
            }
            drop(tar);
            if hit.get() {
                listing.stopped = Some(stopped_after(read.get()));
            } else {
                io::copy(&mut raw, &mut io::sink()).map_err(|e| io_error(&e, &tally, digest))?;
                check(hashed, digest)?;
            }
        }
        Ok(()) => {}
        Err(_) if hit.get() => listing.stopped = Some(stopped_after(read.get())),
        Err(e) => {
            let e = match e {
                TarError::Malformed(detail) => malformed(detail),
                TarError::Io(e) => io_error(&e, &tally, digest),
            };
            drop(tar);
            return Err(fail(&mut raw, e));
        }
    }
    listing.tar_bytes = read.get();
    Ok(listing)
}

/// What an I/O error of the compressed stream means: the size bound it broke, if any.
struct Tally {
    cap: u64,
    over: Rc<Cell<bool>>,
}

/// The whole blob was read: its bytes must hash to `digest` (only SHA-256 is checked).
fn check(hashed: &Hashed, digest: &Digest) -> Result<(), LayerError> {
    if digest.algorithm() != "sha256" {
        return Ok(());
    }
    match hashed.actual() {
        Some(actual) if actual == digest.hex() => Ok(()),
        Some(actual) => Err(LayerError::DigestMismatch {
            digest: digest.to_string(),
            actual: format!("sha256:{actual}"),
        }),
        // The source ended without saying what its bytes hash to: never trusted.
        None => Err(LayerError::Interrupted {
            digest: digest.to_string(),
        }),
    }
}

/// The first [`MAGIC_BYTES`] bytes of `blob` (fewer only when it ends first).
fn read_magic<R: Read>(blob: &mut R) -> io::Result<Vec<u8>> {
    let mut magic = vec![0u8; MAGIC_BYTES];
    let mut filled = 0;
    while filled < MAGIC_BYTES {
        match blob.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    magic.truncate(filled);
    Ok(magic)
}

/// The decompressed stream's buffer, per layer being listed.
const DECOMPRESSED_BUFFER: usize = 256 * 1024;

/// Bytes that tell gzip (2) and zstd (4) from a plain tar.
const MAGIC_BYTES: usize = 4;

/// A layer that cannot be read may simply be the wrong bytes: read the rest of the blob
/// (within its size) and, when it does not hash to its digest, say that instead, since that is
/// the finding that matters (a corrupt or substituted layer).
fn mismatch_first(
    raw: &mut dyn Read,
    hashed: &Hashed,
    digest: &Digest,
    e: LayerError,
) -> LayerError {
    if !matches!(e, LayerError::Malformed { .. }) || digest.algorithm() != "sha256" {
        return e;
    }
    if io::copy(raw, &mut io::sink()).is_err() {
        return e;
    }
    let Some(actual) = hashed.actual() else {
        return e;
    };
    if actual == digest.hex() {
        return e;
    }
    LayerError::DigestMismatch {
        digest: digest.to_string(),
        actual: format!("sha256:{actual}"),
    }
}

/// Why a listing stopped at the memory bound ([`Limits::listing_bytes`]).
#[must_use]
pub fn memory_stop(entries: usize, bytes: usize) -> String {
    format!(
        "stopped after {entries} entries / {} MiB of names (the memory bound for one image's listing); the listing is partial",
        bytes >> 20
    )
}

fn stopped_after(bytes: u64) -> String {
    format!(
        "stopped after {} MiB of decompressed data (the bound); the listing is partial and the digest was not verified",
        bytes >> 20
    )
}

fn io_error(e: &io::Error, tally: &Tally, digest: &Digest) -> LayerError {
    if tally.over.get() {
        return LayerError::Oversized {
            digest: digest.to_string(),
            size: tally.cap,
        };
    }
    if e.kind() == io::ErrorKind::ConnectionAborted {
        return LayerError::Interrupted {
            digest: digest.to_string(),
        };
    }
    LayerError::Malformed {
        digest: digest.to_string(),
        detail: e.to_string(),
    }
}

/// Every entry of the archive into `listing`, within the entry bound.
fn walk<R: BufRead>(
    tar: &mut TarReader<R>,
    listing: &mut LayerListing,
    limits: &Limits,
    budget: &Budget,
) -> Result<(), TarError> {
    let head = |e: &RawEntry| {
        let path = normalize(&e.path).unwrap_or_default();
        if e.is_regular() && TEXT_FILES.contains(&path.as_str()) {
            TEXT_BYTES
        } else if e.is_regular() && e.mode & 0o111 != 0 {
            HEAD_BYTES
        } else {
            0
        }
    };
    let mut heads: BTreeMap<String, Option<Exec>> = BTreeMap::new();
    let mut used = 0usize;
    while let Some((raw, data)) = tar.next_entry(head)? {
        if listing.entries.len() >= limits.entries_per_layer {
            listing.stopped = Some(format!(
                "stopped after {} entries (the bound); the listing is partial",
                limits.entries_per_layer
            ));
            return Ok(());
        }
        let Some(entry) = interpret(&raw, &data, &heads) else {
            listing.escaping += 1;
            continue;
        };
        let cost = Limits::cost(&entry);
        if !budget.take(cost) {
            listing.stopped = Some(memory_stop(listing.entries.len(), used));
            return Ok(());
        }
        used += cost;
        if TEXT_FILES.contains(&entry.path.as_str()) && entry.kind == EntryKind::File {
            listing.texts.insert(
                entry.path.clone(),
                String::from_utf8_lossy(&data).into_owned(),
            );
        }
        if entry.exec.is_some() {
            heads.insert(entry.path.clone(), entry.exec.clone());
        }
        listing.entries.push(entry);
    }
    Ok(())
}

/// One raw tar entry as a layer entry: whiteouts recognised, paths normalised, executables
/// classified. `None` for a path that escapes the root.
fn interpret(raw: &RawEntry, data: &[u8], heads: &BTreeMap<String, Option<Exec>>) -> Option<Entry> {
    let path = normalize(&raw.path)?;
    let name = super::base_name(&path);
    let dir = super::parent(&path);
    let join = |n: &str| {
        if dir.is_empty() {
            n.to_string()
        } else {
            format!("{dir}/{n}")
        }
    };
    let (kind, path) = if name == ".wh..wh..opq" {
        (EntryKind::Opaque, dir.to_string())
    } else if let Some(hidden) = name.strip_prefix(".wh.") {
        (EntryKind::Whiteout, join(hidden))
    } else {
        let kind = match raw.typeflag {
            b'0' | 0 | b'7' => EntryKind::File,
            b'5' => EntryKind::Dir,
            b'2' => EntryKind::Symlink,
            b'1' => EntryKind::Hardlink,
            _ => EntryKind::Other,
        };
        (kind, path)
    };
    let link = match kind {
        EntryKind::Symlink => Some(raw.link.clone()),
        EntryKind::Hardlink => Some(normalize(&raw.link).unwrap_or_default()),
        _ => None,
    };
    let exec = match kind {
        EntryKind::File if raw.mode & 0o111 != 0 => exec::classify(data),
        // A hard link shares its target's content, read earlier in this layer.
        EntryKind::Hardlink => link.as_ref().and_then(|l| heads.get(l).cloned().flatten()),
        _ => None,
    };
    Some(Entry {
        path,
        kind,
        size: if kind == EntryKind::File { raw.size } else { 0 },
        mode: raw.mode,
        uid: raw.uid,
        gid: raw.gid,
        link,
        exec,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::io::Write as _;

    use super::super::exec::build::elf64;
    use super::super::tar::build::archive;
    use super::*;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn sample() -> Vec<u8> {
        let elf = elf64(62, Some("/lib/ld-musl-x86_64.so.1"));
        archive(&[
            ("./", b'5', 0o755, b"", ""),
            ("./app", b'0', 0o755, &elf, ""),
            (
                "./etc/passwd",
                b'0',
                0o644,
                b"root:x:0:0::/root:/bin/sh\n",
                "",
            ),
            ("./etc/.wh.old", b'0', 0o644, b"", ""),
            ("./opt/.wh..wh..opq", b'0', 0o644, b"", ""),
            ("./bin/sh", b'2', 0o777, b"", "busybox"),
            ("../escape", b'0', 0o644, b"x", ""),
        ])
    }

    fn list(blob: &[u8]) -> Result<LayerListing, LayerError> {
        list_layer(
            blob,
            &Digest::sha256_of(blob),
            Some(blob.len() as u64),
            &Limits::default(),
        )
    }

    #[test]
    fn tar_gzip_and_zstd_list_the_same() {
        let tar = sample();
        let plain = list(&tar).unwrap();
        let gz = list(&gzip(&tar)).unwrap();
        let zst = list(&ruzstd::encoding::compress_to_vec(
            &tar[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        ))
        .unwrap();
        assert_eq!(plain.entries, gz.entries);
        assert_eq!(plain.entries, zst.entries);
        assert_eq!(
            (
                plain.compression.as_str(),
                gz.compression.as_str(),
                zst.compression.as_str()
            ),
            ("tar", "gzip", "zstd")
        );
        let kinds: Vec<(&str, EntryKind)> = plain
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                ("", EntryKind::Dir),
                ("app", EntryKind::File),
                ("etc/passwd", EntryKind::File),
                ("etc/old", EntryKind::Whiteout),
                ("opt", EntryKind::Opaque),
                ("bin/sh", EntryKind::Symlink),
            ]
        );
        assert_eq!(plain.escaping, 1);
        assert!(
            matches!(&plain.entries[1].exec, Some(Exec::Elf(e)) if e.interpreter.as_deref() == Some("/lib/ld-musl-x86_64.so.1"))
        );
        assert!(plain.texts["etc/passwd"].starts_with("root:x:0:0"));
    }

    #[test]
    fn a_digest_mismatch_is_a_security_error() {
        let blob = gzip(&sample());
        let wrong = Digest::sha256_of(b"something else");
        let err = list_layer(
            &blob[..],
            &wrong,
            Some(blob.len() as u64),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, LayerError::DigestMismatch { .. }), "{err}");
        assert!(err.to_string().contains("not trusted"));
    }

    #[test]
    fn unreadable_bytes_that_are_not_the_layer_are_called_a_mismatch() {
        let mut blob = gzip(&sample());
        let digest = Digest::sha256_of(&blob);
        let last = blob.len() - 1;
        blob[last] ^= 1;
        let err = list_layer(
            &blob[..],
            &digest,
            Some(blob.len() as u64),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, LayerError::DigestMismatch { .. }), "{err}");
        // The right bytes that are not a tar stay a plain "not a tar" error.
        let junk = vec![7u8; 4096];
        let err = list(&junk).unwrap_err();
        assert!(matches!(err, LayerError::Malformed { .. }), "{err}");
    }

    /// A source that hashes its own bytes (the download): its sum is what is checked, so a
    /// sum that does not match the digest is a mismatch, and no sum at all is never trusted.
    #[test]
    fn a_source_that_hashes_its_bytes_is_checked_by_its_sum() {
        let blob = gzip(&sample());
        let digest = Digest::sha256_of(&blob);
        let sum_of = |bytes: &[u8]| -> [u8; 32] { Sha256::digest(bytes).into() };
        let list_with = |sum: Option<[u8; 32]>| {
            list_hashed_layer_within(
                &blob[..],
                Rc::new(Cell::new(sum)),
                &digest,
                Some(blob.len() as u64),
                &Limits::default(),
                &Budget::new(Limits::default().listing_bytes),
            )
        };
        let listed = list_with(Some(sum_of(&blob))).unwrap();
        assert_eq!(listed.entries, list(&blob).unwrap().entries);
        let err = list_with(Some(sum_of(b"other bytes"))).unwrap_err();
        assert!(matches!(err, LayerError::DigestMismatch { .. }), "{err}");
        let err = list_with(None).unwrap_err();
        assert!(matches!(err, LayerError::Interrupted { .. }), "{err}");
        // Unreadable bytes from such a source are still called a mismatch when they are one.
        let mut bad = blob.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        let err = list_hashed_layer_within(
            &bad[..],
            Rc::new(Cell::new(Some(sum_of(&bad)))),
            &digest,
            Some(bad.len() as u64),
            &Limits::default(),
            &Budget::new(Limits::default().listing_bytes),
        )
        .unwrap_err();
        assert!(matches!(err, LayerError::DigestMismatch { .. }), "{err}");
    }

    #[test]
    fn more_bytes_than_the_descriptor_says_are_refused() {
        let blob = gzip(&sample());
        let err = list_layer(
            &blob[..],
            &Digest::sha256_of(&blob),
            Some(10),
            &Limits::default(),
        )
        .unwrap_err();
        assert!(matches!(err, LayerError::Oversized { .. }), "{err}");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_bound_and_says_so() {
        // 64 MiB of zeros inside one entry compress to about 64 KiB.
        let mut tar = build_header_for_zeros(64 << 20);
        tar.extend(std::iter::repeat_n(0u8, 64 << 20));
        let blob = gzip(&tar);
        assert!(blob.len() < 1 << 20);
        let limits = Limits {
            tar_bytes: 8 << 20,
            ..Limits::default()
        };
        let listing = list_layer(&blob[..], &Digest::sha256_of(&blob), None, &limits).unwrap();
        let stopped = listing.stopped.unwrap();
        assert!(stopped.starts_with("stopped after 8 MiB"), "{stopped}");
        assert!(listing.tar_bytes <= 8 << 20);
    }

    fn build_header_for_zeros(size: u64) -> Vec<u8> {
        super::super::tar::build::header("zeros", b'0', size, 0o644, "").to_vec()
    }

    #[test]
    fn the_entry_bound_holds() {
        let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
        let entries: Vec<(&str, u8, u32, &[u8], &str)> = names
            .iter()
            .map(|n| (n.as_str(), b'0', 0o644, &b""[..], ""))
            .collect();
        let tar = archive(&entries);
        let limits = Limits {
            entries_per_layer: 20,
            ..Limits::default()
        };
        let listing = list_layer(&tar[..], &Digest::sha256_of(&tar), None, &limits).unwrap();
        assert_eq!(listing.entries.len(), 20);
        assert!(listing.stopped.unwrap().contains("20 entries"));
    }

    /// Layers listed at once share one memory bound: what the first took, the second cannot.
    #[test]
    fn layers_listed_together_share_the_memory_bound() {
        let names: Vec<String> = (0..50).map(|i| format!("f{i:02}")).collect();
        let entries: Vec<(&str, u8, u32, &[u8], &str)> = names
            .iter()
            .map(|n| (n.as_str(), b'0', 0o644, &b""[..], ""))
            .collect();
        let tar = archive(&entries);
        let digest = Digest::sha256_of(&tar);
        let per_entry = 3 + super::super::ENTRY_OVERHEAD;
        let limits = Limits::default();
        let budget = Budget::new(70 * per_entry);
        let first = list_layer_within(&tar[..], &digest, None, &limits, &budget).unwrap();
        assert_eq!(first.entries.len(), 50);
        assert!(first.stopped.is_none());
        let second = list_layer_within(&tar[..], &digest, None, &limits, &budget).unwrap();
        assert_eq!(second.entries.len(), 20, "what the first layer left");
        assert!(second.stopped.unwrap().contains("stopped after 20 entries"));
        assert!(!budget.take(1), "the budget is spent");
    }

    /// Hands out the blob in chunks of the given sizes (then the rest at once), as a network
    /// might: a first chunk of one byte is legal.
    struct Chunked<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let want = if self.sizes.is_empty() {
                self.data.len()
            } else {
                self.sizes.remove(0)
            };
            let n = want.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_format_is_sniffed_across_chunk_boundaries() {
        let tar = sample();
        let zst = ruzstd::encoding::compress_to_vec(
            &tar[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        for (blob, compression) in [(gzip(&tar), "gzip"), (zst, "zstd"), (tar.clone(), "tar")] {
            let whole = list(&blob).unwrap();
            for sizes in [
                vec![1],
                vec![1, 1, 1],
                vec![2, 1],
                vec![3],
                vec![1, 2, 1, 7],
            ] {
                let reader = Chunked {
                    data: &blob,
                    sizes: sizes.clone(),
                };
                let listing = list_layer(
                    reader,
                    &Digest::sha256_of(&blob),
                    Some(blob.len() as u64),
                    &Limits::default(),
                )
                .unwrap_or_else(|e| panic!("{compression} in chunks {sizes:?}: {e}"));
                assert_eq!(listing.compression, compression);
                assert_eq!(listing.entries, whole.entries, "{compression} {sizes:?}");
            }
        }
    }

    #[test]
    fn the_memory_bound_stops_long_names_and_says_so() {
        let names: Vec<String> = (0..200)
            .map(|i| format!("{i:04}{}", "x".repeat(3000)))
            .collect();
        let entries: Vec<(&str, u8, u32, &[u8], &str)> = names
            .iter()
            .map(|n| (n.as_str(), b'0', 0o644, &b""[..], ""))
            .collect();
        let tar = archive(&entries);
        let limits = Limits {
            listing_bytes: 100 * 1024,
            ..Limits::default()
        };
        let listing = list_layer(&tar[..], &Digest::sha256_of(&tar), None, &limits).unwrap();
        let kept: usize = listing.entries.iter().map(Limits::cost).sum();
        assert!(kept <= 100 * 1024, "{kept}");
        assert!(listing.entries.len() >= 30 && listing.entries.len() < 200);
        let stopped = listing.stopped.unwrap();
        assert!(
            stopped.contains(&format!("stopped after {} entries", listing.entries.len()))
                && stopped.contains("MiB of names"),
            "{stopped}"
        );
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let junk = vec![7u8; 4096];
        let err = list(&junk).unwrap_err().to_string();
        assert!(err.contains("not a tar archive"), "{err}");
        let err = list(&[0x1f, 0x8b, 1, 2, 3]).unwrap_err().to_string();
        assert!(err.contains("not a tar archive"), "{err}");
    }
}
