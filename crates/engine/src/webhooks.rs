//! Outgoing webhooks: every event of the live log (case created and updated,
//! SLA warnings and breaches, promises falling due...) POSTed as JSON to the
//! endpoints a team configures, signed with HMAC-SHA256 so the receiver can
//! tell it is from us.
//!
//! A target in the Slack format receives `{"text": "..."}`, the body Slack's
//! (and Mattermost's, Rocket.Chat's, Teams' workflow) incoming webhooks take:
//! an alert's one-line summary and the link to its evidence, or the event's
//! kind and case.
//!
//! Delivery is at least once and in order per endpoint: the endpoint's
//! cursor (the last event it acknowledged with a 2xx) is stored, so a restart
//! resumes where it stopped; a failure is retried with exponential backoff
//! (1 s doubling to 5 min) and holds back later events. A receiver can
//! de-duplicate on the `X-Firebreak-Delivery` header (the event id).

use std::{sync::Arc, time::Duration};

use firebreak_store::EventRecord;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::watch;

use crate::Engine;

/// The header with the signature: `sha256=` and the hex HMAC of the body.
pub const SIGNATURE_HEADER: &str = "x-firebreak-signature";

/// One configured endpoint.
#[derive(Debug, Clone, Default)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
    /// Event kinds to send, by prefix (`case.`, `sla.breach`); empty sends all.
    pub events: Vec<String>,
    pub format: WebhookFormat,
    /// Where Firebreak's pages are (`https://care.example.com`), so links in
    /// a chat message open; links are relative without it.
    pub base_url: Option<String>,
}

/// The body an endpoint receives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WebhookFormat {
    /// The event as JSON (`id`, `at`, `kind`, `case_id`, `payload`), signed.
    #[default]
    Firebreak,
    /// `{"text": "..."}` for chat incoming webhooks (Slack and alike).
    Slack,
}

/// The `text` of a chat message for an event.
pub fn chat_text(event: &EventRecord, base_url: Option<&str>) -> String {
    let base = base_url.unwrap_or("").trim_end_matches('/');
    let p = &event.payload;
    match (p["summary"].as_str(), p["link"].as_str()) {
        (Some(summary), Some(link)) => format!(":rotating_light: {summary} <{base}{link}|evidence>"),
        (Some(summary), None) => summary.to_string(),
        _ => match event.case_id {
            Some(case) => format!("{} on case {} <{base}/cases/{}|open>", event.kind, case.0, case.0),
            None => event.kind.clone(),
        },
    }
}

impl WebhookTarget {
    fn wants(&self, kind: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|p| kind.starts_with(p.as_str()))
    }
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// Delivers one event; `Ok` when the endpoint answered 2xx.
async fn deliver(client: &reqwest::Client, target: &WebhookTarget, event: &EventRecord) -> Result<(), String> {
    let body = match target.format {
        WebhookFormat::Firebreak => serde_json::to_vec(event),
        WebhookFormat::Slack => serde_json::to_vec(&serde_json::json!({
            "text": chat_text(event, target.base_url.as_deref())
        })),
    }
    .map_err(|e| e.to_string())?;
    let resp = client
        .post(&target.url)
        .header("content-type", "application/json")
        .header("x-firebreak-event", event.kind.as_str())
        .header("x-firebreak-delivery", event.id.to_string())
        .header(SIGNATURE_HEADER, sign(target.secret.as_bytes(), &body))
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status().is_success() { Ok(()) } else { Err(format!("the endpoint answered {}", resp.status())) }
}

/// Sends the event log to `target` until `stop` turns true.
pub async fn run(engine: Arc<Engine>, target: WebhookTarget, stop: watch::Receiver<bool>) {
    let client = reqwest::Client::new();
    let key = target.url.clone();
    let backoff = (Duration::from_secs(1), Duration::from_secs(300));
    follow_events(engine, key, backoff, stop, |event| {
        let (client, target) = (&client, &target);
        async move { if target.wants(&event.kind) { deliver(client, target, &event).await } else { Ok(()) } }
    })
    .await
}

/// Follows the event log from the cursor stored under `key` (from now, for a
/// new key) until `stop` turns true, handing each event to `handle` in
/// order and storing the cursor after each. A failure is retried after a
/// backoff (`backoff.0` doubling to `backoff.1`) and holds back later events,
/// so delivery is at least once and in order. Outgoing webhooks and alert
/// emails both follow the log this way.
pub(crate) async fn follow_events<F, Fut>(
    engine: Arc<Engine>,
    key: String,
    backoff: (Duration, Duration),
    mut stop: watch::Receiver<bool>,
    mut handle: F,
) where
    F: FnMut(EventRecord) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let store = engine.store().clone();
    let mut cursor = match store.webhook_cursor(key.clone()).await {
        Ok(Some(c)) => c,
        _ => {
            let now = store.latest_event_id().await.unwrap_or(0);
            let _ = store.set_webhook_cursor(key.clone(), now).await;
            now
        }
    };
    let mut wait_for = backoff.0;
    loop {
        let changed = engine.changed().clone();
        let notified = changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let batch = store.events_after(cursor, 100).await.unwrap_or_default();
        let mut failed = false;
        for event in &batch {
            if let Err(e) = handle(event.clone()).await {
                tracing::warn!(target = %key, event = event.id, error = %e, retry_in = ?wait_for, "event delivery failed");
                failed = true;
                break;
            }
            cursor = event.id;
            if let Err(e) = store.set_webhook_cursor(key.clone(), cursor).await {
                tracing::warn!(error = %e, "cannot record delivery progress");
            }
            wait_for = backoff.0;
        }
        let pause = if failed {
            let w = wait_for;
            wait_for = (wait_for * 2).min(backoff.1);
            Some(w)
        } else {
            None
        };
        let idle = batch.is_empty();
        let wait = async {
            match pause {
                Some(w) => tokio::time::sleep(w).await,
                // Nothing new: wait for a write, or a second (another
                // process may have written).
                None if idle => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
                }
                None => {}
            }
        };
        tokio::select! {
            () = wait => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_an_independent_computation() {
        // python3 -c 'import hmac,hashlib; print(hmac.new(b"s3cret", b"{\"id\":1}", hashlib.sha256).hexdigest())'
        assert_eq!(
            sign(b"s3cret", br#"{"id":1}"#),
            "sha256=63ddab34da5838e383545e9c90b40f74a4e3daabc5dd9a8d49a51875ad4b2418"
        );
    }
}
