//! Logs: JSON lines carry the run id and partition; the key never appears, even at trace level.

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_run_and_partition_and_never_the_key() {
    let sim = start_sim(Some(1500), &["status=503@2x1"]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(["--log-format", "json", "archive"])
        .args(args(&url, &dest, &["--month", "2024-02", "--keep-raw"]))
        .env("EA_API_KEY", KEY)
        .env("RUST_LOG", "trace");
    let out = cmd.output().await.unwrap();
    sim.stop().await;
    assert!(out.status.success(), "{}", stderr(&out));
    let run_id = summary(&out)["run_id"].as_str().unwrap().to_string();
    let log = stderr(&out);
    assert!(!log.contains(KEY), "the API key leaked into trace logs");
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
        .collect();
    let committed = lines
        .iter()
        .find(|l| l["message"] == "partition committed")
        .expect("a 'partition committed' line");
    let spans = committed["spans"].as_array().unwrap();
    assert_eq!(spans[0]["run_id"], run_id.as_str());
    assert_eq!(spans[1]["month"], "2024-02");
    assert_eq!(spans[1]["enrollment"], ENROLLMENT);
    assert_eq!(committed["rows"], 1500);
    let retry = lines
        .iter()
        .find(|l| l["message"] == "retrying request")
        .expect("a retry line");
    assert_eq!(retry["level"], "INFO");
    assert_eq!(retry["status"], "503");
    // Nothing per row, even at trace level: page-level lines appear once per page (2 pages of
    // 1,500 rows), and no message of ours appears more often than that.
    let ours: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["target"]
                .as_str()
                .unwrap_or("")
                .starts_with("ea_usage_archiver")
        })
        .collect();
    let count = |m: &str| {
        ours.iter()
            .filter(|l| l["fields"]["message"] == m || l["message"] == m)
            .count()
    };
    assert_eq!(count("decoded page"), 2, "one line per page");
    assert_eq!(count("fetched page"), 2, "one line per page");
    assert_eq!(count("partition committed"), 1);
    let mut by_message: std::collections::BTreeMap<String, usize> = Default::default();
    for l in &ours {
        let m = l["fields"]["message"]
            .as_str()
            .or(l["message"].as_str())
            .unwrap_or("")
            .to_string();
        *by_message.entry(m).or_default() += 1;
    }
    assert!(
        by_message.values().all(|&n| n <= 2),
        "a message logged per row? {by_message:?}"
    );
    // No file in the lake carries the key either.
    for f in files_below(lake.path()) {
        let bytes = std::fs::read(lake.path().join(&f)).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{f} contains the key"
        );
    }
}
