//! The built-in simulator's commands (`simulate`, `demo`) behind the default-on `sim` feature;
//! the test and benchmark helpers (`sim-totals`, `bench-parse`) behind the test-only
//! `test-hooks` feature, so the shipped binary has neither.

use clap::Parser;
use tracing::info;

use super::Done;
use super::archive_with;
#[cfg(feature = "test-hooks")]
use crate::cli::{BenchParseArgs, SimTotalsArgs};
use crate::cli::{Cli, Command, DemoArgs, SimulateArgs};
use crate::config::{bad, load_api_key};
use crate::error::{RunError, exit};
use crate::sim::{self, DEMO_KEY, Fault, SimConfig};

/// `bench-parse`: every page of a folder through a typed serde struct, single-threaded.
#[cfg(feature = "test-hooks")]
pub(super) fn bench_parse(args: &BenchParseArgs) -> Done {
    let rows = crate::bench_parse::parse_dir(&args.from_dir).map_err(|e| RunError::Unreadable {
        what: format!("cannot parse the pages of {}", args.from_dir.display()),
        source: e.into(),
    })?;
    outln!("{rows}");
    Ok(exit::OK)
}

pub(super) async fn simulate(args: &SimulateArgs) -> Done {
    let key = match (&args.api_key_file, std::env::var("EA_API_KEY").ok()) {
        (None, None) => DEMO_KEY.to_string(),
        (file, env) => load_api_key(file.as_ref(), env)?.expose().to_string(),
    };
    let mut cfg = SimConfig::new(&key);
    cfg.rows_per_month = args.rows_per_month;
    cfg.page_size = args.page_size.max(1);
    cfg.revision = args.revision;
    cfg.cost_details = sim::CostDetailsConfig {
        generation: match args.cd_columns {
            crate::cli::SimColumns::Current => sim::cost_csv::Generation::Current,
            crate::cli::SimColumns::Older => sim::cost_csv::Generation::Older,
        },
        blobs: args.cd_blobs.max(1),
        polls: args.cd_polls,
        gzip: args.cd_gzip,
        final_status: args.cd_status.clone(),
        throttle: args.cd_throttle,
    };
    cfg.etag = match args.etag {
        crate::cli::SimEtag::Month => sim::EtagMode::Month,
        crate::cli::SimEtag::Page => sim::EtagMode::Page,
    };
    if let Some(m) = &args.current_period {
        let ym = crate::config::parse_month(m).map_err(|e| bad("--current-period", e.reason))?;
        cfg.current_period = Some(ym);
    }
    if let Some(ms) = args.page_latency_ms {
        cfg.faults.push(Fault::Latency(ms));
    }
    for spec in &args.faults {
        cfg.faults
            .push(Fault::parse(spec).map_err(|e| bad("--fault", e.to_string()))?);
    }
    let handle = sim::start(args.listen, cfg)
        .await
        .map_err(|e| bad("--listen", format!("cannot listen on {}: {e}", args.listen)))?;
    info!(url = %handle.base_url(), "EA API simulator listening");
    eprintln!("EA API simulator listening on {}", handle.base_url());
    tokio::select! {
        _ = tokio::signal::ctrl_c() => handle.stop().await,
    }
    Ok(exit::OK)
}

/// Months the demo archives.
pub(crate) const DEMO_MONTHS: [&str; 3] = ["2024-01", "2024-02", "2024-03"];
/// Enrollment the demo archives.
pub(crate) const DEMO_ENROLLMENT: &str = "1234567";

/// The demo's steps are ordinary command lines, so they get every default as is.
fn demo_command(argv: &[&str]) -> Result<Command, RunError> {
    Cli::try_parse_from(std::iter::once("ea-usage-archiver").chain(argv.iter().copied()))
        .map(|cli| cli.command)
        .map_err(|e| RunError::Internal {
            what: format!("the demo's own arguments are invalid ({})", argv.join(" ")),
            source: e.into(),
        })
}

/// A step of the demo that is not the command it should be.
fn not_the_command(argv: &[&str]) -> RunError {
    RunError::Internal {
        what: format!(
            "the demo's step parsed as another command ({})",
            argv.join(" ")
        ),
        source: "unexpected command".into(),
    }
}

/// The month the demo archives from the Cost Details API.
const DEMO_COST_DETAILS_MONTH: &str = "2024-06";

/// Archives `months` from a simulator serving `revision`.
async fn demo_pull(
    dest: &str,
    months: &[&str],
    revision: u32,
) -> Result<crate::app::RunSummary, RunError> {
    demo_pull_from(dest, months, revision, false).await
}

/// Archives `months` from the simulator's EA API, or (`cost_details`) its Cost Details API.
async fn demo_pull_from(
    dest: &str,
    months: &[&str],
    revision: u32,
    cost_details: bool,
) -> Result<crate::app::RunSummary, RunError> {
    let mut cfg = SimConfig::new(DEMO_KEY);
    cfg.revision = revision;
    let handle = sim::start(([127, 0, 0, 1], 0).into(), cfg)
        .await
        .map_err(|e| RunError::Internal {
            what: "cannot start the simulator".into(),
            source: e.into(),
        })?;
    let base_url = handle.base_url();
    let mut argv = vec![
        "archive",
        "--enrollment",
        DEMO_ENROLLMENT,
        "--dest",
        dest,
        "--concurrency",
        "3",
    ];
    if cost_details {
        argv.extend(["--source", "cost-details", "--management-url", &base_url]);
    } else {
        argv.extend(["--base-url", &base_url]);
    }
    for m in months {
        argv.extend(["--month", m]);
    }
    let a = match demo_command(&argv) {
        Ok(Command::Archive(a)) => a,
        other => {
            handle.stop().await;
            return Err(other.err().unwrap_or_else(|| not_the_command(&argv)));
        }
    };
    let result = archive_with(
        &a,
        &crate::config::archive::CredentialEnv {
            ea_api_key: Some(DEMO_KEY.to_string()),
            azure_access_token: Some(DEMO_KEY.to_string()),
        },
    )
    .await;
    handle.stop().await;
    result
}

pub(super) async fn demo(args: &DemoArgs) -> Done {
    // 1. Three months as first published.
    let summary = demo_pull(&args.dest, &DEMO_MONTHS, 0).await?;
    outln!(
        "Archived enrollment {DEMO_ENROLLMENT} from the built-in EA API simulator into {}",
        summary.dest
    );
    outln!(
        "{:<8} {:>7} {:>6} {:>26}  {:<9} file",
        "month",
        "rows",
        "pages",
        "cost",
        "status"
    );
    for p in &summary.partitions {
        outln!(
            "{:<8} {:>7} {:>6} {:>26}  {:<9} {}",
            p.month,
            p.rows,
            p.pages,
            p.cost_total.as_deref().unwrap_or("-"),
            p.status,
            p.path.as_deref().or(p.error.as_deref()).unwrap_or("")
        );
    }
    if summary.exit_code() != exit::OK {
        return Ok(summary.exit_code());
    }
    // 2. The last month restated, as the API does for days after a month closes: the new
    //    version replaces it, the old one is kept in history, and `diff` explains the change.
    let month = DEMO_MONTHS[DEMO_MONTHS.len() - 1];
    let restated = demo_pull(&args.dest, &[month], 1).await?;
    let p = &restated.partitions[0];
    outln!();
    outln!(
        "Re-pulled {month} restated: {} (cost {}); the version it replaced: {}",
        p.status,
        p.cost_total.as_deref().unwrap_or("-"),
        p.previous_version.as_deref().unwrap_or("none (identical)")
    );
    outln!();
    let argv = [
        "diff",
        "--dest",
        &args.dest,
        "--enrollment",
        DEMO_ENROLLMENT,
        "--month",
        month,
    ];
    let code = match demo_command(&argv)? {
        Command::Diff(d) => super::versions::diff(&d).await?,
        _ => return Err(not_the_command(&argv)),
    };
    if code != exit::OK {
        return Ok(code);
    }
    // 3. A month after the EA API's retirement, from the Cost Details API, into the same lake.
    let after = demo_pull_from(&args.dest, &[DEMO_COST_DETAILS_MONTH], 0, true).await?;
    let p = &after.partitions[0];
    outln!();
    outln!(
        "Archived {} from the Cost Details API (after the EA API's retirement): {}, {} rows, cost {}, {}",
        p.month,
        p.status,
        p.rows,
        p.cost_total.as_deref().unwrap_or("-"),
        p.path.as_deref().or(p.error.as_deref()).unwrap_or("")
    );
    if after.exit_code() != exit::OK {
        return Ok(after.exit_code());
    }
    // 4. A month from Cost Management exports: the simulator's export container, written to a
    //    temporary folder (the customer's storage account), its newest run of the month read.
    let exported = demo_exports(&args.dest).await?;
    let p = &exported.partitions[0];
    outln!();
    outln!(
        "Archived {} from an export container (run {}, {} Parquet part(s)): {}, {} rows, cost {}",
        p.month,
        p.export.as_ref().map_or("-", |e| e.run_id.as_str()),
        p.export.as_ref().map_or(0, |e| e.parts),
        p.status,
        p.rows,
        p.cost_total.as_deref().unwrap_or("-"),
    );
    Ok(exported.exit_code())
}

/// The month the demo archives from the simulator's export container (its Parquet month).
const DEMO_EXPORTS_MONTH: &str = "2024-07";

/// Writes the simulator's export container into a temporary folder and archives
/// [`DEMO_EXPORTS_MONTH`] from it; the folder is removed afterwards.
async fn demo_exports(dest: &str) -> Result<crate::app::RunSummary, RunError> {
    let folder = std::env::temp_dir().join(format!("ea-usage-demo-exports-{}", std::process::id()));
    let scenario = sim::exports::ExportScenario {
        enrollment: DEMO_ENROLLMENT.into(),
        year: 2024,
        month: 9,
        day: 1,
        rows: None,
    };
    let written = sim::exports::write(&folder, &scenario).map_err(|e| RunError::Internal {
        what: format!(
            "cannot write the demo's export container to {}",
            folder.display()
        ),
        source: e.into(),
    });
    let result = match written {
        Ok(_) => {
            let root = folder.display().to_string();
            let argv = [
                "archive",
                "--source",
                "exports",
                "--exports-root",
                &root,
                "--enrollment",
                DEMO_ENROLLMENT,
                "--month",
                DEMO_EXPORTS_MONTH,
                "--dest",
                dest,
            ];
            match demo_command(&argv) {
                Ok(Command::Archive(a)) => {
                    archive_with(&a, &crate::config::archive::CredentialEnv::default()).await
                }
                Ok(_) => Err(not_the_command(&argv)),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_dir_all(&folder);
    result
}

/// `simulate-exports`: writes the container and prints what each month should archive.
pub(super) fn simulate_exports(args: &crate::cli::SimulateExportsArgs) -> Done {
    let (year, month) = crate::config::parse_month(&args.month)?;
    let enrollment = crate::config::parse_enrollment(&args.enrollment)?;
    let scenario = sim::exports::ExportScenario {
        enrollment,
        year,
        month,
        day: args.day,
        rows: args.rows_per_month,
    };
    let expected = sim::exports::write(&args.out, &scenario).map_err(|e| RunError::Unreadable {
        what: format!(
            "cannot write the export container to {}",
            args.out.display()
        ),
        source: e.into(),
    })?;
    outln!(
        "{}",
        serde_json::to_string_pretty(&expected).expect("serializes")
    );
    Ok(exit::OK)
}

#[cfg(feature = "test-hooks")]
pub(super) fn sim_totals(args: &SimTotalsArgs) -> Done {
    let mut cfg = SimConfig::new(DEMO_KEY);
    cfg.rows_per_month = args.rows_per_month;
    cfg.revision = args.revision;
    let mut out = serde_json::Map::new();
    for m in &args.months {
        let (year, month) = crate::config::parse_month(m)?;
        let spec = cfg.month(&args.enrollment, year, month, args.api_version.into());
        let (rows, total) = sim::data::month_totals(&spec);
        out.insert(
            m.clone(),
            serde_json::json!({"rows": rows, "cost_total": crate::money::format_scaled(total)}),
        );
    }
    outln!("{}", serde_json::Value::Object(out));
    Ok(exit::OK)
}
