//! `POST /api/v1/messages` (ingest a batch), `GET /api/v1/messages` (list),
//! `GET /api/v1/messages/{id}` and `GET /api/v1/search`.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State, rejection::BytesRejection, rejection::QueryRejection},
    http::HeaderMap,
};
use bytes::Bytes;
use firebreak_channels::normalised::{self, BatchError};
use firebreak_domain::{
    MessageId, StoredMessage,
    judgement::{EntityKind, Intent, Sentiment},
};
use firebreak_store::{Cursor, IngestOutcome, MessageQuery, SearchHit, SearchQuery};
use serde::Serialize;

use super::params::{Params, invalid};
use crate::{AppState, Code, FieldProblem, Problem, body, webhooks::engine_problem};

#[derive(Serialize)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// Ingests a batch of normalised messages, all or nothing, answering after
/// the commit.
pub async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Items<IngestOutcome>>, Problem> {
    body::require_json(&headers)?;
    let body = body::bytes(body)?;
    let batch = normalised::parse_batch(&body).map_err(batch_problem)?;
    state.metrics().api_batch_messages.observe(batch.len() as f64);
    let items = state.engine().ingest(batch).await.map_err(engine_problem)?;
    Ok(Json(Items { items }))
}

fn batch_problem(e: BatchError) -> Problem {
    match e {
        BatchError::InvalidUtf8 { .. } => Problem::new(Code::InvalidUtf8, format!("{e}.")),
        BatchError::MalformedJson { .. } => Problem::new(Code::InvalidJson, format!("{e}.")),
        BatchError::NotAnArray => Problem::new(Code::ValidationFailed, format!("{e}.")),
        BatchError::TooManyItems { .. } => Problem::new(Code::TooManyItems, format!("{e}.")),
        BatchError::InvalidItems { ref errors } => {
            let list = errors
                .iter()
                .map(|i| FieldProblem {
                    index: Some(i.index),
                    field: i.field.clone(),
                    code: i.code.to_owned(),
                    message: i.message.clone(),
                })
                .collect();
            Problem::new(Code::ValidationFailed, format!("{e}; nothing was stored.")).with_errors(list)
        }
    }
}

#[derive(Serialize)]
pub struct Page {
    items: Vec<StoredMessage>,
    next_cursor: Option<String>,
}

/// Lists messages newest first.
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Page>, Problem> {
    let p = Params::new(
        q,
        &["channel", "since", "until", "author", "cursor", "limit", "sentiment", "intent", "urgent", "entity"],
    )?;
    let after = p
        .str("cursor")
        .map(|c| {
            Cursor::decode(c)
                .ok_or_else(|| invalid("cursor", "invalid_cursor", "Use the `next_cursor` of a previous page."))
        })
        .transpose()?;
    let query = MessageQuery {
        channel: p.channel("channel")?,
        since: p.time("since")?,
        until: p.time("until")?,
        author: p.str("author").map(str::to_owned),
        sentiment: p
            .str("sentiment")
            .map(|s| {
                Sentiment::parse(s)
                    .ok_or_else(|| invalid("sentiment", "invalid_sentiment", "Use negative, neutral or positive."))
            })
            .transpose()?,
        intent: p
            .str("intent")
            .map(|s| {
                Intent::parse(s).ok_or_else(|| {
                    invalid("intent", "invalid_intent", "Use complaint, question, praise, suggestion or other.")
                })
            })
            .transpose()?,
        urgent: p
            .str("urgent")
            .map(|s| match s {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(invalid("urgent", "invalid_boolean", "Use true or false.")),
            })
            .transpose()?,
        entity: p.str("entity").map(parse_entity).transpose()?,
        after,
        limit: p.limit(50, 1000)?,
    };
    let page = state.engine().store().messages(query).await.map_err(store_problem)?;
    Ok(Json(Page { items: page.items, next_cursor: page.next.map(|c| c.encode()) }))
}

/// `entity=AA1234` (any kind) or `entity=flight_number:AA1234`.
fn parse_entity(s: &str) -> Result<(Option<EntityKind>, String), Problem> {
    if let Some((kind, value)) = s.split_once(':')
        && let Some(k) = EntityKind::parse(kind)
    {
        return Ok((Some(k), value.to_owned()));
    }
    if s.len() > 256 {
        return Err(invalid("entity", "too_long", "An entity is at most 256 bytes."));
    }
    Ok((None, s.to_owned()))
}

pub async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<StoredMessage>, Problem> {
    let id: i64 = id.parse().map_err(|_| Problem::not_found("message with that id"))?;
    match state.engine().store().message(MessageId(id)).await.map_err(store_problem)? {
        Some(m) => Ok(Json(m)),
        None => Err(Problem::not_found("message with that id")),
    }
}

/// Full-text search, best match first.
pub async fn search(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Items<SearchHit>>, Problem> {
    let p = Params::new(q, &["q", "channel", "limit"])?;
    let text = p.str("q").ok_or_else(|| invalid("q", "missing", "Say what to search for."))?;
    let query = SearchQuery { q: text.to_owned(), channel: p.channel("channel")?, limit: p.limit(20, 100)? };
    let items = state.engine().store().search(query).await.map_err(store_problem)?;
    Ok(Json(Items { items }))
}

/// A 422 naming the one field at fault; nothing was changed.
pub fn field_problem(field: &str, code: &str, message: &str) -> Problem {
    Problem::new(Code::ValidationFailed, format!("`{field}`: {message}; nothing was changed.")).with_errors(vec![
        FieldProblem { index: None, field: field.to_owned(), code: code.to_owned(), message: message.to_owned() },
    ])
}

pub fn store_problem(e: firebreak_store::StoreError) -> Problem {
    match e {
        firebreak_store::StoreError::InvalidQuery(m) => Problem::new(Code::InvalidQuery, format!("{m}.")),
        firebreak_store::StoreError::NotFound(what) => Problem::not_found(&what),
        firebreak_store::StoreError::Invalid { field, code, message } => field_problem(&field, code, &message),
        other => {
            tracing::error!(error = %other, "store failure");
            Problem::new(Code::StoreUnavailable, "The store failed to answer; try again.")
        }
    }
}
