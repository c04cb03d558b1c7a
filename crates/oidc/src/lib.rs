//! Sign-in with any OpenID Connect provider, configured by its issuer URL,
//! a client id and a secret.
//!
//! [`Provider::discover`] reads the provider's discovery document and keys;
//! [`Provider::authorization_url`] starts the authorization code flow (with
//! PKCE S256, `state` and `nonce`) and gives a [`Pending`] attempt for the
//! caller to keep; [`Provider::complete`] takes the callback's query, calls the
//! token endpoint and verifies the ID token (signature RS256 or ES256 with the
//! provider's key by `kid`, issuer, audience, authorized party, expiry, issue
//! time with a clock skew, nonce), giving the [`Claims`] of who signed in.
//! Every failure is an [`OidcError`] with a stable code.
//!
//! From axum (the whole of it runs in `tests/axum_example.rs`):
//!
//! ```ignore
//! // GET /community/oidc/start
//! let (url, pending) = provider.authorization_url();
//! // Keep `pending` for this browser: server-side under a cookie (its
//! // `state()` makes a good key), or `pending.encode()` in a signed and
//! // encrypted cookie. Then redirect (303) to `url`.
//!
//! // GET /community/oidc/callback, with `Query(callback): Query<Callback>`
//! let pending = /* take (not just read) this browser's attempt */;
//! match provider.complete(&pending, &callback).await {
//!     Ok(claims) => /* member by (claims.issuer, claims.subject); email only if verified */,
//!     Err(e) => /* log e.detail(); show e.code() and e (a sentence); 502 if e.is_upstream() else 400 */,
//! }
//! ```
//!
//! This crate knows HTTP only as a client of the provider; the routes, the
//! cookie that carries the [`Pending`] and the member session belong to `web`.
//! With the `fake` feature, [`fake`] is an OpenID provider on loopback for tests.

mod error;
mod jwks;
mod jwt;
mod pending;
#[cfg(test)]
mod proptests;
mod provider;

#[cfg(feature = "fake")]
pub mod fake;

pub use error::OidcError;
pub use pending::{Pending, pkce_challenge};
pub use provider::{Callback, Claims, ClientAuth, Provider, ProviderConfig, http_client};
