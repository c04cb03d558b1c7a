//! The platforms' webhooks: X's Account Activity API (`/webhooks/x`) and
//! Meta's Page webhooks (`/webhooks/meta`). Each checks its signature over
//! the raw body before reading it, refuses when no secret is configured, and
//! answers only after the messages are durable, so that a platform retries
//! whatever we did not acknowledge.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, State, rejection::BytesRejection},
    http::HeaderMap,
};
use bytes::Bytes;
use firebreak_channels::{ParseError, SignatureError, meta, x};
use firebreak_domain::NewMessage;
use firebreak_engine::EngineError;
use firebreak_store::IngestOutcome;
use serde_json::json;

use crate::{AppState, Code, FieldProblem, Problem, api::messages::Items, body};

fn signature_problem(e: SignatureError) -> Problem {
    match e {
        SignatureError::NoSecret => {
            Problem::new(Code::WebhookNotConfigured, "No secret is configured for this webhook, so it is refused.")
        }
        SignatureError::MissingHeader => Problem::new(Code::SignatureMissing, "The signature header is missing."),
        other => Problem::new(Code::SignatureInvalid, format!("{other}.")).with_errors(vec![FieldProblem {
            index: None,
            field: "signature".into(),
            code: other.code().into(),
            message: other.to_string(),
        }]),
    }
}

fn parse_problem(e: ParseError) -> Problem {
    match &e {
        ParseError::InvalidUtf8 { .. } => Problem::new(Code::InvalidUtf8, format!("{e}.")),
        ParseError::MalformedJson { .. } => Problem::new(Code::InvalidJson, format!("{e}.")),
        ParseError::InvalidField { field, code, message } => {
            Problem::new(Code::ValidationFailed, format!("{e}; nothing was stored.")).with_errors(vec![FieldProblem {
                index: None,
                field: field.clone(),
                code: (*code).into(),
                message: message.clone(),
            }])
        }
        _ => Problem::new(Code::ValidationFailed, format!("{e}; nothing was stored.")),
    }
}

pub fn engine_problem(e: EngineError) -> Problem {
    match e {
        EngineError::Store(s) => crate::api::messages::store_problem(s),
        EngineError::Invalid { field, code, message } => crate::api::messages::field_problem(&field, code, &message),
        EngineError::Internal(cause) => Problem::internal(cause),
    }
}

fn secret(s: &Option<String>) -> &[u8] {
    s.as_deref().unwrap_or("").as_bytes()
}

async fn accept(state: &AppState, messages: Vec<NewMessage>) -> Result<Json<Items<IngestOutcome>>, Problem> {
    let n = messages.len() as u64;
    let items = state.engine().ingest(messages).await.map_err(engine_problem)?;
    state.metrics().webhook_messages.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    Ok(Json(Items { items }))
}

/// `GET /webhooks/x?crc_token=...`: the challenge-response check X makes when
/// a webhook is registered and every hour after.
pub async fn x_crc(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, Problem> {
    let token = q.get("crc_token").ok_or_else(|| {
        Problem::new(Code::InvalidParameter, "`crc_token` is required.").with_errors(vec![FieldProblem {
            index: None,
            field: "crc_token".into(),
            code: "missing".into(),
            message: "`crc_token` is required".into(),
        }])
    })?;
    let response_token =
        x::crc_response_token(secret(&state.config().x_consumer_secret), token).map_err(signature_problem)?;
    Ok(Json(json!({ "response_token": response_token })))
}

/// `POST /webhooks/x`: Account Activity events.
pub async fn x_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Items<IngestOutcome>>, Problem> {
    let body = body::bytes(body)?;
    let sig = headers.get(x::SIGNATURE_HEADER).map(|v| v.to_str().unwrap_or(""));
    x::verify_signature(secret(&state.config().x_consumer_secret), &body, sig).map_err(signature_problem)?;
    let messages = x::parse_account_activity(&body).map_err(parse_problem)?;
    accept(&state, messages).await
}

/// `GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`.
pub async fn meta_verify(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<String, Problem> {
    let expected = state.config().meta_verify_token.as_deref().unwrap_or("");
    let get = |k: &str| q.get(k).map(String::as_str);
    meta::verify_subscription(get("hub.mode"), get("hub.verify_token"), get("hub.challenge"), expected).map_err(|e| {
        match e {
            meta::SubscriptionError::NotConfigured => {
                Problem::new(Code::WebhookNotConfigured, "No verify token is configured for this webhook.")
            }
            other => Problem::new(Code::VerifyTokenMismatch, format!("{other}.")).with_errors(vec![FieldProblem {
                index: None,
                field: "hub.verify_token".into(),
                code: other.code().into(),
                message: other.to_string(),
            }]),
        }
    })
}

/// `POST /webhooks/meta`: Page feed changes and Messenger messages.
pub async fn meta_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Items<IngestOutcome>>, Problem> {
    let body = body::bytes(body)?;
    let sig = headers.get(meta::SIGNATURE_HEADER).map(|v| v.to_str().unwrap_or(""));
    meta::verify_signature(secret(&state.config().meta_app_secret), &body, sig).map_err(signature_problem)?;
    let messages = meta::parse_webhook(&body).map_err(parse_problem)?;
    accept(&state, messages).await
}
