//! ea-usage-archiver: archives Azure Enterprise Agreement usage details into a Hive-partitioned
//! Parquet lake on local disk, S3 or Azure Blob.
//!
//! # Layout
//!
//! ```text
//! main ─► binary ─► cli (clap flags) ─► commands ─► config (one checked config per command)
//!                                          │
//!                                          ▼
//!                       app (months at once, one job per month, run summary, signals)
//!                                          │
//!   source ──────────► decode ──────────► batch ──────────► sink
//!   (Source: EA API    (page envelope →   (fixed Arrow     (lease, Parquet encoding,
//!    paging, retries,   typed values,      schema,          upload staged until the
//!    replay; json::     tags → map,        builders,        commit decision, Hive
//!    envelope)          exact decimals)    months)          paths, raw pages, read)
//! ```
//!
//! Follow one month from flag to committed object top to bottom: `cli::ArchiveArgs` →
//! `config::ArchiveConfig` (`config::months` plans the months) → `app::run_archive` →
//! `app::job` (lease, `source::Source::open`, decode ahead, `sink::PartitionWriter`, the commit
//! decision in `sink::lake::commit`, carried out by `sink::lake::publish`) → `sink::upload` (`complete` makes the object visible).
//!
//! Where new work goes: a new **source** is a variant of `source::SourceSpec`/`source::Source`
//! whose `open` yields the month's pages; a new page **format** gets its decoder in `decode`
//! beside the JSON one, into the same `batch` builders; a new **command** is a module in
//! `commands`, its flags in `cli` and its checked config in `config`.
//!
//! `source` never imports `decode`, `batch` or `sink`; `sink` never imports `source`. The middle
//! (`json`, `decode`, `batch`, `schema`, `money`, `sink::layout`, `sink::lake::commit`) is pure and
//! unit-tested. `sim` (feature `sim`, on by default) is the built-in EA API simulator used by
//! `simulate`, `demo` and the tests.
//!
//! # Public surface
//!
//! The binary's entry ([`binary::main`]), its flags ([`cli`]) and commands ([`commands::run`]);
//! the lake's schema ([`schema`]), the page decoder ([`decode`]) and exact money text
//! ([`money`]) for programs that read pages or the lake; the exit codes ([`error::exit`]); and,
//! with the `sim` feature, the simulator ([`sim`]). Everything else is internal.
#![warn(missing_docs)]

pub(crate) mod alloc_tuning;
pub(crate) mod app;
pub(crate) mod batch;
#[cfg(feature = "test-hooks")]
pub(crate) mod bench_parse;
pub mod binary;
pub(crate) mod cancel;
pub mod cli;
pub mod commands;
pub(crate) mod config;
pub mod decode;
pub(crate) mod defaults;
pub mod error;
pub(crate) mod json;
pub(crate) mod location;
pub(crate) mod logging;
pub mod money;
pub(crate) mod page;
pub(crate) mod period;
pub(crate) mod progress;
pub(crate) mod range_reader;
pub mod schema;
#[cfg(feature = "sim")]
pub mod sim;
pub(crate) mod sink;
pub(crate) mod source;
pub(crate) mod text;
pub mod tls;
pub(crate) mod verify;
pub(crate) mod versions;

pub use source::endpoint::ApiVersion;
