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
//! This crate knows HTTP only as a client of the provider; the routes, the
//! cookie that carries the [`Pending`] and the member session belong to `web`.
//! With the `fake` feature, [`fake`] is an OpenID provider on loopback for tests.

mod error;
mod jwks;
mod jwt;
mod pending;
mod provider;

#[cfg(feature = "fake")]
pub mod fake;

pub use error::OidcError;
pub use pending::{Pending, pkce_challenge};
pub use provider::{Callback, Claims, ClientAuth, Provider, ProviderConfig, http_client};
