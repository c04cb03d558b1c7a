//! Why the community refused a change, as one flat enum with a stable
//! snake_case code per case (the code is what an API client matches on; the
//! sentence is for people).

use thiserror::Error;

use crate::{ideas::IdeaError, ledger::LedgerError, validate::Invalid};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommunityError {
    /// A value breaks a limit; the error names the field.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The actor may not do this (another member's post, another member's
    /// question, a staff action by a member, a banned member).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// The thing does not exist, or the actor may not know it does.
    #[error("there is no {what}")]
    NotFound { what: &'static str },
    /// The change conflicts with what is already there (a second kudos, a
    /// locked topic, a question already solved).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Idea(#[from] IdeaError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl CommunityError {
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> CommunityError {
        CommunityError::Forbidden { code, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> CommunityError {
        CommunityError::Conflict { code, message: message.into() }
    }

    /// The stable code of this refusal.
    pub fn code(&self) -> &'static str {
        match self {
            CommunityError::Invalid(i) => i.code,
            CommunityError::Forbidden { code, .. } | CommunityError::Conflict { code, .. } => code,
            CommunityError::NotFound { .. } => "not_found",
            CommunityError::Idea(e) => e.code(),
            CommunityError::Ledger(e) => e.code(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case() {
        let errors = [
            CommunityError::forbidden("not_author", "only the author may edit a post"),
            CommunityError::NotFound { what: "topic" },
            CommunityError::Ledger(LedgerError::InsufficientBalance { balance: 1, asked: 2 }),
            CommunityError::Idea(IdeaError::Closed { status: crate::IdeaStatus::Shipped }),
        ];
        for e in errors {
            let code = e.code();
            assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code}");
            assert!(!e.to_string().is_empty());
        }
    }
}
