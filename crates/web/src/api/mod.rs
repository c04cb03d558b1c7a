//! The JSON API under `/api/v1`.

pub mod admin;
pub mod alerts;
pub mod cases;
pub mod community;
pub mod customers;
pub mod events;
pub mod firewall;
pub mod inbound;
pub mod incidents;
pub mod messages;
pub(crate) mod params;
pub mod redemptions;
pub mod reports;
pub mod staff;
