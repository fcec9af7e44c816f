//! The task that fetches and decodes a month's pages ahead of its writer: pages decoded in
//! parallel on the blocking pool, joined in order, handed on through a channel of one.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::batch::SizeHints;
use crate::decode::{DecodedPage, decode_raw};
use crate::error::RunError;
use crate::source::{PageStream, RawPage};

/// One decoded page, in order, with what the writer loop needs besides its rows.
pub(crate) struct Item {
    /// 1-based page number.
    pub number: u64,
    /// Where it came from (a URL without secrets, or a file).
    pub origin: String,
    /// The response's `ETag`.
    pub etag: Option<String>,
    /// The page as a file of its own and its extension, only for `--keep-raw`.
    pub raw: Option<(Bytes, &'static str)>,
    /// The rows and what the page says.
    pub page: DecodedPage,
}

/// The running reader; dropping it stops fetching (an HTTP request in flight is dropped).
pub(crate) struct Ahead(tokio::task::JoinHandle<()>);

impl Ahead {
    /// Waits for the reader to end; `Err` if it died (a panic) rather than ran out of pages.
    pub(crate) async fn join(mut self) -> Result<(), RunError> {
        (&mut self.0).await.map_err(|source| RunError::Task {
            what: "the page reader",
            source,
        })
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What decoding a month's pages needs besides the pages.
#[derive(Clone)]
pub(crate) struct DecodeSettings {
    /// The enrollment rows without one are filed under.
    pub enrollment: Arc<str>,
    /// Text column sizes learnt from the month's earlier pages.
    pub hints: Arc<SizeHints>,
    /// `--keep-raw`: each item carries its page as a file.
    pub keep_raw: bool,
}

/// Decodes one page on the blocking pool (where its body is also freed).
pub(crate) async fn decode_one(
    mut page: RawPage,
    settings: DecodeSettings,
) -> Result<Item, RunError> {
    let raw = settings.keep_raw.then(|| page.raw_file()).flatten();
    let (number, etag) = (page.number, page.etag.take());
    let origin = std::mem::take(&mut page.origin);
    let DecodeSettings {
        enrollment, hints, ..
    } = settings;
    let decoded = tokio::task::spawn_blocking(move || decode_raw(&page, &enrollment, Some(hints)))
        .await
        .map_err(|source| RunError::Task {
            what: "a page decoder",
            source,
        })??;
    Ok(Item {
        number,
        origin,
        etag,
        raw,
        page: decoded,
    })
}

/// Starts decoding `pages`, `parallelism` at once, in a task of its own, so pages keep being
/// fetched and decoded while the writer waits for the encoder; the channel bounds how far
/// ahead it runs.
pub(crate) fn decode_ahead(
    pages: PageStream,
    settings: DecodeSettings,
    parallelism: usize,
) -> (mpsc::Receiver<Result<Item, RunError>>, Ahead) {
    let decoded = pages
        .map_err(RunError::from)
        .map_ok(move |page| decode_one(page, settings.clone()))
        .try_buffered(parallelism);
    let (tx, rx) = mpsc::channel(1);
    let task = tokio::spawn(
        async move {
            let mut decoded = std::pin::pin!(decoded);
            while let Some(item) = decoded.next().await {
                let failed = item.is_err();
                if tx.send(item).await.is_err() || failed {
                    break;
                }
            }
        }
        .in_current_span(),
    );
    (rx, Ahead(task))
}
