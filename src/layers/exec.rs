//! What the kernel makes of an executable's first bytes: an ELF (machine, class, the loader it
//! names in `PT_INTERP`) or a `#!` script (its interpreter). Parsed by hand from a bounded head.

use serde::{Deserialize, Serialize};

/// Bytes of an executable kept to read its headers and loader path from.
pub const HEAD_BYTES: usize = 16 * 1024;

/// What an executable file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum Exec {
    Elf(Elf),
    /// `#!interpreter [arg]`.
    Script {
        interpreter: String,
    },
    /// Neither: the kernel refuses it with "exec format error".
    Unknown,
}

/// The parts of an ELF header that decide whether it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Elf {
    /// `e_machine` (62 x86-64, 183 aarch64, 40 arm, 3 i386, ...).
    pub machine: u16,
    pub bits64: bool,
    /// The loader `PT_INTERP` names (`/lib/ld-musl-x86_64.so.1`); `None`: statically linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// `PT_INTERP` lies past the head regscope keeps: dynamic, loader unknown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interpreter_unread: bool,
}

impl Elf {
    /// The GOARCH name of this machine, as image configs spell architectures.
    #[must_use]
    pub fn architecture(&self) -> Option<&'static str> {
        Some(match (self.machine, self.bits64) {
            (62, true) => "amd64",
            (3, false) => "386",
            (183, true) => "arm64",
            (40, false) => "arm",
            (21, true) => "ppc64le",
            (22, true) => "s390x",
            (243, true) => "riscv64",
            (258, true) => "loong64",
            (8, true) => "mips64le",
            (8, false) => "mipsle",
            _ => return None,
        })
    }

    /// A word for the linking: `static` or `dynamic (LOADER)`.
    #[must_use]
    pub fn linking(&self) -> String {
        match &self.interpreter {
            Some(i) => format!("dynamic ({i})"),
            None if self.interpreter_unread => "dynamic".into(),
            None => "static".into(),
        }
    }
}

/// What `head` (a file's first bytes) is, or `None` when it is empty.
#[must_use]
pub fn classify(head: &[u8]) -> Option<Exec> {
    if head.is_empty() {
        return None;
    }
    if let Some(rest) = head.strip_prefix(b"#!") {
        let line = rest.split(|b| *b == b'\n').next().unwrap_or(rest);
        let line = String::from_utf8_lossy(&line[..line.len().min(256)]);
        let interpreter = line.split_whitespace().next().unwrap_or("").to_string();
        return Some(Exec::Script { interpreter });
    }
    Some(parse_elf(head).map_or(Exec::Unknown, Exec::Elf))
}

/// Reads an ELF header and its program headers from `head`; `None` when it is not an ELF.
#[must_use]
pub fn parse_elf(head: &[u8]) -> Option<Elf> {
    if head.get(..4)? != b"\x7fELF" {
        return None;
    }
    let bits64 = match head.get(4)? {
        1 => false,
        2 => true,
        _ => return None,
    };
    let little = match head.get(5)? {
        1 => true,
        2 => false,
        _ => return None,
    };
    let r = Reader { head, little };
    let machine = r.u16(18)?;
    let (phoff, phentsize, phnum) = if bits64 {
        (r.u64(32)?, r.u16(54)?, r.u16(56)?)
    } else {
        (u64::from(r.u32(28)?), r.u16(42)?, r.u16(44)?)
    };
    let mut elf = Elf {
        machine,
        bits64,
        interpreter: None,
        interpreter_unread: false,
    };
    // At most 64 program headers are looked at: PT_INTERP comes first in every linker's output.
    for i in 0..u64::from(phnum).min(64) {
        let at = phoff.checked_add(i.checked_mul(u64::from(phentsize))?)?;
        let at = usize::try_from(at).ok()?;
        let Some(kind) = r.u32(at) else {
            elf.interpreter_unread = true;
            break;
        };
        if kind != 3 {
            continue;
        }
        let (offset, size) = if bits64 {
            (r.u64(at + 8), r.u64(at + 32))
        } else {
            (r.u32(at + 4).map(u64::from), r.u32(at + 16).map(u64::from))
        };
        let text = offset.zip(size).and_then(|(o, s)| {
            let start = usize::try_from(o).ok()?;
            let end = start.checked_add(usize::try_from(s.min(4096)).ok()?)?;
            head.get(start..end)
        });
        match text {
            Some(bytes) => {
                let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
                elf.interpreter = Some(String::from_utf8_lossy(&bytes[..end]).into_owned());
            }
            None => elf.interpreter_unread = true,
        }
        break;
    }
    Some(elf)
}

struct Reader<'a> {
    head: &'a [u8],
    little: bool,
}

impl Reader<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> Option<[u8; N]> {
        self.head.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, at: usize) -> Option<u16> {
        let b = self.bytes::<2>(at)?;
        Some(if self.little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    }
    fn u32(&self, at: usize) -> Option<u32> {
        let b = self.bytes::<4>(at)?;
        Some(if self.little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn u64(&self, at: usize) -> Option<u64> {
        let b = self.bytes::<8>(at)?;
        Some(if self.little {
            u64::from_le_bytes(b)
        } else {
            u64::from_be_bytes(b)
        })
    }
}

/// Tiny ELF files made byte by byte: a header and, for a dynamic one, a `PT_INTERP` program
/// header and its path. Enough for [`parse_elf`] and for tests on any machine.
pub mod build {
    /// A 64-bit little-endian ELF for `machine` (62 x86-64, 183 aarch64), dynamic when
    /// `interpreter` is given.
    #[must_use]
    pub fn elf64(machine: u16, interpreter: Option<&str>) -> Vec<u8> {
        let mut out = vec![0u8; 64];
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = 2; // 64-bit
        out[5] = 1; // little endian
        out[6] = 1; // version
        out[16..18].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        out[18..20].copy_from_slice(&machine.to_le_bytes());
        out[20..24].copy_from_slice(&1u32.to_le_bytes());
        out[32..40].copy_from_slice(&64u64.to_le_bytes()); // e_phoff
        out[52..54].copy_from_slice(&64u16.to_le_bytes()); // e_ehsize
        out[54..56].copy_from_slice(&56u16.to_le_bytes()); // e_phentsize
        let Some(interp) = interpreter else {
            return out;
        };
        out[56..58].copy_from_slice(&1u16.to_le_bytes()); // e_phnum
        let text_at: u64 = 64 + 56;
        let mut ph = vec![0u8; 56];
        ph[..4].copy_from_slice(&3u32.to_le_bytes()); // PT_INTERP
        ph[8..16].copy_from_slice(&text_at.to_le_bytes());
        ph[32..40].copy_from_slice(&(interp.len() as u64 + 1).to_le_bytes());
        out.extend_from_slice(&ph);
        out.extend_from_slice(interp.as_bytes());
        out.push(0);
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn static_and_dynamic_elves_and_scripts() {
        let s = parse_elf(&build::elf64(62, None)).unwrap();
        assert_eq!(s.architecture(), Some("amd64"));
        assert_eq!(s.linking(), "static");
        let d = parse_elf(&build::elf64(183, Some("/lib/ld-musl-aarch64.so.1"))).unwrap();
        assert_eq!(d.architecture(), Some("arm64"));
        assert_eq!(d.interpreter.as_deref(), Some("/lib/ld-musl-aarch64.so.1"));
        assert_eq!(
            classify(b"#!/usr/bin/env python3\nprint()"),
            Some(Exec::Script {
                interpreter: "/usr/bin/env".into()
            })
        );
        assert_eq!(classify(b"plain text"), Some(Exec::Unknown));
        assert_eq!(classify(b""), None);
    }

    #[test]
    fn a_real_binary_of_this_machine_parses() {
        let Ok(bytes) = std::fs::read("/bin/true") else {
            return;
        };
        let elf = parse_elf(&bytes[..bytes.len().min(HEAD_BYTES)]).unwrap();
        assert!(elf.interpreter.is_some(), "{elf:?}");
    }

    #[test]
    fn truncated_and_hostile_headers_never_panic() {
        let full = build::elf64(62, Some("/lib/ld.so"));
        for n in 0..full.len() {
            let _ = parse_elf(&full[..n]);
        }
        let mut huge = build::elf64(62, Some("/x"));
        huge[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        huge[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
        let elf = parse_elf(&huge);
        assert!(elf.is_none_or(|e| e.interpreter.is_none()));
    }
}
