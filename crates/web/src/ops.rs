//! Operational endpoints: health, metrics, the problem-type pages, and the
//! answers for unknown routes and methods.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::{AppState, Code, Problem, metrics};

/// `GET /healthz`: 200 when the store answers a read, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    match state.engine().store().counts().await {
        Ok(c) => Ok(Json(json!({ "status": "ok", "messages": c.messages }))),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            Err(Problem::new(Code::StoreUnavailable, "The store does not answer."))
        }
    }
}

/// `GET /metrics` in the Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let body =
        metrics::render(state.metrics(), &state.engine().store().stats(), state.0.started.elapsed().as_secs_f64());
    let mut resp = body.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}

/// `GET /problems/{code}`: what a problem `type` means.
pub async fn problem_type(Path(code): Path<String>) -> Result<Json<serde_json::Value>, Problem> {
    let c =
        Code::ALL.into_iter().find(|c| c.as_str() == code).ok_or_else(|| Problem::not_found("such problem type"))?;
    let (status, title) = c.status_and_title();
    Ok(Json(json!({ "code": c, "status": status.as_u16(), "title": title })))
}

pub async fn not_found() -> Problem {
    Problem::not_found("such route")
}

pub async fn method_not_allowed() -> Problem {
    Problem::new(Code::MethodNotAllowed, "This route does not take that method.")
}
