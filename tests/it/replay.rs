//! `--keep-raw` stores every page losslessly; `--from-dir` replays them into the same month.

use arrow_array::Array;

use crate::common::*;

#[tokio::test(flavor = "multi_thread")]
async fn raw_pages_replay_to_the_same_data() {
    let sim = start_sim(Some(2300), &[]).await;
    let lake = tempfile::tempdir().unwrap();
    let (url, dest) = (sim.base_url(), lake.path().to_str().unwrap().to_string());
    let out = archive(
        &args(&url, &dest, &["--month", "2024-07", "--keep-raw"]),
        Some(KEY),
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    sim.stop().await;
    let s = summary(&out);
    let run_id = s["run_id"].as_str().unwrap();
    let raw_dir = lake.path().join(format!(
        "_raw/enrollment=1234567/year=2024/month=07/{run_id}"
    ));
    let mut raw: Vec<String> = std::fs::read_dir(&raw_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    raw.sort();
    assert_eq!(
        raw,
        vec![
            "page-00001.json.zst",
            "page-00002.json.zst",
            "page-00003.json.zst"
        ]
    );
    for f in &raw {
        let bytes = std::fs::read(raw_dir.join(f)).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains(KEY));
    }
    let original = read_partition(&data_file(lake.path(), 2024, 7));

    let replay_lake = tempfile::tempdir().unwrap();
    let rdest = replay_lake.path().to_str().unwrap().to_string();
    let rdir = raw_dir.to_str().unwrap().to_string();
    let out = archive(
        &[
            "--enrollment",
            ENROLLMENT,
            "--month",
            "2024-07",
            "--from-dir",
            &rdir,
            "--dest",
            &rdest,
        ],
        None,
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let replayed = read_partition(&data_file(replay_lake.path(), 2024, 7));
    assert_eq!(
        replayed.batch, original.batch,
        "replay yields identical rows"
    );
    assert_eq!(replayed.metadata["ea_usage_archiver.source"], "replay");
    assert_eq!(
        replayed.metadata["ea_usage_archiver.cost_total"],
        original.metadata["ea_usage_archiver.cost_total"]
    );
    assert_eq!(summary(&out)["partitions"][0]["pages"], 3);
    assert!(replayed.batch.column_by_name("tags").unwrap().null_count() > 0);
}

/// Replays `files` as month 2024-07 into a new lake: the run must fail with exit 6 and write
/// nothing. Returns the month's error.
async fn refused_replay(files: &[(&str, &[u8])]) -> String {
    let pages = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(pages.path().join(name), body).unwrap();
    }
    let lake = tempfile::tempdir().unwrap();
    let (dir, dest) = (
        pages.path().to_str().unwrap().to_string(),
        lake.path().to_str().unwrap().to_string(),
    );
    let args = [
        "--enrollment",
        "1",
        "--month",
        "2024-07",
        "--from-dir",
        &dir,
        "--dest",
        &dest,
    ];
    let out = archive(&args, None).await;
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(lake_files(lake.path()).is_empty());
    first_error(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_of_an_unreadable_file_fails_with_exit_6() {
    let err = refused_replay(&[
        (
            "page-00001.json",
            br#"{"data":[{"cost":1}],"nextLink":"x"}"#,
        ),
        ("page-00002.json", b"<html>oops</html>"),
    ])
    .await;
    assert!(err.contains("page 2") && err.contains("<html>"), "{err}");
}

/// A saved page that is not UTF-8 is refused, saying where; a CSV report that cannot be read is
/// called a CSV page, not a JSON one.
#[tokio::test(flavor = "multi_thread")]
async fn unreadable_pages_say_why_and_in_which_format() {
    let mut body = br#"{"data":[{"cost":1,"x":""#.to_vec();
    let at = body.len();
    body.extend_from_slice(b"\xff\"}],\"nextLink\":null}");
    let err = refused_replay(&[("page-00001.json", &body)]).await;
    assert!(
        err.contains("not a valid usage-details JSON page")
            && err.contains(&format!("not valid UTF-8 (at byte {at})")),
        "{err}"
    );
    let csv = b"Da\xffte,CostInBillingCurrency\n01/02/2024,1.5\n";
    let err = refused_replay(&[("report.csv", csv)]).await;
    assert!(
        err.contains("not a valid usage-details CSV page") && err.contains("invalid UTF-8"),
        "{err}"
    );
}
