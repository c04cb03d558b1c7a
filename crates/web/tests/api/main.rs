//! Black-box tests of the HTTP API: the real application on port 0 with a
//! temporary data directory, spoken to over HTTP.

mod access;
mod admin;
mod alerts;
mod community;
mod community_more;
mod community_oidc;
mod events;
mod firewall;
mod helpers;
mod incident_pages;
mod incidents;
mod ingest;
mod matching;
mod ops;
mod pages;
mod privacy;
mod read;
mod replay;
mod replies;
mod story;
mod triage;
mod webhooks;
