//! A bounded CBOR reader (RFC 8949), only as much as a `COSE_Sign1` envelope needs: integers,
//! byte and text strings, arrays, maps, tags and simple values, with definite lengths.
//!
//! Written here rather than taken from a crate: the envelope is a few hundred bytes of five
//! item kinds, and what matters is that hostile input costs nothing: every length is checked
//! against what is left of the input before anything is allocated, nesting and the number of
//! items are capped, indefinite lengths (which COSE's deterministic encoding never uses) are
//! refused, and nothing panics.

/// Arrays, maps and tags nested deeper than this are refused (an envelope nests four deep).
pub const MAX_DEPTH: usize = 16;
/// Items read at most from one input (an envelope holds a few dozen).
pub const MAX_ITEMS: usize = 4096;

/// One CBOR data item, borrowing its strings from the input.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Major type 0.
    Unsigned(u64),
    /// Major type 1: the value is `-1 - n`.
    Negative(u64),
    Bytes(&'a [u8]),
    Text(&'a str),
    Array(Vec<Value<'a>>),
    /// In the input's order; duplicate keys are the caller's to refuse.
    Map(Vec<(Value<'a>, Value<'a>)>),
    Tag(u64, Box<Value<'a>>),
    /// `false`, `true`, `null`, `undefined` and the other simple values, by number.
    Simple(u8),
    Float(f64),
}

/// Why bytes are not one CBOR item this reader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("it ends in the middle of an item")]
    Truncated,
    #[error("it uses an indefinite length, which COSE does not")]
    Indefinite,
    #[error("it uses a reserved CBOR encoding")]
    Reserved,
    #[error("it nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("it holds more than {MAX_ITEMS} items")]
    TooMany,
    #[error("a text string in it is not UTF-8")]
    NotUtf8,
    #[error("bytes follow its one item")]
    Trailing,
}

impl Value<'_> {
    /// The integer this is, when it is one that fits an `i64`.
    #[must_use]
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Unsigned(n) => i64::try_from(n).ok(),
            Value::Negative(n) => i64::try_from(n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    #[must_use]
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

/// The one item `input` holds, all of it.
pub fn decode(input: &[u8]) -> Result<Value<'_>, Error> {
    let mut reader = Reader {
        input,
        at: 0,
        items: 0,
    };
    let value = reader.item(0)?;
    if reader.at != input.len() {
        return Err(Error::Trailing);
    }
    Ok(value)
}

struct Reader<'a> {
    input: &'a [u8],
    at: usize,
    items: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.input.len().saturating_sub(self.at)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.remaining() {
            return Err(Error::Truncated);
        }
        let input: &'a [u8] = self.input;
        let out = input.get(self.at..self.at + n).ok_or(Error::Truncated)?;
        self.at += n;
        Ok(out)
    }

    /// The argument of a head whose low five bits are `info`.
    fn argument(&mut self, info: u8) -> Result<u64, Error> {
        let width = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Err(Error::Indefinite),
            _ => return Err(Error::Reserved),
        };
        Ok(self
            .take(width)?
            .iter()
            .fold(0u64, |n, b| (n << 8) | u64::from(*b)))
    }

    /// A count or length that must fit in what is left, each element taking at least `each`
    /// bytes: checked before anything is allocated for it.
    fn length(&mut self, info: u8, each: usize) -> Result<usize, Error> {
        let n = self.argument(info)?;
        let n = usize::try_from(n).map_err(|_| Error::Truncated)?;
        if n.checked_mul(each)
            .is_none_or(|need| need > self.remaining())
        {
            return Err(Error::Truncated);
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Value<'a>, Error> {
        self.items += 1;
        if self.items > MAX_ITEMS {
            return Err(Error::TooMany);
        }
        let head = *self.take(1)?.first().ok_or(Error::Truncated)?;
        let (major, info) = (head >> 5, head & 0x1f);
        let nested = depth + 1;
        if matches!(major, 4..=6) && nested > MAX_DEPTH {
            return Err(Error::TooDeep);
        }
        Ok(match major {
            0 => Value::Unsigned(self.argument(info)?),
            1 => Value::Negative(self.argument(info)?),
            2 => {
                let n = self.length(info, 1)?;
                Value::Bytes(self.take(n)?)
            }
            3 => {
                let n = self.length(info, 1)?;
                Value::Text(std::str::from_utf8(self.take(n)?).map_err(|_| Error::NotUtf8)?)
            }
            4 => {
                let n = self.length(info, 1)?;
                let mut items = Vec::with_capacity(n.min(MAX_ITEMS));
                for _ in 0..n {
                    items.push(self.item(nested)?);
                }
                Value::Array(items)
            }
            5 => {
                let n = self.length(info, 2)?;
                let mut pairs = Vec::with_capacity(n.min(MAX_ITEMS));
                for _ in 0..n {
                    let key = self.item(nested)?;
                    pairs.push((key, self.item(nested)?));
                }
                Value::Map(pairs)
            }
            6 => {
                let tag = self.argument(info)?;
                Value::Tag(tag, Box::new(self.item(nested)?))
            }
            _ => self.simple(info)?,
        })
    }

    /// Major type 7: simple values and floats.
    fn simple(&mut self, info: u8) -> Result<Value<'a>, Error> {
        Ok(match info {
            0..=23 => Value::Simple(info),
            24 => {
                let v = *self.take(1)?.first().ok_or(Error::Truncated)?;
                // Values below 32 must use the one-byte form (RFC 8949 §3.3).
                if v < 32 {
                    return Err(Error::Reserved);
                }
                Value::Simple(v)
            }
            25 => Value::Float(half(
                u16::try_from(self.argument(info)?).map_err(|_| Error::Reserved)?,
            )),
            26 => Value::Float(f64::from(f32::from_bits(
                u32::try_from(self.argument(info)?).map_err(|_| Error::Reserved)?,
            ))),
            27 => Value::Float(f64::from_bits(self.argument(info)?)),
            31 => return Err(Error::Indefinite),
            _ => return Err(Error::Reserved),
        })
    }
}

/// An IEEE 754 half-precision float (RFC 8949 Appendix D).
fn half(bits: u16) -> f64 {
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f64::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => mantissa * 2f64.powi(-24),
        31 if mantissa == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mantissa + 1024.0) * 2f64.powi(e - 25),
    };
    if bits & 0x8000 == 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Appends the head of an item of `major` type with argument `n`, in its shortest form (the
/// deterministic encoding COSE's `Sig_structure` is made in).
pub fn write_head(out: &mut Vec<u8>, major: u8, n: u64) {
    let major = major << 5;
    match n {
        0..=23 => out.push(major | u8::try_from(n).unwrap_or(0)),
        24..=0xff => {
            out.push(major | 0x18);
            out.extend_from_slice(&n.to_be_bytes()[7..]);
        }
        0x100..=0xffff => {
            out.push(major | 0x19);
            out.extend_from_slice(&n.to_be_bytes()[6..]);
        }
        0x1_0000..=0xffff_ffff => {
            out.push(major | 0x1a);
            out.extend_from_slice(&n.to_be_bytes()[4..]);
        }
        _ => {
            out.push(major | 0x1b);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_decode_as_rfc_8949_appendix_a_encodes_them() {
        let hex = |s: &str| -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect()
        };
        assert_eq!(decode(&hex("1903e8")), Ok(Value::Unsigned(1000)));
        assert_eq!(decode(&hex("3863")).map(|v| v.as_i64()), Ok(Some(-100)));
        assert_eq!(
            decode(&hex("3bffffffffffffffff")),
            Ok(Value::Negative(u64::MAX))
        );
        assert_eq!(decode(&hex("4401020304")), Ok(Value::Bytes(&[1, 2, 3, 4])));
        assert_eq!(decode(&hex("62c3bc")), Ok(Value::Text("ü")));
        assert_eq!(
            decode(&hex("c11a514b67b0")),
            Ok(Value::Tag(1, Box::new(Value::Unsigned(1_363_896_240))))
        );
        assert_eq!(
            decode(&hex("a201020304")),
            Ok(Value::Map(vec![
                (Value::Unsigned(1), Value::Unsigned(2)),
                (Value::Unsigned(3), Value::Unsigned(4))
            ]))
        );
        assert_eq!(decode(&hex("f5")), Ok(Value::Simple(21)));
        assert_eq!(decode(&hex("f93c00")), Ok(Value::Float(1.0)));
        assert_eq!(decode(&hex("f9c400")), Ok(Value::Float(-4.0)));
        assert_eq!(decode(&hex("fa47c35000")), Ok(Value::Float(100_000.0)));
        assert_eq!(decode(&hex("fb3ff199999999999a")), Ok(Value::Float(1.1)));
    }

    #[test]
    fn hostile_input_is_refused_before_anything_is_allocated() {
        assert_eq!(decode(&[]), Err(Error::Truncated));
        // A byte string, an array and a map claiming 2^64-1 elements in a few bytes.
        for major in [0x5b, 0x9b, 0xbb] {
            let mut huge = vec![major];
            huge.extend_from_slice(&[0xff; 8]);
            assert_eq!(decode(&huge), Err(Error::Truncated), "{major:x}");
        }
        assert_eq!(decode(&[0x9f, 0xff]), Err(Error::Indefinite));
        assert_eq!(decode(&[0x5f, 0xff]), Err(Error::Indefinite));
        assert_eq!(decode(&[0x1c]), Err(Error::Reserved));
        assert_eq!(decode(&[0xf8, 0x01]), Err(Error::Reserved));
        assert_eq!(decode(&[0x62, 0xff, 0xfe]), Err(Error::NotUtf8));
        assert_eq!(decode(&[0x01, 0x02]), Err(Error::Trailing));
        assert_eq!(decode(&[0x82, 0x01]), Err(Error::Truncated));
        // Nesting: arrays in arrays, and tags in tags.
        assert_eq!(decode(&[0x81; 100]), Err(Error::TooDeep));
        assert_eq!(decode(&[0xc1; 100]), Err(Error::TooDeep));
        let mut deep_ok = vec![0x81; MAX_DEPTH - 1];
        deep_ok.push(0x00);
        assert!(decode(&deep_ok).is_ok());
        // Many small items in one flat array.
        let mut many = vec![0x99, 0x27, 0x10];
        many.extend(std::iter::repeat_n(0u8, 10_000));
        assert_eq!(decode(&many), Err(Error::TooMany));
    }

    #[test]
    fn heads_are_written_in_their_shortest_form() {
        for n in [0u64, 23, 24, 255, 256, 65_535, 65_536, 1 << 32, u64::MAX] {
            let mut out = Vec::new();
            write_head(&mut out, 0, n);
            assert_eq!(decode(&out), Ok(Value::Unsigned(n)), "{n}");
            let width = match n {
                0..=23 => 1,
                24..=255 => 2,
                256..=65_535 => 3,
                65_536..=0xffff_ffff => 5,
                _ => 9,
            };
            assert_eq!(out.len(), width, "{n}");
        }
    }
}
