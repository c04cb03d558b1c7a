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

/// `GET /api/v1/reports/promises`: promises by outcome and by who made them.
pub async fn promises(State(state): State<AppState>) -> Result<Json<serde_json::Value>, Problem> {
    Ok(Json(state.engine().store().promise_report().await.map_err(store_problem)?))
}

/// `GET /api/v1/schemas/customer-export.json`: the JSON Schema of the export.
pub async fn export_schema() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://firebreak.invalid/schemas/customer-export/v1",
        "title": "Everything Firebreak holds about one person",
        "type": "object",
        "required": ["$schema", "customer", "identities", "messages", "cases", "account_events", "consents", "audit"],
        "properties": {
            "$schema": { "const": "https://firebreak.invalid/schemas/customer-export/v1" },
            "customer": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": { "type": "integer" },
                    "external_ref": { "type": ["string", "null"] },
                    "name": { "type": ["string", "null"] },
                    "emails": { "type": "array", "items": { "type": "string" } },
                    "phones": { "type": "array", "items": { "type": "string" } },
                    "postal_area": { "type": ["string", "null"] },
                    "provisional": { "type": "boolean" },
                    "references": { "type": "array" },
                    "products": { "type": "array", "items": { "type": "string" } },
                    "preferred_channel": { "type": ["string", "null"] }
                }
            },
            "identities": { "type": "array", "description": "The person on each channel" },
            "messages": { "type": "array", "description": "Every message they wrote, with its raw payload and triage" },
            "cases": { "type": "array", "description": "Their cases with notes, promises and SLA record" },
            "account_events": { "type": "array" },
            "consents": { "type": "array" },
            "match_proposals": { "type": "array" },
            "audit": { "type": "array", "description": "Links, merges and consent changes concerning them" },
            "incident_notices": { "type": "array", "description": "Proactive notices about incidents sent to them" },
            "credits": { "type": "array", "description": "Goodwill credits issued to them" }
        }
    }))
}
