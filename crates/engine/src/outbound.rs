//! Replies that go out: an agent's reply is checked, queued durably, and
//! delivered by a worker on the channel the customer used.
//!
//! [`Engine::reply`] refuses at once what could never be sent (no text, too
//! long for the channel, a channel or visibility with no transport
//! configured) and queues the rest with the transport's whole request. The
//! worker ([`Engine::deliver_due`], looped by [`Engine::spawn_outbound`])
//! claims due replies (each marked `sending` durably before the attempt),
//! sends each, and records the outcome: sent (the reply's message joins the
//! timeline in the same commit, under the platform's id, so the platform's
//! echo of it is a re-delivery, not a second message), retried with backoff
//! after a transient failure, or failed. An attempt cut short by a crash is
//! `unknown` at the next start and is never sent again by itself: nothing is
//! sent twice.

use std::{sync::Arc, time::Duration};

use firebreak_channels::outbound::{
    EmailThreading, OutboundReply, ReplyTransport, SendError, Visibility, check as check_reply,
};
use firebreak_domain::{
    Author, CaseId, Channel, Direction, DisplayName, Email, ExternalId, MessageText, NewMessage, PlatformUserId,
};
use firebreak_store::{NewOutbound, OutboundJob, ReplyDelivery, StoreError};
use tokio::sync::watch;

use crate::{Engine, EngineError, invalid};

/// Attempts before a reply that keeps failing transiently is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait before attempt `n + 1` after `n` transient failures: 2 s, 4 s,
/// 8 s ... up to 10 minutes, or what the platform asked for if longer.
pub fn backoff(attempts: i64, asked: Option<Duration>) -> Duration {
    let ours = Duration::from_secs(2u64.saturating_pow(attempts.clamp(1, 20) as u32).min(600));
    asked.map_or(ours, |a| a.max(ours))
}

/// An agent's reply as the engine takes it.
#[derive(Debug, Clone)]
pub struct ReplyRequest {
    pub text: String,
    pub visibility: Visibility,
    /// Who sends it (shown on the case and in the audit of deliveries).
    pub by: String,
    /// The form's key: the same key again is the same reply, never a second.
    pub idempotency_key: Option<String>,
}

fn send_problem(e: &SendError) -> EngineError {
    invalid(if e.code().starts_with("reply_") { "text" } else { "channel" }, e.code(), e.to_string())
}

impl Engine {
    /// Uses `transport` to deliver replies (the configured platforms, or a
    /// fake in tests). Without one, every reply is refused at the form.
    pub fn with_transport(mut self, transport: Arc<dyn ReplyTransport>) -> Engine {
        self.transport = Some(transport);
        self
    }

    /// Whether a reply with this visibility can be sent on this channel now;
    /// the error is a sentence for the form.
    pub fn can_reply(&self, channel: Channel, visibility: Visibility) -> Result<(), EngineError> {
        let Some(t) = &self.transport else {
            return Err(invalid(
                "channel",
                "transport_not_configured",
                "no reply transport is configured on this server",
            ));
        };
        t.can_send(channel, visibility).map_err(|e| send_problem(&e))
    }

    /// Checks and queues an agent's reply on the channel of the customer's
    /// latest message in the case, answering that message.
    pub async fn reply(&self, case: CaseId, req: ReplyRequest) -> Result<ReplyDelivery, EngineError> {
        let text = MessageText::parse(req.text.trim_end()).map_err(|e| invalid("text", e.code, e.message))?;
        if text.as_str().trim().is_empty() {
            return Err(invalid("text", "reply_empty", "the reply has no text"));
        }
        let detail = self.store.case(case).await?.ok_or_else(|| StoreError::NotFound(format!("case {case}")))?;
        let answered = detail
            .timeline
            .iter()
            .rev()
            .find(|m| m.message.direction == Direction::In)
            .ok_or_else(|| invalid("case", "nothing_to_answer", "the case has no message from the customer"))?;
        let channel = answered.message.channel;
        check_reply(channel, req.visibility, text.as_str()).map_err(|e| send_problem(&SendError::from(e)))?;
        self.can_reply(channel, req.visibility)?;
        let m = &answered.message;
        let email = if channel == Channel::Email {
            let to = Email::parse(m.author.id.as_str())
                .map_err(|_| invalid("case", "no_address", "the customer's email address is not known"))?;
            let mut references: Vec<String> = Vec::new();
            if let Some(t) = &m.thread_id
                && t.as_str() != m.external_id.as_str()
            {
                references.push(t.as_str().to_owned());
            }
            Some(EmailThreading {
                subject: detail.case.subject.clone(),
                to,
                to_name: m.author.name.as_ref().map(|n| n.as_str().to_owned()),
                from: None,
                from_name: None,
                references,
                new_thread: false,
            })
        } else {
            None
        };
        let key = match req.idempotency_key.filter(|k| !k.trim().is_empty()) {
            Some(k) if k.len() <= 200 => format!("form:{k}"),
            Some(_) => return Err(invalid("idempotency_key", "too_long", "the key is at most 200 characters")),
            None => format!("reply:{}:{}", case.0, crate::staff::random_token(12)?),
        };
        let request = OutboundReply {
            channel,
            visibility: req.visibility,
            text: text.as_str().to_owned(),
            in_reply_to: Some(m.external_id.clone()),
            recipient: Some(m.author.id.clone()),
            email,
            idempotency_key: key.clone(),
        };
        let queued = self
            .store
            .enqueue_reply(NewOutbound {
                case,
                channel,
                visibility: req.visibility.as_str().to_owned(),
                text: request.text.clone(),
                request: serde_json::to_string(&request).map_err(|e| EngineError::Internal(e.to_string()))?,
                idempotency_key: key,
                created_by: req.by,
            })
            .await?;
        self.notify_changed();
        self.outbound_wake.notify_one();
        Ok(queued)
    }

    /// One pass of the worker: claims the replies due now and attempts
    /// each once. Returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize, EngineError> {
        let Some(transport) = self.transport.clone() else { return Ok(0) };
        let jobs = self.store.claim_replies(20).await?;
        let n = jobs.len();
        for job in jobs {
            self.attempt(transport.as_ref(), job).await?;
        }
        if n > 0 {
            self.notify_changed();
        }
        Ok(n)
    }

    async fn attempt(&self, transport: &dyn ReplyTransport, job: OutboundJob) -> Result<(), EngineError> {
        let id = job.delivery.id;
        let request: OutboundReply = match serde_json::from_str(&job.request) {
            Ok(r) => r,
            Err(e) => {
                self.store.reply_failed(id, format!("the queued request cannot be read: {e}"), None).await?;
                return Ok(());
            }
        };
        match transport.send(&request).await {
            Ok(delivered) => {
                let message = self.sent_message(&job.delivery, &request, delivered.external_id.clone());
                self.store.reply_sent(id, delivered.external_id.as_str().to_owned(), message).await?;
                tracing::info!(reply = id, case = %job.delivery.case_id, "reply sent");
            }
            Err(e) if e.is_transient() && job.delivery.attempts < MAX_ATTEMPTS => {
                let wait = backoff(job.delivery.attempts, e.retry_after());
                let at = self.clock.now().plus_millis(wait.as_millis() as i64);
                tracing::warn!(reply = id, error = %e, retry_in = ?wait, "reply attempt failed; will retry");
                self.store.reply_failed(id, e.to_string(), Some(at)).await?;
            }
            Err(e) => {
                tracing::warn!(reply = id, error = %e, "reply failed");
                self.store.reply_failed(id, e.to_string(), None).await?;
            }
        }
        Ok(())
    }

    /// The timeline's record of a sent reply: an outbound message under the
    /// platform's id, dated when the agent sent it.
    fn sent_message(&self, d: &ReplyDelivery, r: &OutboundReply, external_id: ExternalId) -> NewMessage {
        let mut author = Author::new(PlatformUserId::parse(format!("firebreak:{}", r.channel)).expect("a valid id"));
        author.name = DisplayName::clean(&d.created_by);
        NewMessage {
            channel: r.channel,
            external_id,
            direction: Direction::Out,
            author,
            text: MessageText::clamp(&r.text).0,
            language: None,
            created_at: d.created_at,
            in_reply_to: r.in_reply_to.clone(),
            thread_id: None,
            metrics: None,
            raw: None,
            triage: None,
        }
    }

    /// Delivers replies until `stop` turns true: at start, attempts cut
    /// short by the last stop become `unknown`; then a pass whenever a reply
    /// is queued, and every second for retries that come due.
    pub fn spawn_outbound(self: &Arc<Self>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            match engine.store.recover_replies().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(replies = n, "replies whose attempt was cut short are marked unknown"),
                Err(e) => tracing::error!(error = %e, "cannot check for interrupted replies"),
            }
            match engine.store.recover_notices().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(notices = n, "incident notices whose attempt was cut short are marked unknown"),
                Err(e) => tracing::error!(error = %e, "cannot check for interrupted notices"),
            }
            loop {
                // Replies to people waiting come before proactive notices.
                match engine.deliver_due().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the reply worker failed; it will try again"),
                }
                match engine.deliver_notices_due().await {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "the notice worker failed; it will try again"),
                }
                tokio::select! {
                    _ = engine.outbound_wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_minutes_and_honours_a_longer_retry_after() {
        assert_eq!(backoff(1, None), Duration::from_secs(2));
        assert_eq!(backoff(3, None), Duration::from_secs(8));
        assert_eq!(backoff(30, None), Duration::from_secs(600));
        assert_eq!(backoff(1, Some(Duration::from_secs(60))), Duration::from_secs(60));
        assert_eq!(backoff(5, Some(Duration::from_secs(1))), Duration::from_secs(32));
    }
}
