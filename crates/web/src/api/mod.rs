//! The JSON API under `/api/v1`.

pub mod inbound;
pub mod messages;
mod params;
pub mod reports;
