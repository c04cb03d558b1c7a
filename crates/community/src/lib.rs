//! The community's pure rules: the forum's types, member Markdown rendered
//! and sanitised, ranks and badges, ideas and their votes, and the points
//! ledger as double-entry bookkeeping.
//!
//! Nothing here does IO. The store applies these rules inside the
//! transaction that records the event they judge (a reply, a vote, an
//! accepted solution), so an event and its effect land together or not at
//! all.

pub mod charity;
pub mod error;
pub mod ideas;
pub mod ledger;
pub mod markdown;
pub mod ranks;
pub mod types;
pub mod validate;
pub mod value;

pub use error::CommunityError;
pub use ideas::IdeaStatus;
pub use ledger::{Account, LedgerError, PointsConfig, Posting, Transaction, TxKind};
pub use markdown::{render_markdown, sanitize_html};
pub use ranks::{Badge, BadgeRule, Metric, Rank, RankRule, RankRules, Totals};
pub use types::{
    Actor, ActorRole, Board, BoardId, BoardVisibility, Idea, IdeaId, Kudos, Member, MemberId, Post, PostId,
    PostRevision, Report, Solution, Topic, TopicId, TopicKind, Vote,
};
pub use validate::Invalid;
