//! Bearer tokens for the API, until staff accounts exist. With no token
//! configured the API is open, and the server listens on loopback only.

use axum::{
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::Response,
};
use subtle::ConstantTimeEq;

use crate::{AppState, Code, Problem};

pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Result<Response, Problem> {
    let tokens = &state.config().api_tokens;
    if tokens.is_empty() {
        return Ok(next.run(req).await);
    }
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(given) = given else {
        return Err(Problem::new(Code::Unauthorized, "Send `Authorization: Bearer <token>`."));
    };
    // Compare against every token, without stopping early.
    let mut ok = subtle::Choice::from(0);
    for t in tokens {
        ok |= t.as_bytes().ct_eq(given.as_bytes());
    }
    if bool::from(ok) {
        Ok(next.run(req).await)
    } else {
        Err(Problem::new(Code::Unauthorized, "The bearer token is not valid."))
    }
}
