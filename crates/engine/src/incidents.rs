//! Incidents in the engine: what people type is checked here (an incident
//! needs a key or an area, an ETA lies ahead, a credit is more than nothing,
//! a template names only known variables) before the store is asked, so a
//! refusal changes nothing; outreach is rendered per channel and queued by
//! the store in one job; queued notices are delivered by
//! [`Engine::deliver_notices_due`] with the reply transport and the reply
//! worker's retry rules; a bulk reply answers every linked case once, through
//! [`Engine::reply`]'s queue.

use std::collections::BTreeMap;

use firebreak_channels::outbound::{EmailThreading, OutboundReply, ReplyTransport, Visibility, check as check_reply};
use firebreak_domain::{
    CaseId, Channel, Email, PlatformUserId, Timestamp,
    incident::{IncidentStatus, Key},
};
use firebreak_store::{
    CreditReport, Incident, IncidentChange, IncidentDetail, IncidentNote, NewCredits, NewIncident, Notice, NoticeKind,
    NoticeTemplate, Outreach, OutreachReport, StoreError,
};
use serde::Serialize;

use crate::{
    Engine, EngineError, invalid,
    outbound::{MAX_ATTEMPTS, ReplyRequest, backoff},
};

/// The variables a template may name, as `{{name}}`.
pub const TEMPLATE_VARIABLES: [&str; 4] = ["customer_name", "eta", "incident_title", "status_url"];

/// The channels a notice can go out on: a private message to someone who
/// never wrote to us needs an address (email) or a platform id (an X direct
/// message, a Messenger message).
pub const NOTICE_CHANNELS: [Channel; 3] = [Channel::Email, Channel::X, Channel::Facebook];

/// Checks that `text` names only known variables; `field` is named in the
/// refusal.
pub fn check_template(field: &str, text: &str) -> Result<(), EngineError> {
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        let after = &rest[at + 2..];
        let Some(end) = after.find("}}") else {
            return Err(invalid(field, "template_unclosed", "a `{{` is not closed by `}}`"));
        };
        let name = after[..end].trim();
        if !TEMPLATE_VARIABLES.contains(&name) {
            return Err(invalid(
                field,
                "unknown_template_variable",
                format!(
                    "`{{{{{}}}}}` is not a variable; use {}",
                    name.chars().take(40).collect::<String>(),
                    TEMPLATE_VARIABLES.map(|v| format!("{{{{{v}}}}}")).join(", ")
                ),
            ));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

/// Fills the variables in `text`, except those not in `values` (left as
/// they are, for the store to fill per customer).
pub fn render(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match values.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None if name == "customer_name" => out.push_str("{{customer_name}}"),
                    None => out.push_str(&rest[at..at + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An incident as a person describes it.
#[derive(Debug, Clone, Default)]
pub struct IncidentDraft {
    pub title: String,
    pub status: Option<String>,
    /// `brand=united|topic=cancellation`, ...
    pub keys: Vec<String>,
    pub areas: Vec<String>,
    pub products: Vec<String>,
    pub services: Vec<String>,
    pub public: bool,
    pub eta: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub by: String,
}

/// Changes a person asks for; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct IncidentPatch {
    pub title: Option<String>,
    pub status: Option<String>,
    /// `Some(None)` clears the ETA.
    pub eta: Option<Option<Timestamp>>,
    pub keys: Option<Vec<String>>,
    pub areas: Option<Vec<String>>,
    pub products: Option<Vec<String>>,
    pub services: Option<Vec<String>>,
    pub public: Option<bool>,
    pub by: String,
}

/// Templates of a notice on one channel, as typed.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    pub subject: Option<String>,
    pub text: String,
}

/// An outreach (or follow-up) as asked: per-channel templates (the defaults
/// where a channel has none), and the status page's address.
#[derive(Debug, Clone, Default)]
pub struct OutreachRequest {
    pub templates: BTreeMap<String, TemplateInput>,
    pub status_url: String,
    pub by: String,
}

/// A bulk reply: the text per channel (`default` for the others).
#[derive(Debug, Clone, Default)]
pub struct BulkReplyRequest {
    pub templates: BTreeMap<String, String>,
    pub status_url: String,
    pub by: String,
}

/// What happened to one linked case in a bulk reply.
#[derive(Debug, Clone, Serialize)]
pub struct BulkReplyItem {
    pub case_id: CaseId,
    pub channel: Option<Channel>,
    /// The queued reply (the same one again when the bulk reply is repeated).
    pub reply_id: Option<i64>,
    pub status: Option<String>,
    /// Why it was not queued.
    pub code: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BulkReplyReport {
    pub items: Vec<BulkReplyItem>,
}

fn clean_title(field: &str, t: &str) -> Result<String, EngineError> {
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.is_empty() {
        return Err(invalid(field, "title_required", "the incident needs a title"));
    }
    if t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(invalid(field, "title_too_long", "a title is at most 200 characters, on one line"));
    }
    Ok(t)
}

fn parse_status(s: &str) -> Result<IncidentStatus, EngineError> {
    IncidentStatus::parse(s.trim()).ok_or_else(|| {
        invalid("status", "invalid_status", "the status is investigating, identified, monitoring or resolved")
    })
}

fn parse_keys(keys: &[String]) -> Result<Vec<Key>, EngineError> {
    let mut out: Vec<Key> = Vec::new();
    for k in keys.iter().filter(|k| !k.trim().is_empty()) {
        let key = Key::parse(k.trim()).map_err(|e| invalid("keys", e.code, e.message))?;
        if !out.contains(&key) {
            out.push(key);
        }
    }
    Ok(out)
}

fn parse_areas(areas: &[String]) -> Result<Vec<String>, EngineError> {
    let mut out: Vec<String> = Vec::new();
    for a in areas {
        let v = a.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase();
        if v.is_empty() {
            continue;
        }
        if v.len() > 64 || v.chars().any(|c| c.is_control() || c == '|' || c == '=') {
            return Err(invalid(
                "areas",
                "invalid_area",
                format!("`{}` is not a postal area", v.chars().take(40).collect::<String>()),
            ));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn parse_products(field: &str, products: &[String]) -> Result<Vec<String>, EngineError> {
    let mut out: Vec<String> = Vec::new();
    for p in products {
        let v = p.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if v.is_empty() {
            continue;
        }
        if v.len() > 100 || v.chars().any(char::is_control) {
            return Err(invalid(field, "invalid_product", "a product or service name is 1 to 100 characters"));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

fn no_keys() -> EngineError {
    invalid(
        "keys",
        "no_keys_or_areas",
        "an incident needs at least one key (such as `area=SW1A` or `brand=united|topic=outage`) or one area",
    )
}

/// The ETA as customers read it.
pub fn eta_text(eta: Option<Timestamp>) -> String {
    match eta {
        Some(t) => {
            let s = t.to_rfc3339();
            format!("{} UTC", s.get(..16).map(|x| x.replace('T', " ")).unwrap_or(s))
        }
        None => "as soon as we can".into(),
    }
}

fn default_template(kind: NoticeKind, channel: Channel) -> TemplateInput {
    let (subject, text) = match (kind, channel) {
        (NoticeKind::Notice, Channel::Email) => (
            Some("{{incident_title}}"),
            "Hello {{customer_name}},\n\nWe know about a problem that affects you: {{incident_title}}. \
             We expect it to be fixed by {{eta}}; you do not need to contact us. \
             Follow our progress at {{status_url}}.\n\nWe are sorry for the trouble.",
        ),
        (NoticeKind::Notice, _) => (
            None,
            "Hello {{customer_name}}, we know about a problem that affects you: {{incident_title}}. \
             We expect it fixed by {{eta}}. Updates: {{status_url}}",
        ),
        (NoticeKind::FollowUp, Channel::Email) => (
            Some("Resolved: {{incident_title}}"),
            "Hello {{customer_name}},\n\nThe problem we told you about ({{incident_title}}) is fixed. \
             If anything still does not work, reply to this message.\n\nThank you for your patience.",
        ),
        (NoticeKind::FollowUp, _) => (
            None,
            "Hello {{customer_name}}, the problem we told you about ({{incident_title}}) is fixed. \
             If anything still does not work, tell us here.",
        ),
    };
    TemplateInput { subject: subject.map(str::to_owned), text: text.to_owned() }
}

impl Engine {
    /// Checks and creates an incident; answers it with its details.
    pub async fn create_incident(&self, d: IncidentDraft) -> Result<IncidentDetail, EngineError> {
        let title = clean_title("title", &d.title)?;
        let status = d.status.as_deref().map(parse_status).transpose()?.unwrap_or(IncidentStatus::Investigating);
        let keys = parse_keys(&d.keys)?;
        let areas = parse_areas(&d.areas)?;
        let products = parse_products("products", &d.products)?;
        let services = parse_products("services", &d.services)?;
        if keys.is_empty() && areas.is_empty() {
            return Err(no_keys());
        }
        let now = self.clock.now();
        if let Some(eta) = d.eta
            && eta <= now
        {
            return Err(invalid("eta", "eta_in_past", "the ETA must be in the future"));
        }
        let id = self
            .store
            .create_incident(NewIncident {
                title,
                status,
                keys,
                areas,
                products,
                services,
                public: d.public,
                eta: d.eta,
                started_at: d.started_at.unwrap_or(now),
                created_by: d.by,
            })
            .await?;
        self.incidents_changed();
        self.notify_changed();
        self.incident_detail(id).await
    }

    async fn incident_detail(&self, id: i64) -> Result<IncidentDetail, EngineError> {
        Ok(self.store.incident(id).await?.ok_or_else(|| StoreError::NotFound(format!("incident {id}")))?)
    }

    /// Checks and applies changes to an incident.
    pub async fn update_incident(&self, id: i64, p: IncidentPatch) -> Result<Incident, EngineError> {
        let before = self.incident_detail(id).await?.incident;
        let change = IncidentChange {
            title: p.title.as_deref().map(|t| clean_title("title", t)).transpose()?,
            status: p.status.as_deref().map(parse_status).transpose()?,
            eta: p.eta,
            keys: p.keys.as_deref().map(parse_keys).transpose()?,
            areas: p.areas.as_deref().map(parse_areas).transpose()?,
            products: p.products.as_deref().map(|x| parse_products("products", x)).transpose()?,
            services: p.services.as_deref().map(|x| parse_products("services", x)).transpose()?,
            public: p.public,
        };
        let keys_empty = change.keys.as_ref().unwrap_or(&before.keys).is_empty();
        let areas_empty = change.areas.as_ref().unwrap_or(&before.areas).is_empty();
        if keys_empty && areas_empty {
            return Err(no_keys());
        }
        if let Some(Some(eta)) = change.eta
            && eta <= self.clock.now()
        {
            return Err(invalid("eta", "eta_in_past", "the ETA must be in the future"));
        }
        let out = self.store.update_incident(id, change, p.by).await?;
        self.incidents_changed();
        self.notify_changed();
        Ok(out)
    }

    /// Adds an update (public ones show on the status page).
    pub async fn add_incident_update(
        &self,
        id: i64,
        public: bool,
        text: &str,
        by: String,
    ) -> Result<IncidentNote, EngineError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(invalid("text", "text_required", "the update has no text"));
        }
        if text.len() > 10_000 {
            return Err(invalid("text", "too_long", "an update is at most 10,000 bytes"));
        }
        let out = self.store.add_incident_update(id, public, text.to_owned(), by).await?;
        self.notify_changed();
        Ok(out)
    }

    /// Opens a candidate as an incident (one click).
    pub async fn open_candidate(&self, id: i64, by: String) -> Result<IncidentDetail, EngineError> {
        let incident = self.store.open_candidate(id, by).await?;
        self.incidents_changed();
        self.notify_changed();
        self.incident_detail(incident.id).await
    }

    /// The per-channel notice templates, checked and with the incident's
    /// values filled in: the channels a notice can be sent on now.
    fn notice_templates(
        &self,
        kind: NoticeKind,
        incident: &Incident,
        req: &OutreachRequest,
    ) -> Result<Vec<NoticeTemplate>, EngineError> {
        for (name, t) in &req.templates {
            let channel = Channel::parse(name).ok().filter(|c| NOTICE_CHANNELS.contains(c)).ok_or_else(|| {
                invalid(
                    &format!("templates.{}", name.chars().take(20).collect::<String>()),
                    "channel_not_supported",
                    "notices go out by email, x (a direct message) or facebook (Messenger)",
                )
            })?;
            check_template(&format!("templates.{channel}.text"), &t.text)?;
            if let Some(s) = &t.subject {
                check_template(&format!("templates.{channel}.subject"), s)?;
            }
        }
        let eta = eta_text(incident.eta);
        let values =
            [("eta", eta.as_str()), ("incident_title", incident.title.as_str()), ("status_url", &req.status_url)];
        let mut out = Vec::new();
        for channel in NOTICE_CHANNELS {
            if self.can_reply(channel, Visibility::Private).is_err() {
                continue; // no transport: those who prefer it are counted as skipped
            }
            let t = req.templates.get(channel.as_str()).cloned().unwrap_or_else(|| default_template(kind, channel));
            let text = render(&t.text, &values);
            if text.trim().is_empty() {
                return Err(invalid(&format!("templates.{channel}.text"), "text_required", "the notice has no text"));
            }
            // The longest name a customer can have must still fit.
            let longest = text.replace("{{customer_name}}", &"n".repeat(64));
            check_reply(channel, Visibility::Private, &longest)
                .map_err(|e| invalid(&format!("templates.{channel}.text"), e.code(), e.to_string()))?;
            let subject = (channel == Channel::Email).then(|| {
                render(t.subject.as_deref().unwrap_or("{{incident_title}}"), &values)
                    .replace(['\r', '\n'], " ")
                    .chars()
                    .take(200)
                    .collect::<String>()
            });
            out.push(NoticeTemplate { channel, subject, text });
        }
        Ok(out)
    }

    /// Queues a notice to every affected customer who consented to proactive
    /// contact, on their preferred channel; run twice, it queues nothing new.
    pub async fn outreach(&self, id: i64, req: OutreachRequest) -> Result<OutreachReport, EngineError> {
        let incident = self.incident_detail(id).await?.incident;
        let templates = self.notice_templates(NoticeKind::Notice, &incident, &req)?;
        let out = self
            .store
            .queue_outreach(id, Outreach { kind: NoticeKind::Notice, templates, fallback_name: "customer".into() })
            .await?;
        self.after_outreach(&out);
        Ok(out)
    }

    /// Tells those notified that the incident is resolved (once each).
    pub async fn follow_up(&self, id: i64, req: OutreachRequest) -> Result<OutreachReport, EngineError> {
        let incident = self.incident_detail(id).await?.incident;
        if incident.status.is_open() {
            return Err(invalid(
                "status",
                "incident_not_resolved",
                "a follow-up is sent once the incident is resolved",
            ));
        }
        let templates = self.notice_templates(NoticeKind::FollowUp, &incident, &req)?;
        let out = self
            .store
            .queue_outreach(id, Outreach { kind: NoticeKind::FollowUp, templates, fallback_name: "customer".into() })
            .await?;
        self.after_outreach(&out);
        Ok(out)
    }

    fn after_outreach(&self, out: &OutreachReport) {
        if out.queued > 0 {
            self.notify_changed();
            self.outbound_wake.notify_one();
        }
    }

    /// Credits every affected customer once.
    pub async fn issue_credits(
        &self,
        id: i64,
        amount_minor: i64,
        currency: &str,
        reason: &str,
        by: String,
    ) -> Result<CreditReport, EngineError> {
        if amount_minor <= 0 {
            return Err(invalid("amount_minor", "amount_not_positive", "a credit is more than zero"));
        }
        let currency = currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid("currency", "invalid_currency", "the currency is an ISO 4217 code such as GBP or USD"));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(invalid("reason", "reason_required", "say why the credit is given (at most 500 bytes)"));
        }
        let out = self
            .store
            .issue_credits(id, NewCredits { amount_minor, currency, reason: reason.to_owned(), created_by: by })
            .await?;
        self.notify_changed();
        Ok(out)
    }

    /// Answers every linked case on its own channel with the template for
    /// that channel (or `default`), once: the key of each reply is the
    /// incident and the case, so a repeated bulk reply queues nothing new.
    pub async fn bulk_reply(&self, id: i64, req: BulkReplyRequest) -> Result<BulkReplyReport, EngineError> {
        let detail = self.incident_detail(id).await?;
        if req.templates.values().all(|t| t.trim().is_empty()) {
            return Err(invalid("templates", "text_required", "give the reply's text for at least one channel"));
        }
        for (name, text) in &req.templates {
            if name != "default" && Channel::parse(name).is_err() {
                return Err(invalid(
                    &format!("templates.{}", name.chars().take(20).collect::<String>()),
                    "unknown_channel",
                    "a template is named by its channel (x, facebook, email...) or `default`",
                ));
            }
            check_template(&format!("templates.{name}"), text)?;
        }
        let eta = eta_text(detail.incident.eta);
        // Every linked case (the detail lists only the latest links).
        let cases = self.store.linked_cases(id).await?;
        let mut items = Vec::new();
        for case in cases {
            let mut item =
                BulkReplyItem { case_id: case, channel: None, reply_id: None, status: None, code: None, message: None };
            let Some(c) = self.store.case(case).await? else { continue };
            let channel = c
                .timeline
                .iter()
                .rev()
                .find(|m| m.message.direction == firebreak_domain::Direction::In)
                .map(|m| m.message.channel);
            item.channel = channel;
            let template = channel
                .and_then(|ch| req.templates.get(ch.as_str()))
                .or_else(|| req.templates.get("default"))
                .filter(|t| !t.trim().is_empty());
            let Some(template) = template else {
                item.code = Some("no_template".into());
                item.message = Some("no template for this channel and no default".into());
                items.push(item);
                continue;
            };
            let name = c.case.customer_name.clone().unwrap_or_else(|| "there".into());
            let text = render(
                template,
                &[
                    ("customer_name", name.as_str()),
                    ("eta", eta.as_str()),
                    ("incident_title", detail.incident.title.as_str()),
                    ("status_url", req.status_url.as_str()),
                ],
            );
            let visibility = if channel == Some(Channel::Email) { Visibility::Private } else { Visibility::Public };
            let reply = ReplyRequest {
                text,
                visibility,
                by: req.by.clone(),
                idempotency_key: Some(format!("incident:{id}:case:{}", case.0)),
            };
            match self.reply(case, reply).await {
                Ok(d) => {
                    item.reply_id = Some(d.id);
                    item.status = Some(d.status.as_str().to_owned());
                }
                Err(EngineError::Invalid { code, message, .. }) => {
                    item.code = Some(code.to_owned());
                    item.message = Some(message);
                }
                Err(e) => return Err(e),
            }
            items.push(item);
        }
        Ok(BulkReplyReport { items })
    }

    /// One pass of the notice worker: claims the notices due now and
    /// attempts each once, with the reply worker's rules (retry with backoff
    /// after a transient failure, up to [`MAX_ATTEMPTS`]; an attempt cut short
    /// by a stop is `unknown` and not sent again). Returns how many were
    /// attempted.
    pub async fn deliver_notices_due(&self) -> Result<usize, EngineError> {
        let Some(transport) = self.transport.clone() else { return Ok(0) };
        let jobs = self.store.claim_notices(50).await?;
        let n = jobs.len();
        for notice in jobs {
            self.attempt_notice(transport.as_ref(), notice).await?;
        }
        if n > 0 {
            self.notify_changed();
        }
        Ok(n)
    }

    async fn attempt_notice(&self, transport: &dyn ReplyTransport, n: Notice) -> Result<(), EngineError> {
        let request = match notice_request(&n) {
            Ok(r) => r,
            Err(e) => {
                self.store.notice_failed(n.id, e, None, None).await?;
                return Ok(());
            }
        };
        let json = serde_json::to_string(&request).map_err(|e| EngineError::Internal(e.to_string()))?;
        match transport.send(&request).await {
            Ok(d) => self.store.notice_sent(n.id, d.external_id.as_str().to_owned(), json).await?,
            Err(e) if e.is_transient() && n.attempts < MAX_ATTEMPTS => {
                let wait = backoff(n.attempts, e.retry_after());
                let at = self.clock.now().plus_millis(wait.as_millis() as i64);
                tracing::warn!(notice = n.id, error = %e, retry_in = ?wait, "notice attempt failed; will retry");
                self.store.notice_failed(n.id, e.to_string(), Some(at), Some(json)).await?;
            }
            Err(e) => {
                tracing::warn!(notice = n.id, error = %e, "notice failed");
                self.store.notice_failed(n.id, e.to_string(), None, Some(json)).await?;
            }
        }
        Ok(())
    }
}

/// The transport's request for a notice: a private message that answers
/// nothing, to the address or platform id on record.
pub fn notice_request(n: &Notice) -> Result<OutboundReply, String> {
    let key = format!("notice:{}", n.id);
    let (recipient, email) = if n.channel == Channel::Email {
        let to = Email::parse(&n.address).map_err(|e| e.message)?;
        let threading = EmailThreading {
            subject: n.subject.clone().unwrap_or_default(),
            to,
            to_name: n.customer_name.clone(),
            from: None,
            from_name: None,
            references: vec![],
            new_thread: true,
        };
        (None, Some(threading))
    } else {
        (Some(PlatformUserId::parse(n.address.clone()).map_err(|e| e.message)?), None)
    };
    Ok(OutboundReply {
        channel: n.channel,
        visibility: Visibility::Private,
        text: n.text.clone(),
        in_reply_to: None,
        recipient,
        email,
        idempotency_key: key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_name_only_known_variables() {
        assert!(check_template("t", "Hi {{customer_name}}, fixed by {{ eta }} ({{status_url}})").is_ok());
        let Err(EngineError::Invalid { field, code, message }) = check_template("templates.email.text", "{{ref}}")
        else {
            panic!("an unknown variable passed")
        };
        assert_eq!((field.as_str(), code), ("templates.email.text", "unknown_template_variable"));
        assert!(message.contains("{{ref}}"), "{message}");
        assert!(check_template("t", "oops {{eta").is_err());
    }

    #[test]
    fn rendering_leaves_the_customer_name_for_later() {
        let out = render(
            "Hi {{customer_name}}, by {{eta}}: {{incident_title}}",
            &[("eta", "10:00"), ("incident_title", "Outage")],
        );
        assert_eq!(out, "Hi {{customer_name}}, by 10:00: Outage");
        assert_eq!(render("{{ eta }}!", &[("eta", "soon")]), "soon!");
    }
}
