//! Polling RSS/Atom feeds (blogs, news) over HTTP. The poller asks
//! politely: it sends `If-None-Match` / `If-Modified-Since` from the last
//! answer, so an unchanged feed costs a 304. Each poll parses the feed and
//! ingests its entries; re-delivered entries are recognised as duplicates by
//! the store, so polling is idempotent.
//!
//! It lives in the binary because this is the only crate with an HTTP client
//! today; it moves into `channels` with the outbound transports.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, bail};
use firebreak_domain::Timestamp;
use firebreak_engine::Engine;
use reqwest::{StatusCode, header};

/// The validators of the last answer, for a conditional request.
#[derive(Debug, Clone, Default)]
pub struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

pub struct Fetched {
    pub body: Vec<u8>,
    pub validators: Validators,
}

/// The largest feed document read.
const MAX_FEED_BYTES: usize = 16 * 1024 * 1024;

/// GETs `url`; `Ok(None)` when the server says the feed has not changed.
pub async fn fetch(client: &reqwest::Client, url: &str, since: Option<&Validators>) -> anyhow::Result<Option<Fetched>> {
    let mut req = client.get(url).header(header::USER_AGENT, concat!("firebreak/", env!("CARGO_PKG_VERSION")));
    if let Some(v) = since {
        if let Some(e) = &v.etag {
            req = req.header(header::IF_NONE_MATCH, e);
        }
        if let Some(m) = &v.last_modified {
            req = req.header(header::IF_MODIFIED_SINCE, m);
        }
    }
    let resp = req.timeout(Duration::from_secs(30)).send().await.with_context(|| format!("cannot fetch {url}"))?;
    if resp.status() == StatusCode::NOT_MODIFIED {
        return Ok(None);
    }
    if !resp.status().is_success() {
        bail!("{url} answered {}", resp.status());
    }
    let header_text = |h| resp.headers().get(h).and_then(|v: &header::HeaderValue| v.to_str().ok()).map(str::to_owned);
    let validators = Validators { etag: header_text(header::ETAG), last_modified: header_text(header::LAST_MODIFIED) };
    let body = resp.bytes().await.with_context(|| format!("cannot read {url}"))?;
    if body.len() > MAX_FEED_BYTES {
        bail!("{url} is over {MAX_FEED_BYTES} bytes");
    }
    Ok(Some(Fetched { body: body.to_vec(), validators }))
}

/// Polls one feed once; returns how many new entries were stored.
pub async fn poll_once(
    engine: &Engine,
    client: &reqwest::Client,
    url: &str,
    validators: &mut Validators,
) -> anyhow::Result<usize> {
    let Some(fetched) = fetch(client, url, Some(validators)).await? else {
        return Ok(0);
    };
    let messages = firebreak_channels::feed::parse_feed(&fetched.body, url, Timestamp::now())
        .with_context(|| format!("{url} cannot be read as a feed"))?;
    let out = engine.ingest(messages).await?;
    *validators = fetched.validators;
    Ok(out.iter().filter(|o| !o.duplicate).count())
}

/// Polls `url` every `every` until `stop` turns true. Failures are logged and
/// retried at the next tick.
pub async fn poll_forever(
    engine: Arc<Engine>,
    url: String,
    every: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let client = reqwest::Client::new();
    let mut validators = Validators::default();
    loop {
        match poll_once(&engine, &client, &url, &mut validators).await {
            Ok(n) => tracing::info!(feed = %url, new = n, "polled feed"),
            Err(e) => tracing::warn!(feed = %url, error = %format!("{e:#}"), "feed poll failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}
