//! A page in whatever format its source wrote it, to the decoder of that format. The only place
//! that chooses a decoder, so the orchestration never names a format.

use std::sync::Arc;

use super::csv_page::{CsvHeader, decode_csv_page};
use super::table_page::decode_table_page;
use super::{DecodeError, DecodedPage, decode_page_sized};
use crate::batch::SizeHints;
use crate::json::envelope::EnvelopeError;
use crate::page::{PageFormat, RawPage};
use crate::text::body_snippet;

/// Decodes `page` by its format; `hints` size the text columns from the month's earlier pages.
pub(crate) fn decode_raw(
    page: &RawPage,
    enrollment: &str,
    hints: Option<Arc<SizeHints>>,
) -> Result<DecodedPage, DecodeError> {
    match &page.format {
        PageFormat::EaJson => decode_page_sized(&page.body, page.number, enrollment, hints),
        PageFormat::Csv { header } => {
            let header = CsvHeader::parse(header).map_err(|e| DecodeError::Malformed {
                page: page.number,
                format: page.format.name(),
                source: EnvelopeError::Csv(e),
                snippet: body_snippet(header, 200),
            })?;
            decode_csv_page(&page.body, &header, page.number, enrollment, hints)
        }
        PageFormat::Table { batch } => decode_table_page(batch, page.number, enrollment, hints),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn page(format: PageFormat, body: &'static [u8]) -> RawPage {
        RawPage {
            number: 4,
            body: Bytes::from_static(body),
            etag: None,
            origin: "f".into(),
            format,
        }
    }

    #[test]
    fn each_format_goes_to_its_decoder_and_failures_name_the_format() {
        let json = page(PageFormat::EaJson, br#"{"data":[{"cost":2}]}"#);
        assert_eq!(decode_raw(&json, "1", None).unwrap().stats.rows, 1);
        let csv = PageFormat::Csv {
            header: Arc::from(&b"Date,CostInBillingCurrency"[..]),
        };
        let rows = page(csv.clone(), b"01/02/2024,1.5\n01/03/2024,2\n");
        assert_eq!(decode_raw(&rows, "1", None).unwrap().stats.rows, 2);
        let bad = PageFormat::Csv {
            header: Arc::from(&b"Da\xfft"[..]),
        };
        let err = decode_raw(&page(bad, b"x\n"), "1", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("page 4 is not a valid usage-details CSV page"),
            "{err}"
        );
        let err = decode_raw(&page(PageFormat::EaJson, b"<html>"), "1", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("page 4 is not a valid usage-details JSON page"),
            "{err}"
        );
    }
}
