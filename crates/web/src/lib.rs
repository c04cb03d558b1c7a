//! The only crate that knows HTTP.
//!
//! [`app`] builds the axum router over an [`AppState`] from one route table
//! (`routes`), every route with an access rule checked by `auth::authorize`:
//! the JSON API under `/api/v1`, the platforms' webhooks under `/webhooks`,
//! the server-rendered pages (`pages`), and the operational endpoints
//! `/healthz` and `/metrics`. Tests drive the router directly or through
//! [`serve`] on port 0.
//! Every error a client sees is a [`Problem`] (RFC 9457 problem+json) with a
//! stable code.

// The OpenAPI document is one `json!` literal, deeper than the default limit.
#![recursion_limit = "512"]

mod api;
mod auth;
mod body;
mod metrics;
pub mod oidc;
mod openapi;
mod ops;
mod pages;
mod problem;
mod routes;
mod security;
mod webhooks;

use std::{future::Future, sync::Arc, time::Instant};

use axum::{Router, extract::DefaultBodyLimit, middleware};
use firebreak_engine::Engine;
use tokio::net::TcpListener;

pub use api::firewall::ReportsConfig;
pub use auth::Access;
pub use metrics::HttpMetrics;
pub use problem::{Code, FieldProblem, Problem};
pub use routes::RouteInfo;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// What the HTTP layer needs to know from configuration.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Bearer tokens from the configuration, for connectors set up before
    /// any account exists: each may send messages in and work cases.
    pub api_tokens: Vec<String>,
    /// Served over TLS (directly or behind a proxy): session cookies are
    /// `Secure` and take the `__Host-` prefix.
    pub secure_cookies: bool,
    /// X's consumer secret: signs CRC answers and webhook deliveries.
    pub x_consumer_secret: Option<String>,
    /// Meta's app secret: signs webhook deliveries.
    pub meta_app_secret: Option<String>,
    /// The token Meta echoes in its subscription handshake.
    pub meta_verify_token: Option<String>,
    /// The firewall reports' cost per contact.
    pub reports: api::firewall::ReportsConfig,
    /// Members' sign-in through an OpenID Connect provider.
    pub oidc: Option<oidc::OidcSettings>,
    /// The community's points and ranks.
    pub community: CommunityConfig,
}

/// `[community]`: what earns points, and the ranks and badges.
#[derive(Debug, Clone, Default)]
pub struct CommunityConfig {
    pub points: firebreak_community::ledger::PointsConfig,
    pub ranks: firebreak_community::RankRules,
    /// The deflection rate and the cost of a contact, for the value page.
    pub value: firebreak_community::value::ValueConfig,
}

/// Everything a handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    engine: Arc<Engine>,
    config: WebConfig,
    metrics: HttpMetrics,
    started: Instant,
    oidc: Option<oidc::OidcRuntime>,
    rank_cache: pages::community::RankCache,
    views: pages::community::value::SolutionViews,
}

impl AppState {
    pub fn new(engine: Arc<Engine>, config: WebConfig) -> AppState {
        let oidc = config.oidc.clone().map(oidc::OidcRuntime::new);
        AppState(Arc::new(Inner {
            engine,
            config,
            metrics: HttpMetrics::default(),
            started: Instant::now(),
            oidc,
            rank_cache: Default::default(),
            views: Default::default(),
        }))
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

    /// Community members' rank names, until the community changes.
    pub(crate) fn rank_cache(&self) -> &pages::community::RankCache {
        &self.0.rank_cache
    }

    /// Sign-in through an OpenID Connect provider, when configured.
    pub fn oidc(&self) -> Option<&oidc::OidcRuntime> {
        self.0.oidc.as_ref()
    }

    /// Views of solved topics waiting to be written as a batch.
    pub(crate) fn views(&self) -> &pages::community::value::SolutionViews {
        &self.0.views
    }
}

/// The whole application as a router: the route table behind the
/// authorisation check, then the layers every answer goes through.
pub fn app(state: AppState) -> Router {
    let routes = routes::table();
    let rules = routes.rules();
    routes
        .router
        .route_layer(middleware::from_fn_with_state((state.clone(), rules), auth::authorize))
        .fallback(ops::not_found)
        .method_not_allowed_fallback(ops::method_not_allowed)
        .layer(middleware::from_fn(security::headers))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Every route with its access rule, as the router registers them.
pub fn route_table() -> Vec<RouteInfo> {
    routes::table().list
}

/// Serves the application on `listener` until `shutdown` resolves, then
/// waits for requests in flight (and so for their commits) to finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
