//! ea-usage-archiver: archives Azure Enterprise Agreement usage details into a Hive-partitioned
//! Parquet lake on local disk, S3 or Azure Blob.
//!
//! # Layout
//!
//! ```text
//! cli / config ──► app (orchestration: concurrency over months, run summary)
//!                      │
//!   source ──► decode ──► batch ──► sink
//!   (HTTP, paging,   (JSON page → typed   (fixed Arrow   (Parquet encoding, Hive paths,
//!    retries, replay  values, tags → map,  schema,        object_store upload, atomic
//!    from files)      exact decimals)      builders)      commit, raw pages)
//! ```
//!
//! `source` never imports `decode`, `batch` or `sink`; `sink` never imports `source`. The middle
//! (`decode`, `batch`, `schema`, `sink::layout`) is pure and unit-tested. `sim` is the built-in
//! EA API simulator used by `simulate`, `demo` and the tests.
#![warn(missing_docs)]

pub mod alloc_tuning;
pub mod app;
pub mod batch;
pub mod bench_parse;
pub mod cli;
pub mod commands;
pub mod config;
pub mod decode;
pub mod error;
pub mod json;
pub mod logging;
pub mod money;
pub mod progress;
pub mod schema;
pub mod sim;
pub mod sink;
pub mod source;
pub mod text;
pub mod verify;
