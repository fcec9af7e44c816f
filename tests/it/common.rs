//! Shared helpers: start a simulator, run the binary, read a partition back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use arrow_array::{Array, RecordBatch};

use arrow_array::cast::AsArray;
use arrow_array::types::Decimal128Type;
use arrow_schema::SchemaRef;
use arrow_select::concat::concat_batches;
use ea_usage_archiver::schema::arrow_schema;
use ea_usage_archiver::sim::{self, SimConfig, SimHandle};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub const KEY: &str = "test-key-0123456789abcdef-SECRET";
pub const ENROLLMENT: &str = "1234567";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ea-usage-archiver")
}

/// A simulator with `rows` rows per month and the given faults.
pub async fn start_sim(rows: Option<u64>, faults: &[&str]) -> SimHandle {
    let mut cfg = SimConfig::new(KEY);
    cfg.rows_per_month = rows;
    cfg.faults = faults
        .iter()
        .map(|f| sim::Fault::parse(f).unwrap())
        .collect();
    sim::start(([127, 0, 0, 1], 0).into(), cfg).await.unwrap()
}

/// Runs `ea-usage-archiver archive` with `args`, `EA_API_KEY=key` when given.
pub async fn archive(args: &[&str], key: Option<&str>) -> Output {
    archive_env(args, key, &[]).await
}

/// [`archive`] with more environment variables (test hooks such as `EAUA_TEST_CRASH_AFTER`).
pub async fn archive_env(args: &[&str], key: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.arg("archive").args(args).env("RUST_LOG", "debug");
    cmd.envs(env.iter().copied());
    cmd.env_remove("EA_API_KEY");
    if let Some(k) = key {
        cmd.env("EA_API_KEY", k);
    }
    cmd.output().await.unwrap()
}

/// Standard archive args against `sim` into `dest`.
pub fn args<'a>(sim_url: &'a str, dest: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--enrollment",
        ENROLLMENT,
        "--base-url",
        sim_url,
        "--dest",
        dest,
        "--retry-base-delay-ms",
        "10",
    ];
    v.extend_from_slice(extra);
    v
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The run summary printed on stdout.
pub fn summary(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "summary is not JSON ({e}); stdout: {}; stderr: {}",
            stdout(o),
            stderr(o)
        )
    })
}

/// The first partition's error in the run summary.
pub fn first_error(o: &Output) -> String {
    summary(o)["partitions"][0]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error in the summary: {}", stdout(o)))
        .to_string()
}

pub fn partition_dir(lake: &Path, year: i32, month: u32) -> PathBuf {
    lake.join(format!(
        "enrollment={ENROLLMENT}/year={year:04}/month={month:02}"
    ))
}

pub fn data_file(lake: &Path, year: i32, month: u32) -> PathBuf {
    partition_dir(lake, year, month).join("usage-details.parquet")
}

/// A partition read back: one batch, the file schema and its key-value metadata.
pub struct ReadBack {
    pub batch: RecordBatch,
    pub schema: SchemaRef,
    pub metadata: BTreeMap<String, String>,
    pub parquet_schema: String,
    pub parquet_metadata: std::sync::Arc<parquet::file::metadata::ParquetMetaData>,
}

pub fn read_partition(file: &Path) -> ReadBack {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    read_parquet(bytes::Bytes::from(bytes))
}

pub fn read_parquet(bytes: bytes::Bytes) -> ReadBack {
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes).unwrap();
    let meta = builder.metadata().clone();
    let fm = meta.file_metadata();
    let metadata = fm
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let mut parquet_schema = Vec::new();
    parquet::schema::printer::print_schema(&mut parquet_schema, fm.schema());
    let schema = builder.schema().clone();
    let batches: Vec<RecordBatch> = builder.build().unwrap().map(|b| b.unwrap()).collect();
    let batch = concat_batches(&arrow_schema(), &batches).unwrap();
    ReadBack {
        batch,
        schema,
        metadata,
        parquet_schema: String::from_utf8(parquet_schema).unwrap(),
        parquet_metadata: meta,
    }
}

pub fn col<'a>(b: &'a RecordBatch, name: &str) -> &'a dyn Array {
    b.column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_ref()
}

pub fn decimal_sum(b: &RecordBatch, name: &str) -> i128 {
    col(b, name)
        .as_primitive::<Decimal128Type>()
        .iter()
        .flatten()
        .sum()
}

pub fn string_at(b: &RecordBatch, name: &str, row: usize) -> Option<String> {
    let a = col(b, name).as_string::<i32>();
    a.is_valid(row).then(|| a.value(row).to_string())
}

/// A map cell as ordered pairs; `None` for a null map.
pub fn map_at(b: &RecordBatch, name: &str, row: usize) -> Option<Vec<(String, Option<String>)>> {
    let m = col(b, name).as_map();
    if m.is_null(row) {
        return None;
    }
    let e = m.value(row);
    let k = e.column(0).as_string::<i32>();
    let v = e.column(1).as_string::<i32>();
    Some(
        (0..e.len())
            .map(|i| {
                (
                    k.value(i).to_string(),
                    v.is_valid(i).then(|| v.value(i).to_string()),
                )
            })
            .collect(),
    )
}

/// Every file below `dir`, relative, sorted.
pub fn files_below(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, d: &Path, out: &mut Vec<String>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(base, &p, out);
                } else {
                    out.push(p.strip_prefix(base).unwrap().display().to_string());
                }
            }
        }
    }
    walk(dir, dir, &mut out);
    out.sort();
    out
}

pub fn pairs(v: &[(&str, Option<&str>)]) -> Option<Vec<(String, Option<String>)>> {
    Some(
        v.iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect(),
    )
}

/// Every file below `dir` except the months' lease terms (`_leases/…`), each of which must be
/// a single released term per month: a run releases its lease on every exit path.
pub fn lake_files(dir: &Path) -> Vec<String> {
    let (leases, rest): (Vec<String>, Vec<String>) = files_below(dir)
        .into_iter()
        .filter(|f| !is_lake_record(f, || std::fs::read(dir.join(f)).unwrap()))
        .partition(|f| f.starts_with("_leases/"));
    assert_released(&leases, |f| std::fs::read(dir.join(f)).unwrap());
    rest
}

/// Whether `f` is the lake's metric record (`_lake/lake.json`), checked to hold a metric.
pub fn is_lake_record(f: &str, read: impl FnOnce() -> Vec<u8>) -> bool {
    if f != "_lake/lake.json" {
        return false;
    }
    let rec: serde_json::Value = serde_json::from_slice(&read()).unwrap();
    assert!(
        matches!(rec["metric"].as_str(), Some("actual" | "amortized")),
        "{rec}"
    );
    true
}

/// Checks lease terms: one per month folder, and released.
pub fn assert_released(leases: &[String], read: impl Fn(&str) -> Vec<u8>) {
    let mut months = std::collections::BTreeSet::new();
    for f in leases {
        let (month, _) = f.rsplit_once('/').unwrap();
        assert!(
            months.insert(month.to_string()),
            "more than one lease term left in {month}: {leases:?}"
        );
        let rec: serde_json::Value = serde_json::from_slice(&read(f)).unwrap();
        assert_eq!(rec["released"], true, "{f} is not released: {rec}");
    }
}

/// The variables the archiver hands its store (`AWS_*` and `AZURE_*`), for the tests' own
/// clients of the same stores.
/// The store settings of the environment; also installs the TLS provider, which every
/// `object_store` client built from them needs first (`ea_usage_archiver::tls`).
pub fn store_env() -> Vec<(String, String)> {
    ea_usage_archiver::tls::install_crypto_provider();
    std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("AZURE_"))
        .collect()
}

/// The files that are not history versions, and how many history versions there are.
pub fn split_history(files: Vec<String>) -> (Vec<String>, usize) {
    let (history, rest): (Vec<String>, Vec<String>) =
        files.into_iter().partition(|f| f.starts_with("_history/"));
    assert!(
        history.iter().all(|h| h.ends_with(".parquet.prev")),
        "{history:?}"
    );
    (rest, history.len())
}
