//! The types of Firebreak's business: channels, customers, identities and messages.
//!
//! Values that can be invalid are parsed once, at the edge, into newtypes whose
//! constructors are the only way in; past the edge, a `Handle` or an `ExternalId`
//! is known to be well formed. This crate does no IO and knows nothing of SQL or HTTP.

pub mod calendar;
pub mod case;
mod channel;
mod clock;
mod customer;
mod error;
mod ids;
pub mod incident;
pub mod judgement;
mod message;
pub mod sla;
pub mod staff;
mod text;
mod time;

pub use channel::{Channel, Direction};
pub use clock::{Clock, ManualClock, SystemClock};
pub use customer::{Customer, CustomerRef, Email, Identity, NewCustomer, Phone, PostalArea};
pub use error::FieldError;
pub use ids::{
    CaseId, ConversationId, CustomerId, ExternalId, Handle, IdentityId, Language, MessageId, PlatformUserId, ThreadKey,
};
pub use message::{Author, MAX_RAW_BYTES, Metrics, NewMessage, RawPayload, StoredMessage};
pub use text::{DisplayName, MAX_TEXT_BYTES, MessageText};
pub use time::Timestamp;
