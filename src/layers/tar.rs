//! A streaming tar reader (ustar, GNU long names, PAX paths) written for hostile input: every
//! header is checksummed, long names and PAX records are capped before they are buffered, and
//! entry data is skipped as it streams by, never held beyond the head a caller asks for.

use std::io::{self, BufRead};

const BLOCK: usize = 512;
/// PAX extended headers larger than this are refused (real ones are a few hundred bytes).
const PAX_BYTES: u64 = 64 * 1024;

/// One entry as its header(s) describe it, before any interpretation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    pub path: String,
    pub link: String,
    /// The tar type flag (`b'0'` file, `b'5'` directory, `b'2'` symlink, ...).
    pub typeflag: u8,
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
}

impl RawEntry {
    #[must_use]
    pub fn is_regular(&self) -> bool {
        matches!(self.typeflag, b'0' | 0 | b'7')
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TarError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("{0}")]
    Malformed(String),
}

/// Reads entries one after the other from a decompressed tar stream, a `BufRead` so that
/// skipped data is dropped where it already is (the caller's buffer) rather than read out again.
pub struct TarReader<R> {
    inner: R,
    /// Bytes consumed so far, for messages that say where the archive went wrong.
    offset: u64,
    path_bytes: usize,
}

/// Extensions a GNU or PAX header carries over to the next entry.
#[derive(Default)]
struct Pending {
    path: Option<String>,
    link: Option<String>,
    size: Option<u64>,
    uid: Option<u64>,
    gid: Option<u64>,
}

impl<R: BufRead> TarReader<R> {
    pub fn new(inner: R, path_bytes: usize) -> Self {
        Self {
            inner,
            offset: 0,
            path_bytes,
        }
    }

    /// Bytes of the tar stream read so far.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The underlying reader, for draining what follows the archive.
    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The next entry and the first `head(entry)` bytes of its data (the rest is skipped);
    /// `None` at the end of the archive.
    pub fn next_entry(
        &mut self,
        head: impl Fn(&RawEntry) -> usize,
    ) -> Result<Option<(RawEntry, Vec<u8>)>, TarError> {
        let mut pending = Pending::default();
        loop {
            let Some(block) = self.header_block()? else {
                return Ok(None);
            };
            let at = self.offset - BLOCK as u64;
            let mut entry = parse_header(&block, at)?;
            match entry.typeflag {
                b'L' | b'K' => {
                    let data = self.small_data(entry.size, self.path_bytes as u64 + 1, at)?;
                    let text = cstr(&data);
                    if entry.typeflag == b'L' {
                        pending.path = Some(text);
                    } else {
                        pending.link = Some(text);
                    }
                }
                b'x' => {
                    let data = self.small_data(entry.size, PAX_BYTES, at)?;
                    parse_pax(&data, &mut pending);
                }
                b'g' => self.skip(padded(entry.size))?,
                _ => {
                    if let Some(p) = pending.path.take() {
                        entry.path = p;
                    }
                    if let Some(l) = pending.link.take() {
                        entry.link = l;
                    }
                    entry.size = pending.size.take().unwrap_or(entry.size);
                    entry.uid = pending.uid.take().unwrap_or(entry.uid);
                    entry.gid = pending.gid.take().unwrap_or(entry.gid);
                    if entry.path.len() > self.path_bytes || entry.link.len() > self.path_bytes {
                        return Err(TarError::Malformed(format!(
                            "the entry at byte {at} has a path or link longer than {} bytes",
                            self.path_bytes
                        )));
                    }
                    // Links, directories and devices carry no data whatever their size says.
                    let data_size =
                        if matches!(entry.typeflag, b'1' | b'2' | b'3' | b'4' | b'5' | b'6') {
                            0
                        } else {
                            entry.size
                        };
                    let wanted = (head(&entry) as u64).min(data_size);
                    let mut kept = Vec::new();
                    if wanted > 0 {
                        kept = vec![0; usize::try_from(wanted).unwrap_or(0)];
                        self.read_exact(&mut kept)?;
                    }
                    self.skip(padded(data_size) - wanted)?;
                    return Ok(Some((entry, kept)));
                }
            }
        }
    }

    /// The next header block; `None` at a zero block or a clean end between entries.
    fn header_block(&mut self) -> Result<Option<[u8; BLOCK]>, TarError> {
        let mut block = [0u8; BLOCK];
        let mut filled = 0;
        while filled < BLOCK {
            let n = match self.inner.read(&mut block[filled..]) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if n == 0 {
                if filled == 0 {
                    // Some writers omit the two zero blocks that end an archive.
                    return Ok(None);
                }
                return Err(TarError::Malformed(format!(
                    "the archive ends inside a header at byte {}",
                    self.offset
                )));
            }
            filled += n;
        }
        self.offset += BLOCK as u64;
        if block.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        Ok(Some(block))
    }

    fn small_data(&mut self, size: u64, cap: u64, at: u64) -> Result<Vec<u8>, TarError> {
        if size > cap {
            return Err(TarError::Malformed(format!(
                "the extended header at byte {at} claims {size} bytes (more than {cap}); refused"
            )));
        }
        let mut data = vec![0; usize::try_from(size).unwrap_or(0)];
        self.read_exact(&mut data)?;
        self.skip(padded(size) - size)?;
        Ok(data)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), TarError> {
        self.inner
            .read_exact(buf)
            .map_err(|e| self.eof_is_malformed(e))?;
        self.offset += buf.len() as u64;
        Ok(())
    }

    /// Skips `n` bytes of entry data as they stream by: each step drops what the reader's
    /// buffer holds, so the loop ends after at most `n` steps (each drops at least a byte, or
    /// the archive ended).
    fn skip(&mut self, n: u64) -> Result<(), TarError> {
        let mut left = n;
        while left > 0 {
            let available = match self.inner.fill_buf() {
                Ok(buf) => buf.len(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            if available == 0 {
                return Err(TarError::Malformed(format!(
                    "the archive ends at byte {} inside an entry: a header claims more data than follows",
                    self.offset
                )));
            }
            let step = usize::try_from(left).map_or(available, |l| l.min(available));
            self.inner.consume(step);
            self.offset += step as u64;
            left -= step as u64;
        }
        Ok(())
    }

    fn eof_is_malformed(&self, e: io::Error) -> TarError {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            TarError::Malformed(format!(
                "the archive ends near byte {} inside an entry: a header claims more data than follows",
                self.offset
            ))
        } else {
            TarError::Io(e)
        }
    }
}

/// `size` rounded up to whole blocks.
fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64).saturating_mul(BLOCK as u64)
}

fn parse_header(block: &[u8; BLOCK], at: u64) -> Result<RawEntry, TarError> {
    let stored = octal(&block[148..156]);
    let computed: u64 = block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(*b)
            }
        })
        .sum();
    if stored != Some(computed) {
        return Err(TarError::Malformed(format!(
            "the header at byte {at} has a bad checksum (not a tar archive, or a corrupt one)"
        )));
    }
    let field = |range: std::ops::Range<usize>, name: &str| {
        number(&block[range]).ok_or_else(|| {
            TarError::Malformed(format!("the header at byte {at} has an unreadable {name}"))
        })
    };
    let mut path = cstr(&block[0..100]);
    // POSIX ustar splits long names into prefix/name; GNU's magic has other fields there.
    if &block[257..263] == b"ustar\0" {
        let prefix = cstr(&block[345..500]);
        if !prefix.is_empty() {
            path = format!("{prefix}/{path}");
        }
    }
    Ok(RawEntry {
        path,
        link: cstr(&block[157..257]),
        typeflag: block[156],
        size: field(124..136, "size")?,
        mode: u32::try_from(field(100..108, "mode")? & 0o7777).unwrap_or(0),
        uid: field(108..116, "uid")?,
        gid: field(116..124, "gid")?,
    })
}

/// A numeric field: octal text, or GNU base-256 when the high bit is set.
fn number(field: &[u8]) -> Option<u64> {
    match field.first() {
        Some(b) if b & 0x80 != 0 => {
            let mut v: u64 = u64::from(b & 0x7f);
            for b in &field[1..] {
                v = v.checked_mul(256)?.checked_add(u64::from(*b))?;
            }
            Some(v)
        }
        _ => octal(field),
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    let text = field
        .iter()
        .skip_while(|b| **b == b' ' || **b == 0)
        .take_while(|b| **b != b' ' && **b != 0)
        .copied()
        .collect::<Vec<u8>>();
    if text.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for b in text {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

fn cstr(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// PAX records: `LEN key=value\n`, the length counting the whole record.
fn parse_pax(data: &[u8], pending: &mut Pending) {
    let mut rest = data;
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|b| *b == b' ') else {
            return;
        };
        let Some(len) = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            return;
        };
        if len <= space + 1 || len > rest.len() {
            return;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|b| *b == b'=') {
            let value = String::from_utf8_lossy(&record[eq + 1..]).into_owned();
            match &record[..eq] {
                b"path" => pending.path = Some(value),
                b"linkpath" => pending.link = Some(value),
                b"size" => pending.size = value.parse().ok(),
                b"uid" => pending.uid = value.parse().ok(),
                b"gid" => pending.gid = value.parse().ok(),
                _ => {}
            }
        }
        rest = &rest[len..];
    }
}

/// Builds tar headers with real checksums (for tests, which build their layers in code).
pub mod build {
    /// One header block.
    #[must_use]
    pub fn header(path: &str, typeflag: u8, size: u64, mode: u32, link: &str) -> [u8; 512] {
        let mut h = [0u8; 512];
        h[..path.len().min(100)].copy_from_slice(&path.as_bytes()[..path.len().min(100)]);
        put_octal(&mut h[100..108], u64::from(mode));
        put_octal(&mut h[108..116], 0);
        put_octal(&mut h[116..124], 0);
        put_octal(&mut h[124..136], size);
        put_octal(&mut h[136..148], 0);
        h[156] = typeflag;
        h[157..157 + link.len().min(100)].copy_from_slice(&link.as_bytes()[..link.len().min(100)]);
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u64 = h.iter().map(|b| u64::from(*b)).sum();
        put_octal(&mut h[148..155], sum);
        h
    }

    /// A PAX extended header naming `path` (any length), to put before an entry's header.
    #[must_use]
    pub fn pax_path(path: &str) -> Vec<u8> {
        // The record's length counts its own digits.
        let body = format!(" path={path}\n");
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        let record = format!("{len}{body}");
        let mut out = header("PaxHeader", b'x', record.len() as u64, 0o644, "").to_vec();
        out.extend_from_slice(record.as_bytes());
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    /// A whole archive: `(path, typeflag, mode, data, link)` per entry, then the end blocks.
    /// Paths longer than 100 bytes get a PAX header.
    #[must_use]
    pub fn archive(entries: &[(&str, u8, u32, &[u8], &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, flag, mode, data, link) in entries {
            if path.len() > 100 {
                out.extend_from_slice(&pax_path(path));
            }
            out.extend_from_slice(&header(path, *flag, data.len() as u64, *mode, link));
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    /// Octal text, or GNU base-256 when the value does not fit (sizes past 8 GiB).
    fn put_octal(field: &mut [u8], v: u64) {
        let text = format!("{v:0width$o}", width = field.len() - 1);
        if text.len() < field.len() {
            field[..text.len()].copy_from_slice(text.as_bytes());
            return;
        }
        field.fill(0);
        let bytes = v.to_be_bytes();
        let at = field.len() - bytes.len();
        field[at..].copy_from_slice(&bytes);
        field[0] |= 0x80;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::build::header;
    use super::*;

    fn archive(parts: &[(&str, u8, &[u8], &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, flag, data, link) in parts {
            out.extend_from_slice(&header(path, *flag, data.len() as u64, 0o755, link));
            out.extend_from_slice(data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.extend_from_slice(&[0; 1024]);
        out
    }

    fn all(bytes: &[u8]) -> Result<Vec<(RawEntry, Vec<u8>)>, TarError> {
        let mut r = TarReader::new(bytes, 4096);
        let mut out = Vec::new();
        while let Some(e) = r.next_entry(|_| 4)? {
            out.push(e);
        }
        Ok(out)
    }

    #[test]
    fn entries_and_heads() {
        let bytes = archive(&[
            ("bin/", b'5', b"", ""),
            ("bin/app", b'0', b"\x7fELF-and-more", ""),
            ("bin/sh", b'2', b"", "busybox"),
        ]);
        let entries = all(&bytes).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[1].0.path, "bin/app");
        assert_eq!(entries[1].1, b"\x7fELF");
        assert_eq!(entries[2].0.link, "busybox");
    }

    #[test]
    fn gnu_long_names_and_pax_paths() {
        let long = format!("{}/file", "d".repeat(150));
        let mut pax = String::new();
        let record = format!("path={}\n", "p".repeat(120));
        pax.push_str(&format!("{} {record}", record.len() + 4));
        let bytes = archive(&[
            ("././@LongLink", b'L', long.as_bytes(), ""),
            ("short", b'0', b"x", ""),
            ("PaxHeaders/x", b'x', pax.as_bytes(), ""),
            ("short2", b'0', b"y", ""),
        ]);
        let entries = all(&bytes).unwrap();
        assert_eq!(entries[0].0.path, long);
        assert_eq!(entries[1].0.path, "p".repeat(120));
    }

    #[test]
    fn a_header_that_lies_about_its_size_is_an_error_not_a_hang() {
        let mut bytes = header("big", b'0', 1 << 40, 0o644, "").to_vec();
        bytes.extend_from_slice(&[1; 2048]);
        let err = all(&bytes).unwrap_err();
        assert!(err.to_string().contains("claims more data"), "{err}");
    }

    #[test]
    fn data_skipped_across_many_small_buffers_lands_on_the_same_entries() {
        let big = vec![7u8; 5000];
        let bytes = archive(&[
            ("big", b'0', &big, ""),
            ("bin/app", b'0', b"\x7fELF-and-more", ""),
            ("last", b'0', b"z", ""),
        ]);
        // A 7-byte buffer: every skip takes hundreds of steps, each ending mid-block.
        let mut r = TarReader::new(io::BufReader::with_capacity(7, bytes.as_slice()), 4096);
        let mut small = Vec::new();
        while let Some(e) = r.next_entry(|_| 4).unwrap() {
            small.push(e);
        }
        assert_eq!(small, all(&bytes).unwrap());
        assert_eq!(r.offset(), bytes.len() as u64 - 1024 + 512);
        // Cut inside the first entry's data: the same error, at the same byte, either way.
        let cut = &bytes[..3000];
        let mut r = TarReader::new(io::BufReader::with_capacity(7, cut), 4096);
        let small = r.next_entry(|_| 0).unwrap_err().to_string();
        assert_eq!(small, all(cut).unwrap_err().to_string());
        assert!(
            small.contains("ends at byte 3000 inside an entry"),
            "{small}"
        );
    }

    #[test]
    fn bad_checksums_and_oversized_long_names_are_refused() {
        let mut bytes = archive(&[("a", b'0', b"x", "")]);
        bytes[0] = b'b';
        assert!(all(&bytes).unwrap_err().to_string().contains("checksum"));
        let mut bytes = header("././@LongLink", b'L', 1 << 30, 0o644, "").to_vec();
        bytes.extend_from_slice(&[0; 1024]);
        let err = all(&bytes).unwrap_err().to_string();
        assert!(err.contains("refused"), "{err}");
    }

    #[test]
    fn paths_over_the_cap_are_refused() {
        let long = "x".repeat(5000);
        let bytes = archive(&[
            ("././@LongLink", b'L', long.as_bytes(), ""),
            ("a", b'0', b"", ""),
        ]);
        let err = all(&bytes).unwrap_err().to_string();
        assert!(err.contains("refused") || err.contains("longer"), "{err}");
    }

    #[test]
    fn base256_numbers() {
        let mut f = [0u8; 12];
        f[0] = 0x80;
        f[11] = 5;
        assert_eq!(number(&f), Some(5));
        assert_eq!(octal(b"0000644\0"), Some(0o644));
        assert_eq!(octal(b"12a"), None);
    }
}
