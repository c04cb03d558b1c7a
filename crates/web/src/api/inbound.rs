//! `POST /api/v1/inbound/email`: one raw RFC 5322 message, as a mail relay
//! or a forwarding rule delivers it.

use axum::{
    Json,
    extract::{State, rejection::BytesRejection},
};
use bytes::Bytes;
use firebreak_channels::email;
use firebreak_store::IngestOutcome;

use crate::{AppState, Code, Problem, body, webhooks::engine_problem};

pub async fn email(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<IngestOutcome>, Problem> {
    let body = body::bytes(body)?;
    let message = email::parse_rfc5322(&body, firebreak_domain::Timestamp::now())
        .map_err(|e| Problem::new(Code::InvalidEmail, format!("{e}.")))?;
    let out = state.engine().ingest(vec![message]).await.map_err(engine_problem)?;
    state.metrics().webhook_messages.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    out.into_iter().next().map(Json).ok_or_else(|| Problem::internal("the store answered an empty batch"))
}
