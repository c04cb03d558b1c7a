//! Points redeemed as account credit, for billing: `GET
//! /api/v1/community/redemptions` (JSON, keyset pages) and `.csv` (all).

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    response::Response,
};
use firebreak_store::CreditRedemption;
use serde_json::{Value, json};

use super::{
    incidents::{csv_field, csv_response},
    params::{Params, invalid},
};
use crate::{AppState, Problem, pages::community::community_problem};

fn after(p: &Params) -> Result<i64, Problem> {
    p.str("after")
        .map(|s| s.parse::<i64>().map_err(|_| invalid("after", "invalid_id", "`after` is a transaction id.")))
        .transpose()
        .map(|a| a.unwrap_or(0))
}

/// `GET /api/v1/community/redemptions?after=&limit=`: oldest first.
pub async fn list(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let p = Params::new(q, &["after", "limit"])?;
    let limit = p.limit(100, 1000)?;
    let items = state.engine().store().credit_redemptions(after(&p)?, limit).await.map_err(community_problem)?;
    let next = (items.len() == limit as usize).then(|| items.last().map(|r| r.transaction)).flatten();
    Ok(Json(json!({ "items": items, "next": next })))
}

/// `GET /api/v1/community/redemptions.csv`: every credit redemption.
pub async fn csv(
    State(state): State<AppState>,
    q: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Problem> {
    let p = Params::new(q, &["after"])?;
    let mut cursor = after(&p)?;
    let mut out = String::from("transaction_id,redeemed_at,member_id,email,customer_id,external_ref,points,key\r\n");
    loop {
        let rows: Vec<CreditRedemption> =
            state.engine().store().credit_redemptions(cursor, 10_000).await.map_err(community_problem)?;
        for r in &rows {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{}\r\n",
                r.transaction,
                r.at.to_rfc3339(),
                r.member.0,
                csv_field(&r.email),
                r.customer_id.map(|c| c.to_string()).unwrap_or_default(),
                csv_field(r.external_ref.as_deref().unwrap_or("")),
                r.points,
                csv_field(&r.key)
            ));
        }
        match rows.last() {
            Some(last) if rows.len() == 10_000 => cursor = last.transaction,
            _ => break,
        }
    }
    Ok(csv_response("community-credit-redemptions.csv", out))
}
