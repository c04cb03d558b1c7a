//! For benchmarks only: a bulk loader that writes a large community (a
//! board, members, topics and their posts, accepted solutions with their
//! points, ideas) straight into the tables, a few thousand topics per
//! writer job, without the per-change checks the `CommunityStore` methods
//! make. What it writes keeps the schema's invariants (each topic's first
//! post and reply count, the full-text index, a solution's award in the
//! ledger), so the normal methods work on it afterwards. Nothing but
//! `firebreak bench community` calls it.

use firebreak_community::{BoardId, IdeaId, MemberId, PostId, TopicId, ledger::keys, render_markdown};
use firebreak_domain::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Result, ledger};
use crate::{
    StoreError,
    community::CommunityStoreError,
    community_more::{CommunityBenchData, CommunityBenchSpec},
    sqlite::SqliteStore,
};

/// The board the loader fills; its presence means the data is there.
pub const BENCH_BOARD: &str = "bench";

/// Words the generated posts are made of.
const WORDS: &[&str] = &[
    "router",
    "firmware",
    "update",
    "battery",
    "charger",
    "screen",
    "restart",
    "settings",
    "account",
    "password",
    "billing",
    "invoice",
    "refund",
    "delivery",
    "tracking",
    "order",
    "warranty",
    "replacement",
    "bluetooth",
    "pairing",
    "wifi",
    "signal",
    "speaker",
    "volume",
    "app",
    "login",
    "sync",
    "backup",
    "cable",
    "adapter",
    "driver",
    "install",
    "error",
    "code",
    "light",
    "blinking",
    "reset",
    "factory",
    "support",
    "thanks",
    "worked",
    "tried",
    "still",
    "again",
    "after",
    "before",
    "when",
    "because",
    "the",
    "a",
    "my",
    "it",
    "is",
    "not",
    "and",
    "then",
    "with",
];

/// A pool of post bodies (Markdown and its sanitised HTML), rendered once.
fn bodies(n: usize) -> Vec<(String, String)> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let mut md = String::new();
            let paragraphs = 1 + i % 3;
            for p in 0..paragraphs {
                let words = 25 + (next() % 40) as usize;
                for w in 0..words {
                    if w > 0 {
                        md.push(' ');
                    }
                    let word = WORDS[(next() % WORDS.len() as u64) as usize];
                    if w % 17 == 5 {
                        md.push_str(&format!("**{word}**"));
                    } else {
                        md.push_str(word);
                    }
                }
                md.push('.');
                if p == 0 && i % 4 == 0 {
                    md.push_str("\n\n- step one\n- step two\n\n`code 0x42`");
                }
                md.push_str("\n\n");
            }
            if i % 5 == 0 {
                md.push_str("See [the guide](https://example.com/guide).");
            }
            let html = render_markdown(&md);
            (md, html)
        })
        .collect()
}

/// How many posts topic `i` has (its question included): the first
/// `long_topics` have `long_replies` replies; the rest share what is left.
fn posts_of(spec: &CommunityBenchSpec, i: usize) -> usize {
    if i < spec.long_topics {
        return 1 + spec.long_replies;
    }
    let others = spec.topics - spec.long_topics;
    let left = spec.posts.saturating_sub(spec.long_topics * (1 + spec.long_replies));
    let base = left / others.max(1);
    let extra = left % others.max(1);
    base.max(1) + usize::from(i - spec.long_topics < extra)
}

fn ms(base: i64, offset: i64) -> i64 {
    base + offset
}

pub fn existing(c: &Connection) -> Result<Option<CommunityBenchData>> {
    let board: Option<i64> = c
        .prepare_cached("SELECT id FROM community_boards WHERE slug = ?1")?
        .query_row([BENCH_BOARD], |r| r.get(0))
        .optional()?;
    let Some(board) = board else { return Ok(None) };
    let topics: i64 =
        c.query_row("SELECT count(*) FROM community_topics WHERE board_id = ?1", [board], |r| r.get(0))?;
    let posts: i64 = c.query_row("SELECT count(*) FROM community_posts", [], |r| r.get(0))?;
    let (first_post, last_post): (i64, i64) =
        c.query_row("SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM community_posts", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let mut stmt = c.prepare("SELECT id FROM community_topics WHERE board_id = ?1 AND replies = 200 ORDER BY id")?;
    let long_topics = stmt.query_map([board], |r| Ok(TopicId(r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
    let mut stmt = c.prepare("SELECT id FROM community_ideas WHERE status = 'new' ORDER BY id")?;
    let ideas = stmt.query_map([], |r| Ok(IdeaId(r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
    let staff: i64 = c.query_row("SELECT min(id) FROM community_members WHERE staff = 1", [], |r| r.get(0))?;
    Ok(Some(CommunityBenchData {
        board: BoardId(board),
        staff: MemberId(staff),
        topics: topics as u64,
        posts: posts as u64,
        post_ids: (PostId(first_post), PostId(last_post)),
        long_topics,
        ideas,
    }))
}

/// Creates the board, the staff member and the members.
pub fn start(c: &Connection, spec: &CommunityBenchSpec, now: Timestamp) -> Result<(BoardId, Vec<MemberId>)> {
    let at = now.unix_millis();
    c.execute(
        "INSERT INTO community_members (email, display_name, email_verified, staff, created_at) \
         VALUES ('bench-staff@example.com', 'Bench staff', 1, 1, ?1)",
        [at],
    )?;
    let mut add = c.prepare(
        "INSERT INTO community_members (email, display_name, email_verified, created_at) VALUES (?1, ?2, 1, ?3)",
    )?;
    let mut members = Vec::with_capacity(spec.members);
    for i in 0..spec.members {
        add.execute(params![format!("bench-member-{i}@example.com"), format!("Member {i}"), at])?;
        members.push(MemberId(c.last_insert_rowid()));
    }
    c.execute(
        "INSERT INTO community_boards (slug, name, description, visibility, created_at) \
         VALUES (?1, 'Benchmark', 'Generated by firebreak bench community', 'public', ?2)",
        params![BENCH_BOARD, at],
    )?;
    let board = BoardId(c.last_insert_rowid());
    let mut idea = c.prepare(
        "INSERT INTO community_ideas (author_id, title, body_markdown, body_html, status, created_at, updated_at) \
         VALUES (?1, ?2, 'An idea.', '<p>An idea.</p>', 'new', ?3, ?3)",
    )?;
    for i in 0..spec.ideas {
        idea.execute(params![members[i % members.len()].0, format!("Idea {i}"), at])?;
    }
    Ok((board, members))
}

/// Writes topics `from..to` with their posts, solutions and awards.
pub fn topics(
    c: &Connection,
    spec: &CommunityBenchSpec,
    board: BoardId,
    members: &[MemberId],
    from: usize,
    to: usize,
) -> Result<()> {
    let pool = bodies(512);
    let staff: i64 = c.query_row("SELECT min(id) FROM community_members WHERE staff = 1", [], |r| r.get(0))?;
    let base = 1_700_000_000_000_i64;
    let mut topic_stmt = c.prepare_cached(
        "INSERT INTO community_topics (board_id, author_id, kind, title, replies, created_at, last_post_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut post_stmt = c.prepare_cached(
        "INSERT INTO community_posts (topic_id, author_id, by_staff, body_markdown, body_html, created_at) \
         VALUES (?1, ?2, 0, ?3, ?4, ?5)",
    )?;
    let mut first_stmt = c.prepare_cached("UPDATE community_topics SET first_post_id = ?2 WHERE id = ?1")?;
    let mut fts = c.prepare_cached("INSERT INTO community_fts (rowid, title, body) VALUES (?1, ?2, ?3)")?;
    let mut solution = c.prepare_cached(
        "INSERT INTO community_solutions (topic_id, post_id, answerer_id, accepted_by, accepted_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let m = members.len();
    for i in from..to {
        let n = posts_of(spec, i);
        let asker = members[(i * 7_919) % m];
        let question = i % 4 != 3;
        let title = format!(
            "{} {} {} ({i})",
            WORDS[i % WORDS.len()],
            WORDS[(i / 7) % WORDS.len()],
            WORDS[(i / 49) % WORDS.len()]
        );
        let created = ms(base, i as i64 * 60_000);
        let last = created + (n as i64 - 1) * 1_000;
        topic_stmt.execute(params![
            board.0,
            asker.0,
            if question { "question" } else { "discussion" },
            title,
            (n - 1) as i64,
            created,
            last
        ])?;
        let topic = c.last_insert_rowid();
        let mut second = None;
        for j in 0..n {
            let author = if j == 0 { asker } else { members[(i * 31 + j * 7_927) % m] };
            let (md, html) = &pool[(i * 13 + j) % pool.len()];
            post_stmt.execute(params![topic, author.0, md, html, created + j as i64 * 1_000])?;
            let post = c.last_insert_rowid();
            if j == 0 {
                first_stmt.execute(params![topic, post])?;
                fts.execute(params![post, title, md])?;
            } else {
                fts.execute(params![post, "", md])?;
            }
            if j == 1 {
                second = Some((PostId(post), author));
            }
        }
        // Half the questions are solved by their first reply.
        if let Some((post, answerer)) = second
            && question
            && i % 2 == 0
        {
            let at = Timestamp::from_unix_millis(last).map_err(|e| StoreError::Database(e.to_string()))?;
            solution.execute(params![topic, post.0, answerer.0, asker.0, last])?;
            if answerer != asker {
                ledger::award(c, keys::award_solution(post), answerer, 25, MemberId(staff), at)?;
            }
        }
    }
    Ok(())
}

impl SqliteStore {
    /// For benchmarks only: fills an empty community with `spec`'s topics
    /// and posts through the bulk loader (`bench_load`), a few thousand
    /// topics per writer job; answers what is there when the benchmark's
    /// board exists already (the data is reused across runs).
    pub async fn bench_load_community(
        &self,
        spec: CommunityBenchSpec,
        progress: impl Fn(usize) + Send + Sync + 'static,
    ) -> std::result::Result<CommunityBenchData, StoreError> {
        if let Some(found) = self.read(|c| existing(c).map_err(into_store)).await? {
            self.writer.checkpoint().await?;
            return Ok(found);
        }
        if spec.members == 0 || spec.topics <= spec.long_topics || spec.posts < spec.topics {
            return Err(StoreError::Database("the benchmark's community needs members, and a post per topic".into()));
        }
        let (board, members) = self.writer.run(move |c, _, now| start(c, &spec, now).map_err(into_store)).await?;
        let members = std::sync::Arc::new(members);
        const CHUNK: usize = 2_000;
        for from in (0..spec.topics).step_by(CHUNK) {
            let to = (from + CHUNK).min(spec.topics);
            let m = members.clone();
            self.writer.run(move |c, _, _| topics(c, &spec, board, &m, from, to).map_err(into_store)).await?;
            progress(to);
        }
        // The load's big transactions grew the WAL past what the passive
        // checkpoints could fold in while it ran: fold it and truncate it.
        self.writer.checkpoint().await?;
        self.read(|c| existing(c).map_err(into_store))
            .await?
            .ok_or_else(|| StoreError::Database("the benchmark's community was not stored".into()))
    }
}

fn into_store(e: CommunityStoreError) -> StoreError {
    match e {
        CommunityStoreError::Store(s) => s,
        CommunityStoreError::Refused(r) => StoreError::Database(r.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_posts_add_up() {
        let spec = CommunityBenchSpec {
            members: 10,
            topics: 1_000,
            posts: 10_000,
            long_topics: 10,
            long_replies: 200,
            ideas: 5,
        };
        let total: usize = (0..spec.topics).map(|i| posts_of(&spec, i)).sum();
        assert_eq!(total, spec.posts);
        assert_eq!(posts_of(&spec, 0), 201);
        assert!((spec.long_topics..spec.topics).all(|i| posts_of(&spec, i) >= 1));
        let bodies = bodies(8);
        assert!(bodies.iter().all(|(md, html)| !md.is_empty() && html.contains("<p>")));
    }
}
