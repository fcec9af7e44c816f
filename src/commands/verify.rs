//! `verify`.

use crate::cli::{OutputFormat, VerifyArgs};
use crate::config::VerifyConfig;
use crate::error::exit;

pub(super) async fn verify(args: &VerifyArgs) -> super::Done {
    let cfg = VerifyConfig::from_args(args)?;
    let lake = crate::sink::open_lake(&cfg.dest, false)?;
    let report = crate::verify::verify(&lake, cfg.enrollment.as_deref(), cfg.month).await?;
    match cfg.format {
        OutputFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&report).expect("report serializes")
        ),
        OutputFormat::Text => print_verify_table(&report),
    }
    Ok(if report.ok {
        exit::OK
    } else {
        exit::VERIFY_FAILED
    })
}

fn print_verify_table(r: &crate::verify::VerifyReport) {
    outln!(
        "{:<12} {:<8} {:>9} {:>28} {:>11} {:<4} {:<21} status",
        "enrollment",
        "month",
        "rows",
        "cost",
        "bytes",
        "api",
        "pulled_at"
    );
    for p in &r.partitions {
        outln!(
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
        if let Some(v) = &p.history_version {
            outln!("    history version {v}");
        }
        for problem in &p.problems {
            outln!("    ! {problem}");
        }
        for warning in &p.warnings {
            outln!("    ~ {warning}");
        }
    }
    for s in &r.stray_files {
        outln!("stray file: {s}");
    }
    outln!(
        "{} partition(s), {} problem(s), {} stray file(s): {}",
        r.partitions.len(),
        r.partitions.iter().filter(|p| p.status != "ok").count(),
        r.stray_files.len(),
        if r.ok { "OK" } else { "FAILED" }
    );
}
