//! One cost metric per lake: actual and amortized cost never mix. The lake records its metric
//! in `<dest>/_lake/lake.json` (created with create-if-absent by the first run that writes); a run
//! with the other metric is refused before it writes anything. A lake that holds months but no
//! record (written before this check existed) holds EA API months, which are actual cost.

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use crate::sink::{Lake, SinkError};

/// The file name of the lake's record, under its root.
pub(crate) const LAKE_FILE: &str = "_lake/lake.json";

#[derive(Debug, Serialize, Deserialize)]
struct LakeRecord {
    metric: String,
}

/// Why a run cannot write this lake.
#[derive(Debug, thiserror::Error)]
pub(crate) enum MetricError {
    /// The lake holds the other metric.
    #[error(
        "the lake at --dest holds {lake} cost, this run would add {run} cost (--metric {run}); actual and amortized cost must not mix in one lake: use another --dest"
    )]
    Mismatch {
        /// The lake's.
        lake: String,
        /// The run's.
        run: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] SinkError),
}

fn path(lake: &Lake) -> Path {
    LAKE_FILE
        .split('/')
        .fold(lake.prefix.clone(), |p, part| p.join(part))
}

async fn read(lake: &Lake) -> Result<Option<String>, SinkError> {
    let p = path(lake);
    match lake.store.get(&p).await {
        Ok(r) => {
            let bytes = r.bytes().await.map_err(|e| lake.error(&p, e))?;
            Ok(serde_json::from_slice::<LakeRecord>(&bytes)
                .ok()
                .map(|r| r.metric))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(lake.error(&p, e)),
    }
}

/// Whether the lake already holds months (any `enrollment=…` folder).
async fn has_months(lake: &Lake) -> Result<bool, SinkError> {
    let listing = lake.store.list_with_delimiter(Some(&lake.prefix)).await;
    match listing {
        Ok(l) => Ok(l
            .common_prefixes
            .iter()
            .any(|p| p.filename().is_some_and(|f| f.starts_with("enrollment=")))),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(lake.error(&lake.prefix, e)),
    }
}

/// Checks that `metric` may be written to `lake`, and records it when the lake has no record.
pub(crate) async fn claim(lake: &Lake, metric: &'static str) -> Result<(), MetricError> {
    let mismatch = |lake: String| MetricError::Mismatch { lake, run: metric };
    if let Some(m) = read(lake).await? {
        return if m == metric {
            Ok(())
        } else {
            Err(mismatch(m))
        };
    }
    if metric != "actual" && has_months(lake).await? {
        return Err(mismatch("actual (EA API months)".into()));
    }
    let body = serde_json::to_vec_pretty(&LakeRecord {
        metric: metric.to_string(),
    })
    .expect("serializes");
    let opts = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    let p = path(lake);
    match lake
        .store
        .put_opts(&p, PutPayload::from(Bytes::from(body)), opts)
        .await
    {
        Ok(_) => Ok(()),
        // Another run recorded it first: read theirs.
        Err(object_store::Error::AlreadyExists { .. })
        | Err(object_store::Error::Precondition { .. }) => match read(lake).await? {
            Some(m) if m != metric => Err(mismatch(m)),
            _ => Ok(()),
        },
        Err(e) => Err(lake.error(&p, e).into()),
    }
}
