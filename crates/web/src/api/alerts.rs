//! Alerts the detectors raised: sparks (one post catching fire) and bursts
//! (many posts about one thing), newest first, each with its evidence.

use axum::{
    Json,
    extract::{Path, Query, State},
};
use firebreak_store::Alert;

use super::messages::{Items, store_problem};
use crate::{AppState, Problem};

#[derive(serde::Deserialize)]
pub struct AlertsQuery {
    /// At most this many (default 50, at most 500).
    limit: Option<u32>,
}

/// `GET /api/v1/alerts`: the newest alerts first.
pub async fn list(State(state): State<AppState>, Query(q): Query<AlertsQuery>) -> Result<Json<Items<Alert>>, Problem> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let items = state.engine().store().alerts(limit).await.map_err(store_problem)?;
    Ok(Json(Items { items }))
}

/// `GET /api/v1/alerts/{id}`: one alert with its evidence.
pub async fn get(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Alert>, Problem> {
    match state.engine().store().alert(id).await.map_err(store_problem)? {
        Some(a) => Ok(Json(a)),
        None => Err(Problem::not_found("alert")),
    }
}
