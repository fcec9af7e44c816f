//! Range reads of a Parquet object through `object_store`, for the async Parquet reader:
//! only the footer and the requested column chunks are fetched, so memory stays small. Shared
//! by the lake (its own objects) and the exports source (Parquet parts); imports neither.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use object_store::ObjectStore;
use object_store::path::Path;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

/// One object, read by ranges.
pub(crate) struct StoreReader {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
    if_match: Option<String>,
}

impl StoreReader {
    /// A reader of `path`, whose size is known from the listing.
    pub(crate) fn new(store: Arc<dyn ObjectStore>, path: Path, size: u64) -> Self {
        Self {
            store,
            path,
            size,
            if_match: None,
        }
    }

    /// Every read on condition that the object is still the one with this `ETag`: an object
    /// replaced while it is read fails (412) instead of mixing two versions.
    pub(crate) fn if_match(mut self, etag: Option<String>) -> Self {
        self.if_match = etag;
        self
    }
}

/// One range of `path`, on condition of `if_match`.
async fn fetch(
    store: Arc<dyn ObjectStore>,
    path: Path,
    range: Range<u64>,
    if_match: Option<String>,
) -> Result<Bytes> {
    let options = object_store::GetOptions {
        range: Some(range.into()),
        if_match,
        ..Default::default()
    };
    let got = store.get_opts(&path, options).await;
    match got {
        Ok(r) => r.bytes().await,
        Err(e) => Err(e),
    }
    .map_err(|e| ParquetError::External(Box::new(e)))
}

impl AsyncFileReader for StoreReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, Result<Bytes>> {
        let (store, path) = (self.store.clone(), self.path.clone());
        fetch(store, path, range, self.if_match.clone()).boxed()
    }

    /// A row group's column chunks in one call: the store coalesces nearby ranges into few
    /// requests (one per row group, typically) instead of one request per column.
    fn get_byte_ranges(&mut self, ranges: Vec<Range<u64>>) -> BoxFuture<'_, Result<Vec<Bytes>>> {
        let (store, path, if_match) =
            (self.store.clone(), self.path.clone(), self.if_match.clone());
        async move {
            let one = |r: Range<u64>| fetch(store.clone(), path.clone(), r, if_match.clone());
            object_store::coalesce_ranges(&ranges, one, object_store::OBJECT_STORE_COALESCE_DEFAULT)
                .await
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, Result<Arc<ParquetMetaData>>> {
        let size = self.size;
        async move {
            let metadata = ParquetMetaDataReader::new()
                .load_and_finish(&mut *self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}
