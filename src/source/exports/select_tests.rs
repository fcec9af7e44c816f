//! Unit tests of run selection.

use super::*;
use crate::source::exports::manifest::{Part, PartFormat, parse_time};

fn run(export: &str, kind: Dataset, scope: &str, month: (i32, u32), at: &str, id: &str) -> Found {
    let scope = match scope.strip_prefix("ea:") {
        Some(n) => Scope::Enrollment(n.into()),
        None => Scope::Narrower(scope.into()),
    };
    Found {
        manifest: format!("{export}/{id}/manifest.json"),
        run: Run {
            export_name: export.into(),
            dataset: kind,
            scope,
            month: Ok(month),
            submitted: parse_time(at).unwrap(),
            run_id: id.into(),
            format: Some(PartFormat::Csv),
            parts: vec![Part {
                name: format!("{export}/{id}/part_0_0001.csv"),
                bytes: Some(1),
                rows: None,
            }],
            rows: None,
            blob_count: Some(1),
        },
    }
}

const ACTUAL: Dataset = Dataset::Usage(Metric::Actual);

fn want() -> Want<'static> {
    Want {
        metric: Metric::Actual,
        enrollment: None,
        months: &[],
        export_name: None,
    }
}

fn picked(p: &MonthPick) -> &str {
    &p.outcome.as_ref().unwrap().run.run_id
}

#[test]
fn the_newest_run_of_each_month_wins_whatever_the_listing_order() {
    let found = vec![
        run(
            "daily",
            ACTUAL,
            "ea:1",
            (2025, 3),
            "2025-03-04T02:00:00Z",
            "r4",
        ),
        run(
            "daily",
            ACTUAL,
            "ea:1",
            (2025, 3),
            "2025-03-05T02:00:00",
            "r5",
        ),
        run(
            "daily",
            ACTUAL,
            "ea:1",
            (2025, 3),
            "2025-03-03T02:00:00Z",
            "r3",
        ),
        // The regenerated previous month, submitted in March.
        run(
            "daily",
            ACTUAL,
            "ea:1",
            (2025, 2),
            "2025-03-02T05:00:00Z",
            "feb-regen",
        ),
        run(
            "daily",
            ACTUAL,
            "ea:1",
            (2025, 2),
            "2025-02-28T02:00:00Z",
            "feb-last",
        ),
    ];
    let (picks, notices) = choose(found, &want());
    assert!(notices.is_empty(), "{notices:?}");
    let got: Vec<((i32, u32), &str)> = picks.iter().map(|p| (p.month, picked(p))).collect();
    assert_eq!(got, vec![((2025, 2), "feb-regen"), ((2025, 3), "r5")]);
}

#[test]
fn other_datasets_and_the_other_metric_are_skipped_narrower_scopes_refused() {
    let found = vec![
        run(
            "focus",
            Dataset::Other("FocusCost".into()),
            "ea:1",
            (2025, 3),
            "2025-03-05T00:00:00Z",
            "f",
        ),
        run(
            "amortized",
            Dataset::Usage(Metric::Amortized),
            "ea:1",
            (2025, 3),
            "2025-03-05T00:00:00Z",
            "a",
        ),
        run(
            "sub",
            ACTUAL,
            "/subscriptions/s",
            (2025, 3),
            "2025-03-05T00:00:00Z",
            "s",
        ),
        run(
            "daily",
            ACTUAL,
            "ea:1",
            (2025, 3),
            "2025-03-05T00:00:00Z",
            "d",
        ),
    ];
    let (picks, notices) = choose(found, &want());
    assert_eq!(picks.len(), 1);
    assert_eq!(picked(&picks[0]), "d");
    let skipped: Vec<&str> = notices
        .iter()
        .filter_map(|n| match n {
            Notice::Skipped { why, .. } => Some(why.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(skipped.len(), 2, "{notices:?}");
    assert!(
        skipped[0].contains("FocusCost") && skipped[1].contains("amortized"),
        "{skipped:?}"
    );
    let refused: Vec<&Notice> = notices
        .iter()
        .filter(|n| matches!(n, Notice::Refused { .. }))
        .collect();
    assert!(
        matches!(refused[..], [Notice::Refused { why, manifest }] if why.contains("/subscriptions/s") && manifest == "sub/s/manifest.json"),
        "{refused:?}"
    );
}

#[test]
fn a_run_spanning_months_is_refused_naming_it() {
    let mut f = run(
        "daily",
        ACTUAL,
        "ea:1",
        (2025, 3),
        "2025-03-05T00:00:00Z",
        "x",
    );
    f.run.month = Err("it spans 2025-02-15 to 2025-03-14, more than one month".into());
    let (picks, notices) = choose(vec![f], &want());
    assert!(picks.is_empty());
    assert!(
        matches!(&notices[..], [Notice::Refused { why, .. }] if why.contains("run x of export daily") && why.contains("2025-02-15 to 2025-03-14")),
        "{notices:?}"
    );
}

#[test]
fn two_exports_of_a_month_are_refused_unless_one_is_named() {
    let found = || {
        vec![
            run(
                "daily",
                ACTUAL,
                "ea:1",
                (2025, 3),
                "2025-03-05T00:00:00Z",
                "d",
            ),
            run(
                "monthly",
                ACTUAL,
                "ea:1",
                (2025, 3),
                "2025-03-06T00:00:00Z",
                "m",
            ),
        ]
    };
    let (picks, _) = choose(found(), &want());
    assert_eq!(
        picks[0].outcome,
        Err(MonthRefusal::TwoExports(vec![
            "daily".into(),
            "monthly".into()
        ]))
    );
    assert!(
        picks[0]
            .outcome
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("daily and monthly")
    );
    let named = Want {
        export_name: Some("daily"),
        ..want()
    };
    let (picks, _) = choose(found(), &named);
    assert_eq!(picked(&picks[0]), "d");
}

#[test]
fn different_runs_at_the_same_newest_time_are_refused_the_same_run_twice_is_not() {
    let at = "2025-03-05T02:00:00Z";
    let (picks, _) = choose(
        vec![
            run("daily", ACTUAL, "ea:1", (2025, 3), at, "b"),
            run(
                "daily",
                ACTUAL,
                "ea:1",
                (2025, 3),
                "2025-03-05T02:00:00",
                "a",
            ),
            run(
                "daily",
                ACTUAL,
                "ea:1",
                (2025, 3),
                "2025-03-04T00:00:00Z",
                "old",
            ),
        ],
        &want(),
    );
    assert_eq!(
        picks[0].outcome,
        Err(MonthRefusal::Tie {
            run_ids: vec!["a".into(), "b".into()],
            submitted: parse_time(at).unwrap(),
        })
    );
    // One run whose manifest is found under both names.
    let mut twin = run("daily", ACTUAL, "ea:1", (2025, 3), at, "a");
    twin.manifest = "daily/a/_manifest.json".into();
    let (picks, _) = choose(
        vec![run("daily", ACTUAL, "ea:1", (2025, 3), at, "a"), twin],
        &want(),
    );
    assert_eq!(picked(&picks[0]), "a");
}

#[test]
fn enrollment_and_month_restrict_the_picks() {
    let found = || {
        vec![
            run(
                "daily",
                ACTUAL,
                "ea:1",
                (2025, 2),
                "2025-03-01T00:00:00Z",
                "a",
            ),
            run(
                "daily",
                ACTUAL,
                "ea:1",
                (2025, 3),
                "2025-03-05T00:00:00Z",
                "b",
            ),
            run(
                "other",
                ACTUAL,
                "ea:2",
                (2025, 3),
                "2025-03-05T00:00:00Z",
                "c",
            ),
        ]
    };
    let (picks, _) = choose(
        found(),
        &Want {
            enrollment: Some("1"),
            months: &[(2025, 3)],
            ..want()
        },
    );
    assert_eq!(picks.len(), 1);
    assert_eq!(
        (picks[0].enrollment.as_str(), picked(&picks[0])),
        ("1", "b")
    );
    let (picks, _) = choose(found(), &want());
    let got: Vec<(&str, (i32, u32))> = picks
        .iter()
        .map(|p| (p.enrollment.as_str(), p.month))
        .collect();
    assert_eq!(
        got,
        vec![("1", (2025, 2)), ("1", (2025, 3)), ("2", (2025, 3))]
    );
}

#[test]
fn refusals_concern_only_the_syncs_that_ask_for_them() {
    let narrow = run(
        "sub",
        ACTUAL,
        "/subscriptions/s",
        (2025, 3),
        "2025-03-05T00:00:00Z",
        "s",
    );
    let mut spanning = run(
        "custom",
        ACTUAL,
        "ea:1",
        (2025, 3),
        "2025-03-05T00:00:00Z",
        "c",
    );
    spanning.run.month = Err("it spans 2025-01-01 to 2025-03-31, more than one month".into());
    let refused = |w: &Want<'_>| {
        let (_, notices) = choose(vec![narrow.clone(), spanning.clone()], w);
        notices
            .iter()
            .filter(|n| matches!(n, Notice::Refused { .. }))
            .count()
    };
    assert_eq!(refused(&want()), 2, "a sync of everything is told of both");
    let march = [(2025, 3)];
    assert_eq!(
        refused(&Want {
            months: &march,
            ..want()
        }),
        1,
        "the narrow scope covers March; the spanning run is no March run"
    );
    let may = [(2025, 5)];
    assert_eq!(
        refused(&Want {
            months: &may,
            ..want()
        }),
        0
    );
    assert_eq!(
        refused(&Want {
            export_name: Some("daily"),
            ..want()
        }),
        0
    );
    assert_eq!(
        refused(&Want {
            enrollment: Some("1"),
            ..want()
        }),
        1,
        "a subscription is no enrollment's"
    );
    let dept = run(
        "dept",
        ACTUAL,
        "/providers/Microsoft.Billing/billingAccounts/1/departments/7",
        (2025, 3),
        "2025-03-05T00:00:00Z",
        "d",
    );
    let (_, notices) = choose(
        vec![dept.clone()],
        &Want {
            enrollment: Some("1"),
            ..want()
        },
    );
    assert!(matches!(&notices[..], [Notice::Refused { why, .. }] if why.contains("departments/7")));
    let (_, notices) = choose(
        vec![dept],
        &Want {
            enrollment: Some("2"),
            ..want()
        },
    );
    assert!(notices.is_empty());
}
