//! The bulk importers against the real data sets in `../shared/data` (next to
//! the repository). Each test prints a note and passes when a file is absent,
//! so a fresh clone without the data still passes.

use std::{collections::HashSet, fs::File, io::BufReader, path::PathBuf, time::Instant};

use firebreak_channels::{airline, twcs};
use firebreak_domain::{Direction, NewMessage};

fn data_file(relative: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(relative);
    if path.is_file() {
        Some(path)
    } else {
        println!("skipped: {} is absent (the shared data sets are not next to this checkout)", path.display());
        None
    }
}

fn all_rows<I: Iterator<Item = Result<NewMessage, firebreak_channels::RowError>>>(rows: I) -> Vec<NewMessage> {
    rows.map(|r| r.unwrap_or_else(|e| panic!("{e} ({})", e.code))).collect()
}

#[test]
fn airline_file_gives_14640_rows_and_14485_distinct_ids() {
    let Some(path) = data_file("airline/Tweets.csv") else { return };
    let started = Instant::now();
    let msgs = all_rows(airline::read(BufReader::new(File::open(&path).unwrap())));
    let elapsed = started.elapsed();
    assert_eq!(msgs.len(), 14_640);
    let distinct: HashSet<&str> = msgs.iter().map(|m| m.external_id.as_str()).collect();
    assert_eq!(distinct.len(), 14_485);
    assert!(msgs.iter().all(|m| m.direction == Direction::In));
    // Seven names in the file have spaces ("simuLate Flightthis": the data set
    // replaced "late" with "Late Flight" everywhere); they are no handles.
    assert_eq!(msgs.iter().filter(|m| m.author.handle.is_none()).count(), 7);
    let first = &msgs[0];
    assert_eq!(first.external_id.as_str(), "570306133677760513");
    assert_eq!(first.created_at.to_rfc3339(), "2015-02-24T19:35:52.000Z");
    assert!(first.raw.as_ref().unwrap().as_str().contains(r#""airline_sentiment":"neutral""#));
    println!(
        "airline: parsed {} rows in {elapsed:?} ({:.0} rows/s)",
        msgs.len(),
        msgs.len() as f64 / elapsed.as_secs_f64()
    );
}

/// The data README counts 5,001 rows with one repeated id, as pandas and
/// Python's csv module read the file: they end a record at the bare `\r\r`
/// inside the unquoted text of tweet 3399 and make a second, broken row (id
/// 3398, no author) of the rest of the line. The file holds 5,000 records
/// (its pandas index runs 0 to 4999), and that is what we read, with tweet
/// 3399's text whole; the store ends with the same 5,000 messages.
#[test]
fn twcs_head_gives_5000_distinct_ids_with_their_reply_links() {
    let Some(path) = data_file("twcs/twcs-head.csv") else { return };
    let msgs = all_rows(twcs::read(BufReader::new(File::open(&path).unwrap())));
    assert_eq!(msgs.len(), 5_000);
    let ids: HashSet<&str> = msgs.iter().map(|m| m.external_id.as_str()).collect();
    assert_eq!(ids.len(), 5_000);
    let split = msgs.iter().find(|m| m.external_id.as_str() == "3399").unwrap();
    assert!(split.text.as_str().starts_with("@AskPayPal \r\rI just love the start of email"));
    let inbound = msgs.iter().filter(|m| m.direction == Direction::In).count();
    assert_eq!(inbound, 2_778);
    let with_reply = msgs.iter().filter(|m| m.in_reply_to.is_some()).count();
    assert_eq!(with_reply, 3_694);
    let mut seen = HashSet::new();
    let resolving = msgs
        .iter()
        .filter(|m| seen.insert(m.external_id.as_str()))
        .filter(|m| m.in_reply_to.as_ref().is_some_and(|r| ids.contains(r.as_str())))
        .count();
    assert_eq!(resolving, 3_688, "reply links that resolve inside the file");
    assert!(msgs.iter().all(|m| m.in_reply_to.as_ref().is_none_or(|r| !r.as_str().contains('.'))));
    let brand = &msgs[0];
    assert_eq!((brand.author.handle.as_ref().unwrap().as_str(), brand.direction), ("sprintcare", Direction::Out));
}

#[test]
fn twcs_sample_without_an_index_column() {
    let Some(path) = data_file("twcs/sample.csv") else { return };
    let msgs = all_rows(twcs::read(BufReader::new(File::open(&path).unwrap())));
    assert_eq!(msgs.len(), 93);
    let brand = msgs.iter().find(|m| m.author.id.as_str() == "ChaseSupport").unwrap();
    assert_eq!(brand.direction, Direction::Out);
    assert_eq!(brand.author.handle.as_ref().unwrap().as_str(), "ChaseSupport");
}
