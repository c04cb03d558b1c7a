//! The records of the community's second part, taken and given by the
//! methods in the marked block of [`CommunityStore`](crate::CommunityStore):
//! charity rounds, idea comments, staff answers and links, the join to the
//! CRM (a customer's topics and posts, topics turned into cases, cases'
//! answers published as solutions) and the value report.

use firebreak_community::{
    BoardId, IdeaId, MemberId, PostId, TopicId, TopicKind,
    charity::{Charity, RoundId, RoundStatus},
    value::ValueConfig,
};
use firebreak_domain::Timestamp;
use serde::{Deserialize, Serialize};

/// A new charity round (staff only).
#[derive(Debug, Clone)]
pub struct NewCharityRound {
    pub title: String,
    /// The candidates, in the order a tie is broken.
    pub charities: Vec<Charity>,
}

/// A candidate charity and the votes it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharityTally {
    pub slug: String,
    pub name: String,
    pub votes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CharityRound {
    pub id: RoundId,
    pub title: String,
    pub status: RoundStatus,
    pub charities: Vec<CharityTally>,
    /// Points waiting in the round's pot (zero once it closed and paid).
    pub pot: i64,
    /// The charity the round paid, once closed (none when it closed empty
    /// and without votes).
    pub winner: Option<String>,
    /// Points paid to the winner when it closed.
    pub paid: i64,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

/// A comment on an idea (Markdown, sanitised when written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdeaComment {
    pub id: i64,
    pub idea: IdeaId,
    pub author: MemberId,
    pub author_name: String,
    /// The author was staff (the visible staff badge).
    pub by_staff: bool,
    pub body_markdown: String,
    pub body_html: String,
    pub created_at: Timestamp,
}

/// A case or an incident that asked for an idea.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum IdeaLink {
    Case(i64),
    Incident(i64),
}

/// A topic a customer's member started, as the customer's timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerTopic {
    pub topic: TopicId,
    pub board: BoardId,
    pub member: MemberId,
    pub kind: TopicKind,
    pub title: String,
    pub solved: bool,
    pub hidden: bool,
    pub replies: u32,
    pub created_at: Timestamp,
}

/// A reply a customer's member wrote in someone's topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerPost {
    pub post: PostId,
    pub topic: TopicId,
    pub topic_title: String,
    pub member: MemberId,
    /// The reply is the accepted solution of its topic.
    pub is_solution: bool,
    pub hidden: bool,
    pub created_at: Timestamp,
}

/// What a customer did in the community: for their timeline, and for the
/// agent's "did they already ask in the forum?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerCommunity {
    pub customer: i64,
    /// The members linked to the customer (or to a customer merged into it).
    pub members: Vec<MemberId>,
    /// Their topics, newest first.
    pub topics: Vec<CustomerTopic>,
    /// Their replies in topics, newest first.
    pub replies: Vec<CustomerPost>,
}

/// A topic turned into a case: the case, and the topic as the inbound
/// message that opened or joined it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TopicCase {
    pub topic: TopicId,
    pub case_id: i64,
    pub message_id: i64,
}

/// A contributor's figures in the value report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contributor {
    pub member: MemberId,
    pub display_name: String,
    /// Visible posts, questions and replies.
    pub posts: u64,
    /// Accepted solutions.
    pub solutions: u64,
    /// Kudos on their visible posts.
    pub kudos_received: u64,
    /// Distinct members whose questions their solutions answered (not
    /// counting themselves).
    pub people_helped: u64,
    /// Views of the topics their solutions answer.
    pub solution_views: u64,
    pub contacts_deflected: f64,
    pub saved_cents: u64,
}

/// Solution views on one day (UTC), for the value page's chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DailyViews {
    /// Days since the Unix epoch.
    pub day: i64,
    pub views: u64,
}

/// The value of the community: who contributes, and the contacts their
/// solutions are estimated to have deflected, with the assumptions used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueReport {
    pub config: ValueConfig,
    pub solved_topics: u64,
    pub solution_views: u64,
    pub contacts_deflected: f64,
    pub saved_cents: u64,
    /// The top contributors: most solutions, then kudos received, then
    /// posts.
    pub contributors: Vec<Contributor>,
    /// The last 90 days with views, oldest first.
    pub daily_views: Vec<DailyViews>,
}

/// For benchmarks only: the size of the community the bulk loader writes
/// (`SqliteStore::bench_load_community`).
#[derive(Debug, Clone, Copy)]
pub struct CommunityBenchSpec {
    pub members: usize,
    pub topics: usize,
    /// All posts, questions included.
    pub posts: usize,
    /// Topics with exactly `long_replies` replies (the first ones).
    pub long_topics: usize,
    pub long_replies: usize,
    pub ideas: usize,
}

/// For benchmarks only: what the bulk loader wrote (or found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityBenchData {
    pub board: BoardId,
    pub staff: MemberId,
    pub topics: u64,
    pub posts: u64,
    /// The first and last post ids.
    pub post_ids: (PostId, PostId),
    /// Topics with exactly 200 replies.
    pub long_topics: Vec<TopicId>,
    /// Ideas open to votes.
    pub ideas: Vec<IdeaId>,
}
