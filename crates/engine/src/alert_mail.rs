//! Alerts by email: every `alert.*` event of the live log, mailed to the
//! configured addresses through the reply transports (SMTP), one message per
//! alert with its summary and the link to its evidence.
//!
//! Like the outgoing webhooks, it follows the event log with a stored
//! cursor (`mailto:` and the addresses), so a restart resumes where it
//! stopped and an alert is mailed at least once; a failed send is retried
//! with backoff (5 s doubling to 10 min) and holds back later alerts.

use std::{sync::Arc, time::Duration};

use firebreak_channels::outbound::{EmailThreading, OutboundReply, Visibility};
use firebreak_domain::{Channel, Email};
use firebreak_store::EventRecord;
use tokio::sync::watch;

use crate::{
    Engine,
    webhooks::{chat_text, follow_events},
};

/// Where alert emails go.
#[derive(Debug, Clone)]
pub struct AlertMail {
    pub to: Vec<Email>,
    /// Where Firebreak's pages are, for the link to the evidence.
    pub base_url: Option<String>,
}

impl AlertMail {
    fn cursor_key(&self) -> String {
        let to: Vec<&str> = self.to.iter().map(Email::as_str).collect();
        format!("mailto:{}", to.join(","))
    }

    /// The message for one alert event to one address.
    pub fn message(&self, event: &EventRecord, to: &Email) -> OutboundReply {
        let summary = event.payload["summary"].as_str().unwrap_or(event.kind.as_str());
        let base = self.base_url.as_deref().unwrap_or("").trim_end_matches('/');
        let link = event.payload["link"].as_str().map(|l| format!("{base}{l}")).unwrap_or_default();
        let mut subject: String = format!("[Firebreak alert] {summary}").chars().take(150).collect();
        subject.retain(|c| !c.is_control());
        OutboundReply {
            channel: Channel::Email,
            visibility: Visibility::Private,
            text: format!("{}\n\nEvidence: {link}\n", chat_text(event, self.base_url.as_deref())),
            in_reply_to: None,
            recipient: None,
            email: Some(EmailThreading {
                subject,
                to: to.clone(),
                to_name: None,
                from: None,
                from_name: None,
                references: Vec::new(),
                new_thread: true,
            }),
            idempotency_key: format!("alert-{}-{}", event.id, to.as_str()),
        }
    }
}

impl Engine {
    /// Mails every alert to `mail.to` until `stop` turns true. Needs a
    /// transport that can send email (`[outbound.smtp]`).
    pub fn spawn_alert_mail(
        self: &Arc<Self>,
        mail: AlertMail,
        stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(run(self.clone(), mail, stop))
    }
}

async fn run(engine: Arc<Engine>, mail: AlertMail, stop: watch::Receiver<bool>) {
    let key = mail.cursor_key();
    let transport = engine.transport.clone();
    let backoff = (Duration::from_secs(5), Duration::from_secs(600));
    follow_events(engine, key, backoff, stop, |event| {
        let (mail, transport) = (&mail, transport.clone());
        async move {
            if !event.kind.starts_with("alert.") {
                return Ok(());
            }
            let transport = transport.ok_or("alerts by email need [outbound.smtp]; none is configured")?;
            for to in &mail.to {
                transport.send(&mail.message(&event, to)).await.map_err(|e| format!("to {}: {e}", to.as_str()))?;
            }
            Ok(())
        }
    })
    .await
}
