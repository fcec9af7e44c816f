//! Bad input is refused before any request, with exit code 2 and the flag named.

use crate::common::*;

async fn refused(extra: &[&str], key: Option<&str>, flag: &str) {
    let lake = tempfile::tempdir().unwrap();
    let dest = lake.path().to_str().unwrap().to_string();
    // Port 9 on loopback: nothing listens, so any request would fail differently.
    let mut a = vec!["--dest", dest.as_str(), "--base-url", "http://127.0.0.1:9"];
    a.extend_from_slice(extra);
    let out = archive(&a, key).await;
    assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(flag),
        "{extra:?} should name {flag}: {}",
        stderr(&out)
    );
    assert!(lake_files(lake.path()).is_empty());
}

#[tokio::test]
async fn bad_flags_name_the_flag_and_exit_2() {
    let k = Some(KEY);
    refused(
        &["--enrollment", "12ab", "--month", "2024-01"],
        k,
        "--enrollment",
    )
    .await;
    refused(
        &["--enrollment", "../x", "--month", "2024-01"],
        k,
        "--enrollment",
    )
    .await;
    refused(&["--enrollment", "1", "--month", "2024-13"], k, "--month").await;
    refused(
        &["--enrollment", "1", "--billing-period", "2024-01"],
        k,
        "--billing-period",
    )
    .await;
    refused(
        &[
            "--enrollment",
            "1",
            "--from",
            "2024-02-01",
            "--to",
            "2024-01-01",
        ],
        k,
        "--from",
    )
    .await;
    refused(
        &[
            "--enrollment",
            "1",
            "--from",
            "2020-01-01",
            "--to",
            "2023-01-01",
        ],
        k,
        "--to",
    )
    .await;
    refused(&["--enrollment", "1", "--from", "2024-01-01"], k, "--to").await;
    refused(
        &[
            "--enrollment",
            "1",
            "--month",
            "2024-01",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-02",
        ],
        k,
        "--from",
    )
    .await;
    refused(
        &[
            "--enrollment",
            "1",
            "--api-version",
            "v1",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-02",
        ],
        k,
        "--api-version",
    )
    .await;
    refused(
        &["--enrollment", "1", "--api-version", "v3"],
        k,
        "--api-version",
    )
    .await;
    refused(
        &[
            "--enrollment",
            "1",
            "--month",
            "2024-01",
            "--base-url",
            "ftp://x",
        ],
        k,
        "--base-url",
    )
    .await;
    refused(
        &[
            "--enrollment",
            "1",
            "--month",
            "2024-01",
            "--concurrency",
            "0",
        ],
        k,
        "--concurrency",
    )
    .await;
    refused(
        &["--enrollment", "1", "--month", "2024-01"],
        None,
        "EA_API_KEY",
    )
    .await;
    refused(
        &[
            "--enrollment",
            "1",
            "--month",
            "2024-01",
            "--api-key-file",
            "/nonexistent/key",
        ],
        None,
        "--api-key-file",
    )
    .await;
    refused(
        &["--enrollment", "1", "--from-dir", "/nonexistent"],
        None,
        "--from-dir",
    )
    .await;
    refused(&["--enrollment", "1", "--api-key", "x"], None, "--api-key").await;
}
