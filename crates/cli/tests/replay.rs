//! `firebreak replay` over the real airline file: the detectors, fed in time
//! order through the live pipeline, raise incidents for the storms the file
//! records, and few on its quiet days.

use std::{path::Path, process::Command};

#[test]
fn the_airline_storms_raise_incidents_and_the_quiet_days_few() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/airline/Tweets.csv");
    if !file.exists() {
        eprintln!("skipping: {} is absent (the shared data sets sit beside the repo)", file.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_firebreak"))
        .env("FIREBREAK_LOG", "warn")
        .env_remove("FIREBREAK_CONFIG")
        .args(["replay", "--format", "airline", "--speed", "100000000", "--data"])
        .arg(dir.path())
        .arg(&file)
        .output()
        .expect("firebreak runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let incidents: Vec<&str> = stdout.lines().filter(|l| l.starts_with("incident ")).collect();
    let raised = |day: &str, key: &str| {
        incidents
            .iter()
            .any(|l| l.split(' ').nth(1).is_some_and(|t| t.starts_with(day)) && l.contains(&format!(" key={key} ")))
    };
    // Each line: the word, the stream time, the key and the evidence.
    for l in &incidents {
        let mut parts = l.split(' ');
        assert_eq!(parts.next(), Some("incident"));
        let time = parts.next().unwrap();
        assert!(firebreak_domain::Timestamp::parse_rfc3339(time).is_ok(), "{l}");
        assert!(parts.next().unwrap().starts_with("key="), "{l}");
        for field in ["observed=", "expected=", "ratio=", "p=", "sparkline=", "terms="] {
            assert!(l.contains(field), "{l}");
        }
    }
    assert!(raised("2015-02-21", "brand=southwestair|topic=cancellation"), "{stdout}");
    assert!(raised("2015-02-22", "brand=usairways|topic=cancellation"), "{stdout}");
    assert!(raised("2015-02-22", "brand=usairways|topic=delay"), "{stdout}");
    assert!(raised("2015-02-22", "brand=united|topic=delay"), "{stdout}");
    assert!(raised("2015-02-22", "brand=united|topic=cancellation"), "{stdout}");
    // The quiet days (18 to 20 February) raise few.
    let quiet = incidents
        .iter()
        .filter(|l| ["2015-02-18", "2015-02-19", "2015-02-20"].iter().any(|d| l[9..].starts_with(d)))
        .count();
    assert!(quiet <= 12, "{quiet} incidents on the quiet days:\n{stdout}");
    assert!(stdout.lines().last().unwrap().starts_with("replayed 14640 messages"), "{stdout}");
}
