//! The only crate that knows HTTP.
//!
//! [`app`] builds the axum router over an [`AppState`]: the JSON API under
//! `/api/v1` (ingest, read, search, inbound email), the platforms' webhooks
//! under `/webhooks`, and the operational endpoints `/healthz` and
//! `/metrics`. Tests drive the router directly or through [`serve`] on port 0.
//! Every error a client sees is a [`Problem`] (RFC 9457 problem+json) with a
//! stable code.

// The OpenAPI document is one `json!` literal, deeper than the default limit.
#![recursion_limit = "512"]

mod api;
mod auth;
mod body;
mod metrics;
mod openapi;
mod ops;
mod pages;
mod problem;
mod webhooks;

use std::{future::Future, sync::Arc, time::Instant};

use axum::{
    Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{get, post, put},
};
use firebreak_engine::Engine;
use tokio::net::TcpListener;

pub use metrics::HttpMetrics;
pub use problem::{Code, FieldProblem, Problem};

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// What the HTTP layer needs to know from configuration.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Bearer tokens accepted on `/api/v1`. When empty, the API is open and
    /// the server must only listen on loopback (the CLI enforces this).
    pub api_tokens: Vec<String>,
    /// X's consumer secret: signs CRC answers and webhook deliveries.
    pub x_consumer_secret: Option<String>,
    /// Meta's app secret: signs webhook deliveries.
    pub meta_app_secret: Option<String>,
    /// The token Meta echoes in its subscription handshake.
    pub meta_verify_token: Option<String>,
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    engine: Arc<Engine>,
    config: WebConfig,
    metrics: HttpMetrics,
    started: Instant,
}

impl AppState {
    pub fn new(engine: Arc<Engine>, config: WebConfig) -> AppState {
        AppState(Arc::new(Inner { engine, config, metrics: HttpMetrics::default(), started: Instant::now() }))
    }

    pub fn engine(&self) -> &Engine {
        &self.0.engine
    }

    pub fn config(&self) -> &WebConfig {
        &self.0.config
    }

    pub fn metrics(&self) -> &HttpMetrics {
        &self.0.metrics
    }
}

/// The whole application as a router.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/messages", post(api::messages::ingest).get(api::messages::list))
        .route("/messages/{id}", get(api::messages::get_one))
        .route("/search", get(api::messages::search))
        .route("/inbound/email", post(api::inbound::email))
        .route("/reports/first-response", get(api::reports::first_response))
        .route("/reports/promises", get(api::reports::promises))
        .route("/cases", get(api::cases::list))
        .route("/cases/{id}", get(api::cases::get_one).patch(api::cases::patch))
        .route("/cases/{id}/notes", post(api::cases::add_note))
        .route("/cases/{id}/promises", post(api::cases::add_promise))
        .route("/cases/{id}/replies", post(api::cases::reply))
        .route("/promises/{id}", post(api::cases::settle_promise))
        .route("/customers", post(api::customers::upsert))
        .route("/customers/{id}", get(api::customers::get_one))
        .route("/customers/{id}/events", post(api::customers::add_event))
        .route("/customers/{id}/merge", post(api::customers::merge))
        .route("/customers/{id}/export", get(api::customers::export))
        .route("/customers/{id}/erase", post(api::customers::erase))
        .route("/customers/{id}/consents", post(api::customers::consent))
        .route("/merges/{id}/undo", post(api::customers::undo_merge))
        .route("/proposals/{id}/confirm", post(api::customers::confirm))
        .route("/proposals/{id}/reject", post(api::customers::reject))
        .route("/events", get(api::events::stream))
        .route("/sla-policies", get(api::admin::sla_policies))
        .route("/sla-policies/{name}", put(api::admin::put_sla_policy).delete(api::admin::delete_sla_policy))
        .route("/teams", get(api::admin::teams).post(api::admin::add_team))
        .route("/agents", get(api::admin::agents).post(api::admin::put_agent))
        .route("/cases/{id}/assign", post(api::admin::assign))
        .route("/canned", get(api::admin::canned))
        .route("/canned/{name}", put(api::admin::put_canned))
        .route("/cases/{id}/canned/{name}", get(api::admin::render_canned))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_token))
        .route("/openapi.json", get(openapi::document))
        .route("/schemas/customer-export.json", get(api::reports::export_schema))
        // The satisfaction link is the customer's, not the staff's.
        .route("/csat/{token}", post(api::cases::csat));

    Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .route("/problems/{code}", get(ops::problem_type))
        .route("/webhooks/x", get(webhooks::x_crc).post(webhooks::x_events))
        .route("/webhooks/meta", get(webhooks::meta_verify).post(webhooks::meta_events))
        .nest("/api/v1", api)
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` resolves, then
/// waits for requests in flight (and so for their commits) to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
