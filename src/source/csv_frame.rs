//! Framing of CSV reports (Cost Details blobs, saved `*.csv` / `*.csv.gz` files) into pages:
//! chunks of about [`PAGE_BYTES`] that end at a record boundary, each carrying the file's
//! header, so pages decode independently (and in parallel) and no whole report is ever held.
//!
//! A record ends at a line feed outside quotes. In RFC 4180 CSV a quote inside a quoted field
//! is doubled, so "outside quotes" is exactly "after an even number of quotes": the framer only
//! counts quotes. A UTF-8 byte-order mark before the header is dropped.

use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use futures::{Stream, StreamExt};

use super::{PageFormat, RawPage, SourceError};

/// Target size of one CSV page.
pub(crate) const PAGE_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Splits one file's bytes into its header and pages of whole records. Pure.
#[derive(Debug, Default)]
pub(crate) struct Framer {
    buf: Vec<u8>,
    /// Bytes of `buf` already scanned for record ends.
    scanned: usize,
    /// Quote parity at `scanned`.
    in_quotes: bool,
    /// The end of the last complete record in `buf[..scanned]`.
    last_end: usize,
    header: Option<Arc<[u8]>>,
    bom_checked: bool,
}

impl Framer {
    /// Adds bytes; returns the pages that became complete (each at least `PAGE_BYTES` long).
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Vec<Bytes> {
        self.buf.extend_from_slice(bytes);
        if !self.bom_checked {
            if self.buf.len() < BOM.len() && BOM.starts_with(&self.buf) {
                return Vec::new();
            }
            if self.buf.starts_with(BOM) {
                self.buf.drain(..BOM.len());
            }
            self.bom_checked = true;
        }
        self.scan();
        let mut out = Vec::new();
        if self.header.is_none() {
            self.take_header();
        }
        if self.header.is_some() && self.last_end >= PAGE_BYTES {
            out.push(self.take(self.last_end));
        }
        out
    }

    /// The header record (without its line end), once it has arrived.
    pub(crate) fn header(&self) -> Option<&Arc<[u8]>> {
        self.header.as_ref()
    }

    /// The rest, at the end of the file: the last page (which may lack a final line feed), and
    /// whether the file ended inside a quoted field (truncated).
    pub(crate) fn finish(&mut self) -> (Option<Bytes>, bool) {
        self.scan();
        if self.header.is_none() {
            if self.buf.is_empty() {
                return (None, false);
            }
            // A header without a line end: the whole file.
            let header = std::mem::take(&mut self.buf);
            self.header = Some(trim_line_end(&header).into());
            return (None, self.in_quotes);
        }
        let rest = std::mem::take(&mut self.buf);
        self.scanned = 0;
        self.last_end = 0;
        let truncated = self.in_quotes;
        (
            (!rest.iter().all(|b| matches!(b, b'\r' | b'\n'))).then(|| Bytes::from(rest)),
            truncated,
        )
    }

    fn scan(&mut self) {
        // Line feeds and quotes are found with memchr; everything else is skipped.
        let mut i = self.scanned;
        while let Some(off) = memchr::memchr2(b'"', b'\n', &self.buf[i..]) {
            let at = i + off;
            if self.buf[at] == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if !self.in_quotes {
                self.last_end = at + 1;
            }
            i = at + 1;
        }
        self.scanned = self.buf.len();
    }

    fn take_header(&mut self) {
        if self.last_end == 0 {
            return;
        }
        let end = first_record_end(&self.buf).expect("a record ended");
        let header: Vec<u8> = self.buf.drain(..end).collect();
        self.header = Some(trim_line_end(&header).into());
        self.scanned -= end;
        self.last_end -= end;
    }

    /// The first `end` bytes as a page. The buffer itself becomes the page (no copy of the
    /// page's megabyte); only the few bytes after it move to a fresh buffer.
    fn take(&mut self, end: usize) -> Bytes {
        let mut rest = Vec::with_capacity(self.buf.capacity());
        rest.extend_from_slice(&self.buf[end..]);
        let mut page = std::mem::replace(&mut self.buf, rest);
        page.truncate(end);
        self.scanned -= end;
        self.last_end = 0;
        Bytes::from(page)
    }
}

/// The end (after the line feed) of the first record of `buf`, if complete.
fn first_record_end(buf: &[u8]) -> Option<usize> {
    let mut in_quotes = false;
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => return Some(i + 1),
            _ => {}
        }
    }
    None
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let [rest @ .., b'\r' | b'\n'] = l {
        l = rest;
    }
    l
}

/// Whether a file name is a CSV report this tool replays (`*.csv`, `*.csv.gz`, and the
/// `*.csv.zst` pages `--keep-raw` writes).
pub(crate) fn is_csv_name(name: &str) -> bool {
    name.ends_with(".csv") || name.ends_with(".csv.gz") || name.ends_with(".csv.zst")
}

/// Streams of raw bytes, gzip or not.
pub(crate) type ByteStream =
    std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, SourceError>> + Send>>;

/// How a CSV file's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// Plain.
    None,
    /// gzip (`*.csv.gz`, or a report with `compressData`).
    Gzip,
    /// zstd (`*.csv.zst`, a `--keep-raw` page).
    Zstd,
}

impl Compression {
    /// By file name.
    pub(crate) fn of(name: &str) -> Self {
        if name.ends_with(".gz") {
            Compression::Gzip
        } else if name.ends_with(".zst") {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// A streaming decompressor fed chunk by chunk (never the whole file at once).
enum Unpack {
    Gzip(Box<flate2::write::GzDecoder<Vec<u8>>>),
    Zstd(Box<zstd::stream::write::Decoder<'static, Vec<u8>>>),
}

impl Unpack {
    fn new(c: Compression) -> std::io::Result<Option<Self>> {
        Ok(match c {
            Compression::None => None,
            Compression::Gzip => Some(Unpack::Gzip(Box::new(flate2::write::GzDecoder::new(
                Vec::new(),
            )))),
            Compression::Zstd => Some(Unpack::Zstd(Box::new(zstd::stream::write::Decoder::new(
                Vec::new(),
            )?))),
        })
    }

    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Unpack::Gzip(d) => d.write_all(b),
            Unpack::Zstd(d) => d.write_all(b),
        }
    }

    fn take(&mut self) -> Vec<u8> {
        match self {
            Unpack::Gzip(d) => std::mem::take(d.get_mut()),
            Unpack::Zstd(d) => std::mem::take(d.get_mut()),
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Unpack::Gzip(d) => d.finish(),
            Unpack::Zstd(mut d) => {
                d.flush()?;
                Ok(d.into_inner())
            }
        }
    }
}

/// Numbers the pages of several files in order, across all of them (each file's framing counts
/// from 1).
pub(crate) fn number_across<S>(pages: S) -> impl Stream<Item = Result<RawPage, SourceError>> + Send
where
    S: Stream<Item = Result<RawPage, SourceError>> + Send,
{
    pages.scan(0u64, |n, page| {
        *n += 1;
        let number = *n;
        futures::future::ready(Some(page.map(|mut p| {
            p.number = number;
            p
        })))
    })
}

/// Pages of one CSV file: its bytes (decompressed as `compression` says) framed into pages,
/// numbered from `first_page`. `origin` names the file in messages (no secrets).
pub(crate) fn pages(
    bytes: ByteStream,
    compression: Compression,
    origin: String,
    first_page: u64,
) -> impl Stream<Item = Result<RawPage, SourceError>> + Send {
    struct State {
        bytes: ByteStream,
        gunzip: Option<Unpack>,
        framer: Framer,
        ready: std::collections::VecDeque<Bytes>,
        done: bool,
        next: u64,
        origin: String,
    }
    let state = State {
        bytes,
        gunzip: Unpack::new(compression).ok().flatten(),
        framer: Framer::default(),
        ready: Default::default(),
        done: false,
        next: first_page,
        origin,
    };
    futures::stream::unfold(state, move |mut st| async move {
        loop {
            if let Some(body) = st.ready.pop_front() {
                let header = st
                    .framer
                    .header()
                    .cloned()
                    .unwrap_or_else(|| Arc::from(&b""[..]));
                let page = RawPage {
                    number: st.next,
                    body,
                    etag: None,
                    origin: st.origin.clone(),
                    format: PageFormat::Csv { header },
                };
                st.next += 1;
                return Some((Ok(page), st));
            }
            if st.done {
                return None;
            }
            let bad = |origin: &str, what: String| SourceError::Replay {
                path: origin.to_string(),
                source: what.into(),
            };
            match st.bytes.next().await {
                Some(Ok(chunk)) => {
                    let plain = match st.gunzip.as_mut() {
                        Some(gz) => {
                            if let Err(e) = gz.write_all(&chunk) {
                                st.done = true;
                                return Some((
                                    Err(bad(&st.origin, format!("cannot decompress: {e}"))),
                                    st,
                                ));
                            }
                            gz.take()
                        }
                        None => chunk.to_vec(),
                    };
                    st.ready.extend(st.framer.push(&plain));
                }
                Some(Err(e)) => {
                    st.done = true;
                    return Some((Err(e), st));
                }
                None => {
                    st.done = true;
                    if let Some(gz) = st.gunzip.take() {
                        match gz.finish() {
                            Ok(rest) => st.ready.extend(st.framer.push(&rest)),
                            Err(e) => {
                                return Some((
                                    Err(bad(
                                        &st.origin,
                                        format!("cannot decompress (truncated?): {e}"),
                                    )),
                                    st,
                                ));
                            }
                        }
                    }
                    let (last, truncated) = st.framer.finish();
                    if truncated {
                        return Some((
                            Err(bad(
                                &st.origin,
                                "the file ends inside a quoted field (truncated?)".into(),
                            )),
                            st,
                        ));
                    }
                    if st.framer.header().is_none() {
                        return Some((
                            Err(bad(&st.origin, "the file is empty: no CSV header".into())),
                            st,
                        ));
                    }
                    match last {
                        Some(p) => st.ready.push_back(p),
                        // A header and no rows: one empty page, so the file's header is seen.
                        None if st.next == first_page => st.ready.push_back(Bytes::new()),
                        None => {}
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(input: &[u8], cut: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
        let mut f = Framer::default();
        let mut pages: Vec<Vec<u8>> = Vec::new();
        for piece in input.chunks(cut.max(1)) {
            pages.extend(f.push(piece).into_iter().map(|b| b.to_vec()));
        }
        let (last, truncated) = f.finish();
        assert!(!truncated);
        pages.extend(last.map(|b| b.to_vec()));
        (f.header().unwrap().to_vec(), pages)
    }

    #[test]
    fn header_bom_and_quoted_newlines() {
        let text = b"\xEF\xBB\xBFDate,Tags,Cost\r\n01/02/2024,\"\"\"env\"\": \"\"prod\"\",\n\"\"x\"\": \"\"a\nb\"\"\",1.5\n01/03/2024,,2\n";
        for cut in [1, 2, 3, 7, 1000] {
            let (header, pages) = frame(text, cut);
            assert_eq!(header, b"Date,Tags,Cost");
            let body: Vec<u8> = pages.concat();
            assert_eq!(body, &text[3 + 16..], "cut {cut}");
        }
    }

    #[test]
    fn pages_end_at_record_boundaries_and_keep_every_byte() {
        let mut text = b"A,B\n".to_vec();
        for i in 0..40_000 {
            text.extend_from_slice(format!("{i},\"quoted\nvalue {i}\"\n").as_bytes());
        }
        let (_, pages) = frame(&text, 64 * 1024 + 7);
        assert!(pages.len() >= 2, "{}", pages.len());
        for p in &pages[..pages.len() - 1] {
            assert!(p.len() >= PAGE_BYTES && p.ends_with(b"\"\n"));
            assert_eq!(p.iter().filter(|&&b| b == b'"').count() % 2, 0);
        }
        assert_eq!(pages.concat(), &text[4..]);
    }

    #[test]
    fn a_file_cut_inside_quotes_is_truncated() {
        let mut f = Framer::default();
        f.push(b"A,B\n1,\"open");
        assert!(f.finish().1);
        assert!(is_csv_name("x.csv") && is_csv_name("x.csv.gz") && !is_csv_name("x.json"));
    }
}
