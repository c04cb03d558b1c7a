//! The community's records: ids as newtypes, members, boards, topics, posts
//! with their revisions, kudos, solutions, ideas and votes, and the actor
//! who asks for a change.

use firebreak_domain::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ideas::IdeaStatus;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// A member of the community (a customer, or staff posting as staff).
    MemberId
);
id!(
    /// A board: a place for topics on one subject.
    BoardId
);
id!(
    /// A topic: a question or a discussion, with its posts.
    TopicId
);
id!(
    /// A post: a topic's first post or a reply.
    PostId
);
id!(
    /// An idea members vote on.
    IdeaId
);

/// What an actor may do beyond what every member may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorRole {
    /// An ordinary member: acts on their own posts, questions and votes.
    Member,
    /// Staff: moderates, accepts solutions on any question, answers ideas.
    /// The store checks that the member row is marked staff.
    Staff,
}

/// Who asks for a change: a member, in a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub member: MemberId,
    pub role: ActorRole,
}

impl Actor {
    pub fn member(member: MemberId) -> Actor {
        Actor { member, role: ActorRole::Member }
    }

    pub fn staff(member: MemberId) -> Actor {
        Actor { member, role: ActorRole::Staff }
    }

    pub fn is_staff(&self) -> bool {
        self.role == ActorRole::Staff
    }
}

/// A member's account. The password is kept as an argon2id hash made by the
/// caller, never in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: MemberId,
    pub email: String,
    pub display_name: String,
    pub email_verified: bool,
    /// The customer record this member is, once identity resolution found it.
    pub customer_id: Option<i64>,
    /// Staff post as staff, with a visible badge.
    pub staff: bool,
    pub banned: bool,
    pub created_at: Timestamp,
}

/// Who may read a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoardVisibility {
    /// Everyone, signed in or not.
    Public,
    /// Staff only.
    Private,
}

impl BoardVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            BoardVisibility::Public => "public",
            BoardVisibility::Private => "private",
        }
    }

    pub fn parse(s: &str) -> Option<BoardVisibility> {
        match s {
            "public" => Some(BoardVisibility::Public),
            "private" => Some(BoardVisibility::Private),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    pub id: BoardId,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub visibility: BoardVisibility,
}

/// A question expects a solution; a discussion does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TopicKind {
    Question,
    Discussion,
}

impl TopicKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TopicKind::Question => "question",
            TopicKind::Discussion => "discussion",
        }
    }

    pub fn parse(s: &str) -> Option<TopicKind> {
        match s {
            "question" => Some(TopicKind::Question),
            "discussion" => Some(TopicKind::Discussion),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub id: TopicId,
    pub board: BoardId,
    pub author: MemberId,
    pub kind: TopicKind,
    pub title: String,
    /// A locked topic takes no more replies.
    pub locked: bool,
    /// A hidden topic is shown to staff only.
    pub hidden: bool,
    /// The accepted reply, for a question.
    pub solution: Option<PostId>,
    pub first_post: PostId,
    pub created_at: Timestamp,
}

/// A post: its Markdown as written and the sanitised HTML made from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Post {
    pub id: PostId,
    pub topic: TopicId,
    pub author: MemberId,
    /// The author was staff when posting (the visible staff badge).
    pub by_staff: bool,
    pub body_markdown: String,
    pub body_html: String,
    pub hidden: bool,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    /// How many times it was edited (its revisions).
    pub revisions: u32,
}

/// A post's earlier text, kept when it is edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostRevision {
    pub post: PostId,
    /// 1 for the original text, then 2, 3...
    pub number: u32,
    pub body_markdown: String,
    pub edited_by: MemberId,
    pub replaced_at: Timestamp,
}

/// A member's thanks for a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kudos {
    pub id: i64,
    pub post: PostId,
    pub giver: MemberId,
    pub receiver: MemberId,
    pub created_at: Timestamp,
}

/// The reply accepted as a question's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Solution {
    pub topic: TopicId,
    pub post: PostId,
    pub accepted_by: MemberId,
    pub accepted_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Idea {
    pub id: IdeaId,
    pub author: MemberId,
    pub title: String,
    pub body_markdown: String,
    pub body_html: String,
    pub status: IdeaStatus,
    /// For a duplicate: the idea it was merged into.
    pub duplicate_of: Option<IdeaId>,
    pub votes: u32,
    pub created_at: Timestamp,
}

/// One member's vote on one idea.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vote {
    pub idea: IdeaId,
    pub member: MemberId,
    pub created_at: Timestamp,
}

/// A member's report that a post breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub id: i64,
    pub post: PostId,
    pub reporter: MemberId,
    pub reason: String,
    pub created_at: Timestamp,
    /// When a moderator acted on the post (hid it), closing the report.
    pub resolved_at: Option<Timestamp>,
}
