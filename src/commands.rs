//! The three subcommands: `archive`, `simulate`, `demo`. Each returns the process exit code.

use std::io::Write;

use clap::Parser;
use tracing::{error, info};

use crate::app::{RunSummary, run_archive};
use crate::cli::{
    ArchiveArgs, Cli, Command, DemoArgs, OutputFormat, SimTotalsArgs, SimulateArgs, VerifyArgs,
};
use crate::config::{ArchiveConfig, VerifyConfig, load_api_key, today_utc};
use crate::error::{RunError, exit};
use crate::sim::{self, DEMO_KEY, Fault, SimConfig};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Archive(args) => archive(&args).await,
        Command::Simulate(args) => simulate(&args).await,
        Command::Demo(args) => demo(&args).await,
        Command::SimTotals(args) => sim_totals(&args),
        Command::Verify(args) => verify(&args).await,
        Command::BenchParse(args) => match crate::bench_parse::parse_dir(&args.from_dir) {
            Ok(rows) => {
                println!("{rows}");
                exit::OK
            }
            Err(e) => {
                eprintln!("error: {e}");
                exit::DATA
            }
        },
    }
}

fn print_summary(summary: &RunSummary) {
    let json = serde_json::to_string_pretty(summary).expect("summary serializes");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{json}");
}

async fn archive_with(args: &ArchiveArgs, env_key: Option<String>) -> Result<RunSummary, RunError> {
    let cfg = ArchiveConfig::from_args(args, env_key, today_utc())?;
    let cancel = crate::app::cancel::on_signals()
        .map_err(|e| RunError::Internal(format!("cannot listen for signals: {e}")))?;
    run_archive(cfg, cancel).await
}

async fn archive(args: &ArchiveArgs) -> i32 {
    match archive_with(args, std::env::var("EA_API_KEY").ok()).await {
        Ok(summary) => {
            print_summary(&summary);
            summary.exit_code()
        }
        Err(e) => {
            error!(error = %e.chain(), "run failed");
            eprintln!("error: {}", e.chain());
            e.exit_code()
        }
    }
}

async fn simulate(args: &SimulateArgs) -> i32 {
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
pub const DEMO_MONTHS: [&str; 3] = ["2024-01", "2024-02", "2024-03"];
/// Enrollment the demo archives.
pub const DEMO_ENROLLMENT: &str = "1234567";

async fn demo(args: &DemoArgs) -> i32 {
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

fn sim_totals(args: &SimTotalsArgs) -> i32 {
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

async fn verify(args: &VerifyArgs) -> i32 {
    let cfg = match VerifyConfig::from_args(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: invalid argument {e}");
            return exit::USAGE;
        }
    };
    let lake = match crate::sink::open_lake(&cfg.dest, false) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {}", crate::text::error_chain(&e));
            return exit::USAGE;
        }
    };
    let report = match crate::verify::verify(&lake, cfg.enrollment.as_deref(), cfg.month).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}", crate::text::error_chain(&e));
            return exit::STORAGE;
        }
    };
    match cfg.format {
        OutputFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        ),
        OutputFormat::Text => print_verify_table(&report),
    }
    if report.ok {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    }
}

fn print_verify_table(r: &crate::verify::VerifyReport) {
    println!(
        "{:<12} {:<8} {:>9} {:>28} {:>11} {:<4} {:<21} status",
        "enrollment", "month", "rows", "cost", "bytes", "api", "pulled_at"
    );
    for p in &r.partitions {
        println!(
            "{:<12} {:<8} {:>9} {:>28} {:>11} {:<4} {:<21} {}",
            p.enrollment,
            p.month,
            p.rows.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
            p.cost_total.as_deref().unwrap_or("-"),
            p.bytes,
            p.api_version.as_deref().unwrap_or("-"),
            p.pulled_at.as_deref().unwrap_or("-"),
            p.status
        );
        for problem in &p.problems {
            println!("    ! {problem}");
        }
        for warning in &p.warnings {
            println!("    ~ {warning}");
        }
    }
    for s in &r.stray_files {
        println!("stray file: {s}");
    }
    println!(
        "{} partition(s), {} problem(s), {} stray file(s): {}",
        r.partitions.len(),
        r.partitions.iter().filter(|p| p.status != "ok").count(),
        r.stray_files.len(),
        if r.ok { "OK" } else { "FAILED" }
    );
}
