//! The platforms' wire formats, parsed, verified and normalised into
//! [`firebreak_domain::NewMessage`] and [`firebreak_domain::NewCustomer`].
//!
//! Each module owns one format: [`normalised`] is Firebreak's own API contract
//! (and [`jsonl`] its line-per-message file form); [`x`] and [`meta`] are the
//! platforms' webhooks and APIs, with their signature checks; [`email`] and
//! [`feed`] are mail and syndication; [`twcs`], [`airline`] and
//! [`customers_csv`] are bulk CSV imports. [`outbound`] goes the other way:
//! it delivers agents' replies to X, Meta and SMTP.
//!
//! The inbound parsers do no network IO and know nothing of HTTP: callers
//! hand them bytes (or an `impl Read`) and get back domain values or an error
//! with a stable snake_case code and a sentence. No input makes a parser
//! panic; every parser has a property test that says so. [`outbound`] is the
//! one module that talks to the platforms (HTTP through `reqwest`, SMTP on
//! tokio); it serves no HTTP and keeps no queue.
//!
//! Two kinds of text are treated differently. Text a *client* sent us through
//! the API is checked strictly (too long is an error). Text a *platform* sent
//! us (a tweet, an email, a blog post) is kept even when it breaks a limit: it
//! is cut with `MessageText::clamp`, and names are cleaned with
//! `DisplayName::clean`, because refusing it would lose a customer's words.

pub mod airline;
mod convert;
pub mod customers_csv;
pub mod email;
mod error;
pub mod feed;
pub mod html;
mod json;
pub mod jsonl;
pub mod meta;
pub mod normalised;
pub mod outbound;
mod rows;
mod signature;
mod timefmt;
pub mod twcs;
pub mod x;

pub use error::{ParseError, RowError};
pub use signature::SignatureError;
