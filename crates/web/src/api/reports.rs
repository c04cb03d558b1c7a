//! Reports: what drives contact and how fast the team answers.

use axum::{Json, extract::State};
use firebreak_store::FirstResponse;

use super::messages::{Items, store_problem};
use crate::{AppState, Problem};

/// `GET /api/v1/reports/first-response`: per answering account, the median
/// time from a conversation's first inbound message to the first reply.
pub async fn first_response(State(state): State<AppState>) -> Result<Json<Items<FirstResponse>>, Problem> {
    let items = state.engine().store().first_responses().await.map_err(store_problem)?;
    Ok(Json(Items { items }))
}
