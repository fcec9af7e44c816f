//! The built-in simulator's commands (`simulate`, `demo`, `sim-totals`) and the benchmark's
//! typed-parse floor (`bench-parse`), behind the default-on `sim` feature.

use clap::Parser;
use tracing::info;

use super::archive_with;
use crate::cli::{BenchParseArgs, Cli, Command, DemoArgs, SimTotalsArgs, SimulateArgs};
use crate::config::load_api_key;
use crate::error::exit;
use crate::sim::{self, DEMO_KEY, Fault, SimConfig};

/// `bench-parse`: every page of a folder through a typed serde struct, single-threaded.
pub(super) fn bench_parse(args: &BenchParseArgs) -> i32 {
    match crate::bench_parse::parse_dir(&args.from_dir) {
        Ok(rows) => {
            println!("{rows}");
            exit::OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            exit::DATA
        }
    }
}

pub(super) async fn simulate(args: &SimulateArgs) -> i32 {
    let key = match (&args.api_key_file, std::env::var("EA_API_KEY").ok()) {
        (None, None) => DEMO_KEY.to_string(),
        (file, env) => match load_api_key(file.as_ref(), env) {
            Ok(k) => k.expose().to_string(),
            Err(e) => {
                eprintln!("error: invalid argument {e}");
                return exit::USAGE;
            }
        },
    };
    let mut cfg = SimConfig::new(&key);
    cfg.rows_per_month = args.rows_per_month;
    cfg.page_size = args.page_size.max(1);
    cfg.revision = args.revision;
    cfg.etag = match args.etag {
        crate::cli::SimEtag::Month => sim::EtagMode::Month,
        crate::cli::SimEtag::Page => sim::EtagMode::Page,
    };
    if let Some(m) = &args.current_period {
        match crate::config::parse_month(m) {
            Ok(ym) => cfg.current_period = Some(ym),
            Err(e) => {
                eprintln!("error: invalid argument --current-period: {}", e.reason);
                return exit::USAGE;
            }
        }
    }
    if let Some(ms) = args.page_latency_ms {
        cfg.faults.push(Fault::Latency(ms));
    }
    for spec in &args.faults {
        match Fault::parse(spec) {
            Ok(f) => cfg.faults.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let handle = match sim::start(args.listen, cfg).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.listen);
            return exit::USAGE;
        }
    };
    info!(url = %handle.base_url(), "EA API simulator listening");
    eprintln!("EA API simulator listening on {}", handle.base_url());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => handle.stop().await,
    }
    exit::OK
}

/// Months the demo archives.
pub(crate) const DEMO_MONTHS: [&str; 3] = ["2024-01", "2024-02", "2024-03"];
/// Enrollment the demo archives.
pub(crate) const DEMO_ENROLLMENT: &str = "1234567";

pub(super) async fn demo(args: &DemoArgs) -> i32 {
    let handle = match sim::start(([127, 0, 0, 1], 0).into(), SimConfig::new(DEMO_KEY)).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: cannot start the simulator: {e}");
            return exit::INTERNAL;
        }
    };
    // The demo's run is an ordinary `archive` command line, so it gets every default as is.
    let base_url = handle.base_url();
    let mut argv = vec![
        "archive",
        "--enrollment",
        DEMO_ENROLLMENT,
        "--dest",
        &args.dest,
        "--base-url",
        &base_url,
        "--concurrency",
        "3",
    ];
    for m in DEMO_MONTHS {
        argv.extend(["--month", m]);
    }
    let archive_args = match Cli::try_parse_from(std::iter::once("ea-usage-archiver").chain(argv)) {
        Ok(Cli {
            command: Command::Archive(a),
            ..
        }) => a,
        other => {
            eprintln!("error: the demo's own arguments are invalid: {other:?}");
            return exit::INTERNAL;
        }
    };
    let result = archive_with(&archive_args, Some(DEMO_KEY.to_string())).await;
    handle.stop().await;
    match result {
        Ok(summary) => {
            println!(
                "Archived enrollment {DEMO_ENROLLMENT} from the built-in EA API simulator into {}",
                summary.dest
            );
            println!(
                "{:<8} {:>7} {:>6} {:>26}  file",
                "month", "rows", "pages", "cost"
            );
            for p in &summary.partitions {
                println!(
                    "{:<8} {:>7} {:>6} {:>26}  {}",
                    p.month,
                    p.rows,
                    p.pages,
                    p.cost_total.as_deref().unwrap_or("-"),
                    p.path.as_deref().or(p.error.as_deref()).unwrap_or("")
                );
            }
            summary.exit_code()
        }
        Err(e) => {
            eprintln!("error: {}", e.chain());
            e.exit_code()
        }
    }
}

pub(super) fn sim_totals(args: &SimTotalsArgs) -> i32 {
    let mut cfg = SimConfig::new(DEMO_KEY);
    cfg.rows_per_month = args.rows_per_month;
    cfg.revision = args.revision;
    let mut out = serde_json::Map::new();
    for m in &args.months {
        let (year, month) = match crate::config::parse_month(m) {
            Ok(v) => v,
            Err(e) => {
                eprintln!("error: invalid argument {e}");
                return exit::USAGE;
            }
        };
        let spec = cfg.month(&args.enrollment, year, month, args.api_version.into());
        let (rows, total) = sim::data::month_totals(&spec);
        out.insert(
            m.clone(),
            serde_json::json!({"rows": rows, "cost_total": crate::money::format_scaled(total)}),
        );
    }
    println!("{}", serde_json::Value::Object(out));
    exit::OK
}
