//! `firebreak bench community`: the community at the scale.
//!
//! Data: 100,000 topics and 1,000,000 posts (the first 1,000 topics with
//! exactly 200 replies), written once by the store's bulk loader into
//! `--data` and reused by later runs. Then, over `--runs` runs (medians
//! reported):
//! - a topic's page with 200 replies as a browser gets it: `GET
//!   /community/t/{id}` over loopback HTTP, rendered as HTML by the app
//!   (signed out), p50/p99 over `--requests` reads; and, as the baseline in
//!   the same run, the same topics read through the store
//!   (`CommunityStore::topic_page`) and serialised to JSON ([`page_latency`]
//!   times both with the same loop);
//! - votes and kudos through the store from `--actors` concurrent members
//!   (new members each run, so every vote and kudos is accepted), as
//!   operations per second; each is its own writer job, so group commit
//!   decides the rate;
//! - the value report over the whole data set, once per run.

use std::{
    future::Future,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::Args;
use firebreak_community::{Actor, IdeaId, MemberId, PostId, TopicId, ledger::PointsConfig, value::ValueConfig};
use firebreak_store::{CommunityBenchSpec, CommunityStore, NewMember, SqliteOptions, SqliteStore, Store};

use crate::bench::{Rng, percentile};

#[derive(Args)]
pub struct CommunityBench {
    /// The data directory; the data set is generated on the first run and
    /// reused afterwards (keep it outside the repository).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    topics: usize,
    #[arg(long, default_value_t = 1_000_000)]
    posts: usize,
    #[arg(long, default_value_t = 20_000)]
    members: usize,
    /// Topics with exactly 200 replies.
    #[arg(long, default_value_t = 1_000)]
    long_topics: usize,
    /// Topic page reads per run.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Concurrent members voting and giving kudos.
    #[arg(long, default_value_t = 256)]
    actors: usize,
    /// Votes and kudos per run (half each).
    #[arg(long, default_value_t = 40_000)]
    operations: usize,
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

/// Latencies of `requests` fetches of topics drawn from `topics`, one at a
/// time, in milliseconds, sorted. `fetch` does one request end to end (the
/// store and JSON today; an HTTP `GET /community/t/{id}` can be timed with
/// the same loop).
pub(crate) async fn page_latency<F, Fut>(
    topics: &[TopicId],
    requests: usize,
    seed: u64,
    fetch: F,
) -> anyhow::Result<Vec<f64>>
where
    F: Fn(TopicId) -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(requests);
    for _ in 0..requests {
        let t = topics[rng.below(topics.len())];
        let started = Instant::now();
        let bytes = fetch(t).await?;
        out.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(bytes > 0, "topic {t} answered nothing");
    }
    out.sort_by(|a, b| a.total_cmp(b));
    Ok(out)
}

/// One run of votes and kudos from `actors` new members: answers the
/// operations per second.
async fn votes_and_kudos(
    store: &Arc<SqliteStore>,
    run: usize,
    actors: usize,
    operations: usize,
    posts: (PostId, PostId),
    ideas: &[IdeaId],
) -> anyhow::Result<f64> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
    let mut members = Vec::with_capacity(actors);
    for a in 0..actors {
        let m = store
            .create_member(NewMember {
                email: format!("bench-actor-{stamp}-{run}-{a}@example.com"),
                display_name: format!("Actor {a}"),
                password_hash: None,
                email_verified: true,
                customer_id: None,
                staff: false,
            })
            .await?;
        members.push(m.id);
    }
    let ideas = Arc::new(ideas.to_vec());
    let per_actor = operations / actors.max(1);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(actors);
    for (a, m) in members.into_iter().enumerate() {
        let store = store.clone();
        let ideas = ideas.clone();
        tasks.push(tokio::spawn(async move { actor(store, a, m, per_actor, posts, ideas).await }));
    }
    let mut done = 0;
    for t in tasks {
        done += t.await??;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// One member's votes (on distinct ideas) and kudos (on distinct posts),
/// alternating, each awaited before the next.
async fn actor(
    store: Arc<SqliteStore>,
    a: usize,
    m: MemberId,
    n: usize,
    posts: (PostId, PostId),
    ideas: Arc<Vec<IdeaId>>,
) -> anyhow::Result<usize> {
    let mut rng = Rng(0x9E37_79B9 ^ ((a as u64 + 1) << 20));
    let span = (posts.1.0 - posts.0.0 + 1).max(1) as usize;
    let first_idea = rng.below(ideas.len());
    let mut given = std::collections::HashSet::new();
    let mut done = 0;
    for k in 0..n {
        if k % 2 == 0 && k / 2 < ideas.len() {
            let idea = ideas[(first_idea + k / 2) % ideas.len()];
            store.vote(Actor::member(m), idea).await.with_context(|| format!("vote on {idea}"))?;
        } else {
            let mut post = PostId(posts.0.0 + rng.below(span) as i64);
            while !given.insert(post) {
                post = PostId(posts.0.0 + rng.below(span) as i64);
            }
            store
                .give_kudos(Actor::member(m), post, PointsConfig::default())
                .await
                .with_context(|| format!("kudos on {post}"))?;
        }
        done += 1;
    }
    Ok(done)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

pub async fn run(b: CommunityBench) -> anyhow::Result<()> {
    std::fs::create_dir_all(&b.data).with_context(|| format!("cannot create {}", b.data.display()))?;
    let store = Arc::new(SqliteStore::open(&b.data, SqliteOptions::default())?);
    let spec = CommunityBenchSpec {
        members: b.members,
        topics: b.topics,
        posts: b.posts,
        long_topics: b.long_topics,
        long_replies: 200,
        ideas: 1_000,
    };
    let started = Instant::now();
    let topics = b.topics;
    let data = store
        .bench_load_community(spec, move |done| {
            if done % 20_000 == 0 || done == topics {
                eprintln!("  {done} topics");
            }
        })
        .await?;
    println!(
        "data set: {} topics, {} posts, {} topics with 200 replies, {} ideas ({:.1} s to load or find)",
        data.topics,
        data.posts,
        data.long_topics.len(),
        data.ideas.len(),
        started.elapsed().as_secs_f64()
    );
    anyhow::ensure!(!data.long_topics.is_empty(), "the data set has no topic with 200 replies");

    // The app over the same store, on loopback: the page as a browser gets it.
    let engine = Arc::new(firebreak_engine::Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = firebreak_web::AppState::new(engine, crate::bench::bench_config());
    let server = tokio::spawn(async move {
        let _ = firebreak_web::serve(listener, state, std::future::pending()).await;
    });
    let client = reqwest::Client::new();

    let (mut http50, mut http99, mut http_max) = (Vec::new(), Vec::new(), Vec::new());
    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut max = Vec::new();
    let mut rates = Vec::new();
    let mut reports = Vec::new();
    for run in 0..b.runs {
        let s = store.clone();
        let lat = page_latency(&data.long_topics, b.requests, 0xC0FF_EE00 + run as u64, move |t| {
            let s = s.clone();
            async move {
                let page = s.topic_page(None, t).await?.context("a topic of the data set is missing")?;
                anyhow::ensure!(page.posts.len() == 201, "topic {t} has {} posts", page.posts.len());
                Ok(serde_json::to_vec(&page)?.len())
            }
        })
        .await?;
        p50.push(percentile(&lat, 0.5));
        p99.push(percentile(&lat, 0.99));
        max.push(lat.last().copied().unwrap_or(0.0));
        let (c, base) = (client.clone(), url.clone());
        let lat = page_latency(&data.long_topics, b.requests, 0xC0FF_EE00 + run as u64, move |t| {
            let (c, base) = (c.clone(), base.clone());
            async move {
                let resp = c.get(format!("{base}/community/t/{t}")).send().await?;
                anyhow::ensure!(resp.status() == 200, "GET /community/t/{t}: {}", resp.status());
                let html = resp.bytes().await?;
                Ok(html.len())
            }
        })
        .await?;
        http50.push(percentile(&lat, 0.5));
        http99.push(percentile(&lat, 0.99));
        http_max.push(lat.last().copied().unwrap_or(0.0));
        let rate = votes_and_kudos(&store, run, b.actors, b.operations, data.post_ids, &data.ideas).await?;
        rates.push(rate);
        let t = Instant::now();
        let report = store.community_value(ValueConfig::default(), 20).await?;
        reports.push(t.elapsed().as_secs_f64() * 1000.0);
        println!(
            "run {}: topic page (200 replies) over HTTP as HTML p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             store + JSON p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             votes + kudos {:.0}/s from {} actors; value report {:.0} ms ({} solved topics)",
            run + 1,
            http50[run],
            http99[run],
            http_max[run],
            p50[run],
            p99[run],
            max[run],
            rate,
            b.actors,
            reports[run],
            report.solved_topics
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "median of {} runs: topic page over HTTP p50 {:.2} ms, p99 {:.2} ms (target p99 < 20 ms); \
         store + JSON p50 {:.2} ms, p99 {:.2} ms; votes + kudos {:.0}/s (target 5,000/s); value report {:.0} ms",
        b.runs,
        median(http50),
        median(http99),
        median(p50),
        median(p99),
        median(rates),
        median(reports)
    );
    let totals = store.ledger_totals().await?;
    anyhow::ensure!(totals.sum == 0 && totals.unbalanced_transactions == 0, "the ledger does not balance");
    server.abort();
    store.close().await?;
    Ok(())
}
