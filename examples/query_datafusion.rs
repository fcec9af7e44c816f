//! Queries the lake with DataFusion: cost per month and meter category, then cost by `env` tag.
//!
//! ```text
//! cargo run --release --features datafusion-example --example query_datafusion -- ./lake
//! ```
//!
//! The partition columns are declared Utf8 ('1234567', '2024', '02') and cast in the queries:
//! declared Int, DataFusion 55 silently misses the zero-padded `month=02` directories when a
//! filter pins every level (see schemas/ddl/datafusion.sql).
//!
//! S3 instead of a local path: DataFusion 55 takes object_store 0.13 stores (this crate's own
//! object_store is 0.14, whose types do not fit), so use its re-export, with object_store 0.13's
//! "aws" feature enabled in Cargo.toml, and give the table path with a trailing '/':
//!
//! ```ignore
//! let s3 = datafusion::object_store::aws::AmazonS3Builder::from_env()
//!     .with_bucket_name("bucket")
//!     .build()?;
//! ctx.register_object_store(&url::Url::parse("s3://bucket")?, Arc::new(s3));
//! ctx.register_listing_table("usage_details", "s3://bucket/prefix/", options, None, None)
//!     .await?;
//! ```

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::ListingOptions;
use datafusion::prelude::*;

const COST_PER_MONTH: &str = "SELECT CAST(year AS INT) AS year, CAST(month AS INT) AS month, \
    meter_category, SUM(cost) AS cost \
    FROM usage_details GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";

const COST_BY_ENV: &str = "SELECT COALESCE(tags['env'], '(untagged)') AS env, \
    SUM(cost) AS cost, COUNT(*) AS line_items \
    FROM usage_details GROUP BY 1 ORDER BY 1";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lake = std::env::args().nth(1).unwrap_or_else(|| "./lake".into());
    let partition_cols: Vec<(String, DataType)> = ["enrollment", "year", "month"]
        .iter()
        .map(|name| (name.to_string(), DataType::Utf8))
        .collect();
    // The extension filter also keeps out _raw/ pages (.json.zst) and staged .parquet.tmp files.
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(partition_cols);

    let ctx = SessionContext::new();
    ctx.register_listing_table("usage_details", lake, options, None, None)
        .await?;
    for sql in [COST_PER_MONTH, COST_BY_ENV] {
        ctx.sql(sql).await?.show().await?;
    }
    Ok(())
}
