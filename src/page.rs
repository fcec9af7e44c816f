//! A page as a source hands it on: its bytes, where it came from and how it is written. The
//! contract between `source` (which makes pages) and `decode` (which reads them); neither owns
//! it, so neither imports the other.

use bytes::Bytes;

/// One page body as received.
#[derive(Debug, Clone)]
pub(crate) struct RawPage {
    /// 1-based position in the partition's page sequence.
    pub number: u64,
    /// The body, exactly as received (decompressed when replayed from `.zst`).
    pub body: Bytes,
    /// The response's `ETag`, when the API sent one.
    pub etag: Option<String>,
    /// Where it came from, for messages: the request URL (no secrets) or the file.
    pub origin: String,
    /// How the body is written.
    pub format: PageFormat,
}

/// How a page body is written, which decides its decoder.
#[derive(Debug, Clone)]
pub(crate) enum PageFormat {
    /// An EA usage-details JSON page (`data` and `nextLink`).
    EaJson,
    /// Whole records of a CSV report; `header` is the report's header record.
    Csv {
        /// The header record, without its line end.
        header: std::sync::Arc<[u8]>,
    },
    /// Typed columns read from a Parquet part (the body is empty): the columns are named as
    /// a CSV header's, and each value's exact text is decoded as a CSV field's.
    Table {
        /// The rows, with the part's own column names and types.
        batch: arrow_array::RecordBatch,
    },
}

impl RawPage {
    /// The page as a file of its own, for `--keep-raw`, and that file's extension: a JSON page
    /// as received; a CSV page as its header line and then its records. A typed page has none:
    /// its part, in the customer's own storage, is the raw copy.
    pub(crate) fn raw_file(&self) -> Option<(Bytes, &'static str)> {
        match &self.format {
            PageFormat::EaJson => Some((self.body.clone(), "json")),
            PageFormat::Csv { header } => Some((
                Bytes::from([header.as_ref(), b"\n", self.body.as_ref()].concat()),
                "csv",
            )),
            PageFormat::Table { .. } => None,
        }
    }
}

impl PageFormat {
    /// The format's name in messages: `JSON` or `CSV`.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            PageFormat::EaJson => "JSON",
            PageFormat::Csv { .. } => "CSV",
            PageFormat::Table { .. } => "Parquet",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_csv_page_is_a_csv_file_of_its_own() {
        let page = RawPage {
            number: 2,
            body: Bytes::from_static(b"1,2\r\n3,4\r\n"),
            etag: None,
            origin: "x.csv".into(),
            format: PageFormat::Csv {
                header: std::sync::Arc::from(&b"A,B"[..]),
            },
        };
        assert_eq!(
            page.raw_file(),
            Some((Bytes::from_static(b"A,B\n1,2\r\n3,4\r\n"), "csv"))
        );
        assert_eq!(page.format.name(), "CSV");
    }
}
