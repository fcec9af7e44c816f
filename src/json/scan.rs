//! A validating, borrowing JSON scanner: the one JSON reader of the page envelope (paging,
//! replay) and of the decode hot path.
//!
//! It walks text that is already known to be UTF-8 and hands out every value as a slice of that
//! text: a string's contents between the quotes (still escaped, with a flag saying whether it
//! has escapes), or any other value's JSON text. Numbers therefore keep every digit, strings
//! without escapes are never copied, and each byte is looked at once. It accepts exactly the
//! JSON that `serde_json` accepts (RFC 8259; nesting limited to 128 levels), which a property
//! test checks; [`unescape`] turns a string's contents into text.

use std::fmt;

use super::escape::find_special;
pub(crate) use super::escape::{is_plain, unescape};

/// Nesting allowed below a value that is read whole (the limit `serde_json` uses).
const MAX_DEPTH: usize = 128;

/// Why the text is not JSON, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanError {
    /// Byte offset of the problem.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.offset)
    }
}

impl std::error::Error for ScanError {}

/// One value as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raw<'a> {
    /// `null`.
    Null,
    /// A string: its contents between the quotes, still escaped when `escaped`.
    Str {
        /// The contents, as written.
        inner: &'a str,
        /// Whether `inner` holds backslash escapes.
        escaped: bool,
    },
    /// Any other value (number, `true`, `false`, object, array) as its JSON text.
    Other(&'a str),
}

/// An object key as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key<'a> {
    /// The key's contents, still escaped when `escaped`.
    pub text: &'a str,
    /// Whether `text` holds backslash escapes.
    pub escaped: bool,
    /// Whether it is the key the caller said was likely.
    pub expected: bool,
}

/// A cursor over JSON text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    /// The byte offset the scanner has reached.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// The text from `start` to the current position.
    pub(crate) fn since(&self, start: usize) -> &'a str {
        &self.text[start..self.pos]
    }

    /// An error at the current position.
    pub(crate) fn error(&self, what: &'static str) -> ScanError {
        ScanError {
            offset: self.pos,
            what,
        }
    }

    fn fail<T>(&self, what: &'static str) -> Result<T, ScanError> {
        Err(self.error(what))
    }

    #[inline]
    fn skip_ws(&mut self) {
        let b = self.text.as_bytes();
        while let Some(&c) = b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    /// The next byte that is not whitespace, without consuming it.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.text.as_bytes().get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, c: u8, what: &'static str) -> Result<(), ScanError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.fail(what)
        }
    }

    /// Consumes `{`.
    pub(crate) fn begin_object(&mut self) -> Result<(), ScanError> {
        self.expect(b'{', "expected `{`")
    }

    /// The next key of the object being read and consumes its `:`; `None` once the object's
    /// `}` is consumed. `first` must be `true` for the first call of an object.
    #[inline]
    pub(crate) fn next_key(
        &mut self,
        first: &mut bool,
    ) -> Result<Option<(&'a str, bool)>, ScanError> {
        self.next_key_like(first, "")
            .map(|k| k.map(|k| (k.text, k.escaped)))
    }

    /// [`next_key`](Self::next_key) with the key most likely to come next: when the input holds
    /// exactly that key it is taken with one comparison instead of a scan (`Key::expected`).
    /// `likely` must be `""` or [plain](is_plain) text: it is compared with the raw input.
    #[inline]
    pub(crate) fn next_key_like(
        &mut self,
        first: &mut bool,
        likely: &str,
    ) -> Result<Option<Key<'a>>, ScanError> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            _ if *first => *first = false,
            Some(b',') => self.pos += 1,
            None => return self.fail("unexpected end of input in an object"),
            Some(_) => return self.fail("expected `,` or `}` in an object"),
        }
        self.key(likely).map(Some)
    }

    /// [`next_key`](Self::next_key) for the members of an object written without its braces
    /// (`"a": 1, "b": 2`, the whole input): `None` at the end of the input.
    pub(crate) fn next_bare_key(
        &mut self,
        first: &mut bool,
    ) -> Result<Option<(&'a str, bool)>, ScanError> {
        match self.peek() {
            None => return Ok(None),
            _ if *first => *first = false,
            Some(b',') => self.pos += 1,
            Some(_) => return self.fail("expected `,` or the end of a brace-less object"),
        }
        self.key("").map(|k| Some((k.text, k.escaped)))
    }

    /// A key and its `:`; `likely` as for [`next_key_like`](Self::next_key_like).
    #[inline]
    fn key(&mut self, likely: &str) -> Result<Key<'a>, ScanError> {
        if self.peek() != Some(b'"') {
            return self.fail("expected a string key in an object");
        }
        let b = self.text.as_bytes();
        let start = self.pos + 1;
        let end = start + likely.len();
        let key = if !likely.is_empty()
            && b.get(start..end) == Some(likely.as_bytes())
            && b.get(end) == Some(&b'"')
        {
            self.pos = end + 1;
            Key {
                text: &self.text[start..end],
                escaped: false,
                expected: true,
            }
        } else {
            let (text, escaped) = self.string()?;
            Key {
                text,
                escaped,
                expected: false,
            }
        };
        self.expect(b':', "expected `:` after an object key")?;
        Ok(key)
    }

    /// Consumes `[`.
    pub(crate) fn begin_array(&mut self) -> Result<(), ScanError> {
        self.expect(b'[', "expected `[`")
    }

    /// Whether another element of the array being read follows (its `,` consumed); `false`
    /// once the array's `]` is consumed. `first` must be `true` for the first call of an array.
    #[inline]
    pub(crate) fn next_element(&mut self, first: &mut bool) -> Result<bool, ScanError> {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ if *first => {
                *first = false;
                Ok(true)
            }
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            None => self.fail("unexpected end of input in an array"),
            Some(_) => self.fail("expected `,` or `]` in an array"),
        }
    }

    /// Reads one whole value. Strings and numbers, nearly every value of a page, are read
    /// inline; the rest goes through `value_at`.
    #[inline(always)]
    pub(crate) fn value(&mut self) -> Result<Raw<'a>, ScanError> {
        match self.peek() {
            Some(b'"') => {
                let (inner, escaped) = self.string()?;
                Ok(Raw::Str { inner, escaped })
            }
            Some(b'-' | b'0'..=b'9') => self.number().map(Raw::Other),
            _ => self.value_at(0),
        }
    }

    #[inline(never)]
    fn value_at(&mut self, depth: usize) -> Result<Raw<'a>, ScanError> {
        match self.peek() {
            Some(b'"') => {
                let (inner, escaped) = self.string()?;
                Ok(Raw::Str { inner, escaped })
            }
            Some(b'-' | b'0'..=b'9') => self.number().map(Raw::Other),
            Some(b'n') => self.literal("null").map(|_| Raw::Null),
            Some(b't') => self.literal("true").map(Raw::Other),
            Some(b'f') => self.literal("false").map(Raw::Other),
            Some(b'{' | b'[') => {
                let from = self.pos;
                self.nested(depth)?;
                Ok(Raw::Other(&self.text[from..self.pos]))
            }
            None => self.fail("unexpected end of input where a value was expected"),
            Some(_) => self.fail("expected a JSON value"),
        }
    }

    /// Checks that only whitespace is left.
    pub(crate) fn finish(&mut self) -> Result<(), ScanError> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.fail("trailing characters after the JSON value"),
        }
    }

    /// An object or array, read whole and validated.
    fn nested(&mut self, depth: usize) -> Result<(), ScanError> {
        if depth >= MAX_DEPTH {
            return self.fail("JSON nested too deeply");
        }
        let mut first = true;
        if self.peek() == Some(b'{') {
            self.pos += 1;
            while self.next_key(&mut first)?.is_some() {
                self.value_at(depth + 1)?;
            }
        } else {
            self.pos += 1;
            while self.next_element(&mut first)? {
                self.value_at(depth + 1)?;
            }
        }
        Ok(())
    }

    fn literal(&mut self, word: &'static str) -> Result<&'a str, ScanError> {
        let end = self.pos + word.len();
        if self.text.as_bytes().get(self.pos..end) == Some(word.as_bytes()) {
            let s = &self.text[self.pos..end];
            self.pos = end;
            Ok(s)
        } else {
            self.fail("invalid literal (expected null, true or false)")
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    #[inline]
    fn number(&mut self) -> Result<&'a str, ScanError> {
        let b = self.text.as_bytes();
        let start = self.pos;
        let mut i = self.pos;
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => {
                self.pos = i;
                return self.fail("invalid number");
            }
        }
        if b.get(i) == Some(&b'.') {
            let j = digits(i + 1);
            if j == i + 1 {
                self.pos = j;
                return self.fail("invalid number: no digit after `.`");
            }
            i = j;
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let j = digits(i);
            if j == i {
                self.pos = j;
                return self.fail("invalid number: no digit in the exponent");
            }
            i = j;
        }
        self.pos = i;
        Ok(&self.text[start..i])
    }

    /// A string starting at the current `"`: its contents and whether they hold escapes.
    #[inline(always)]
    fn string(&mut self) -> Result<(&'a str, bool), ScanError> {
        let b = self.text.as_bytes();
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = find_special(b, i);
            match b.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i = self.escape(i)?;
                }
                Some(_) => {
                    self.pos = i;
                    return self.fail("control character in a string");
                }
                None => {
                    self.pos = i;
                    return self.fail("unexpected end of input in a string");
                }
            }
        }
        self.pos = i + 1;
        Ok((&self.text[start..i], escaped))
    }

    /// Checks the escape at `i` (a backslash); returns the offset after it.
    fn escape(&mut self, i: usize) -> Result<usize, ScanError> {
        let b = self.text.as_bytes();
        match b.get(i + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(i + 2),
            Some(b'u') => match b.get(i + 2..i + 6) {
                Some(hex) if hex.iter().all(u8::is_ascii_hexdigit) => Ok(i + 6),
                _ => {
                    self.pos = i;
                    self.fail("invalid \\u escape in a string")
                }
            },
            None => {
                self.pos = i;
                self.fail("unexpected end of input in a string")
            }
            Some(_) => {
                self.pos = i;
                self.fail("invalid escape in a string")
            }
        }
    }
}

/// Validates that `text` is one JSON value (for tests and small inputs).
#[cfg(test)]
pub(crate) fn validate(text: &str) -> Result<(), ScanError> {
    let mut s = Scanner::new(text);
    s.value()?;
    s.finish()
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
