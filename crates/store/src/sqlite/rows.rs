//! Rows in and out: the statements that write messages and customers, and the
//! mapping of a stored row back into domain types.

use firebreak_domain::{
    Author, Channel, ConversationId, CustomerId, Direction, DisplayName, ExternalId, Handle, IdentityId, Language,
    MessageId, MessageText, Metrics, NewCustomer, NewMessage, PlatformUserId, RawPayload, StoredMessage, ThreadKey,
    Timestamp,
    case::{Priority, PrioritySignals},
    judgement::{EntityKind, Judgement, Sentiment},
};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{
    cases::{self, Policies},
    people, threads,
};
use crate::{CustomerOutcome, IngestOutcome, StoreError};

// The write statements use `OR IGNORE` rather than `ON CONFLICT` clauses that
// can abort, and no `RETURNING`: a statement that may abort part-way, or that
// returns rows, needs a statement journal, and opening and closing one per row
// is the single largest cost of a big transaction (its savepoint bookkeeping
// grows with the database). Values are validated before they get here.
const INSERT_MESSAGE: &str = "\
    INSERT OR IGNORE INTO messages (channel, external_id, direction, identity_id, text, language, created_at, \
                                    received_at, in_reply_to, thread_id, likes, shares, replies, raw, \
                                    conversation_id, case_id, sentiment, sentiment_score, intent, complaint, \
                                    urgent, spam, triage) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)";

const INSERT_ENTITY: &str = "INSERT OR IGNORE INTO message_entities (value, kind, message_id) VALUES (?1, ?2, ?3)";

/// Indexes, in one statement, every message stored after `floor`. FTS5
/// flushes its pending terms at every statement savepoint, so indexing row by
/// row between other inserts would write one tiny segment per message.
const INDEX_NEW: &str = "INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE id > ?1";

const FIND_MESSAGE: &str = "SELECT id FROM messages WHERE channel = ?1 AND external_id = ?2";

/// Raises engagement counts on a re-delivery; counts only go up, so a late
/// delivery of an old snapshot cannot undo a newer one.
const RAISE_METRICS: &str = "\
    UPDATE OR IGNORE messages SET likes = max(coalesce(likes, 0), ?2), shares = max(coalesce(shares, 0), ?3), \
                        replies = max(coalesce(replies, 0), ?4) \
    WHERE id = ?1 AND (likes IS NULL OR likes < ?2 OR shares IS NULL OR shares < ?3 OR replies IS NULL OR replies < ?4)";

fn clamp_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A message ready for the writer: what can be computed before the writer
/// takes it (serialising the judgement, the keys of its entity index
/// entries) is done on the caller's thread, so the single writer spends its
/// time on the database only.
pub struct Prepared {
    pub message: NewMessage,
    pub triage_json: Option<String>,
    /// (lower-cased value, kind) of each entity worth an index entry.
    pub entity_keys: Vec<(String, &'static str)>,
}

impl Prepared {
    pub fn new(message: NewMessage) -> Prepared {
        let triage_json = message.triage.as_ref().map(super::judgement::to_column);
        let entity_keys = message
            .triage
            .iter()
            .flat_map(|j| &j.entities)
            .filter(|e| indexed(e.kind))
            .map(|e| (e.text.to_lowercase(), e.kind.as_str()))
            .collect();
        Prepared { message, triage_json, entity_keys }
    }
}

/// An entity index entry of a message just written, waiting for the end of
/// its group (see [`index_entities`]).
pub struct EntityEntry {
    value: String,
    kind: &'static str,
    message: i64,
}

/// Writes a batch's new messages (their authors, conversations and cases
/// first) and raises the counts of re-deliveries. The entity index entries
/// of the new messages are added to `entities`, for [`index_entities`].
pub fn insert_messages(
    conn: &Connection,
    policies: &Policies,
    batch: &mut [Prepared],
    now: Timestamp,
    entities: &mut Vec<EntityEntry>,
) -> Result<Vec<IngestOutcome>, StoreError> {
    let mut insert = conn.prepare_cached(INSERT_MESSAGE)?;
    let mut find = conn.prepare_cached(FIND_MESSAGE)?;
    let mut out = Vec::with_capacity(batch.len());
    for p in batch {
        let m = &p.message;
        let metrics = m.metrics;
        let existing: Option<i64> =
            find.query_row(params![m.channel.as_str(), m.external_id.as_str()], |r| r.get(0)).optional()?;
        if let Some(id) = existing {
            // A re-delivery: the same message, perhaps with newer counts.
            if let Some(x) = metrics {
                let mut raise = conn.prepare_cached(RAISE_METRICS)?;
                raise.execute(params![id, clamp_u64(x.likes), clamp_u64(x.shares), clamp_u64(x.replies)])?;
            }
            out.push(IngestOutcome { id: MessageId(id), duplicate: true });
            continue;
        }
        let j = m.triage.as_ref();
        let author = people::author(conn, m, now)?;
        let conversation = threads::conversation_for(conn, m)?;
        let case = match (m.direction, author.customer) {
            (Direction::In, Some(customer)) => {
                Some(cases::on_inbound(conn, policies, m, author, customer, conversation, priority(m), now)?)
            }
            (Direction::Out, _) => cases::on_outbound(conn, m, conversation, now)?,
            (Direction::In, None) => None,
        };
        let inserted = insert.execute(params![
            m.channel.as_str(),
            m.external_id.as_str(),
            m.direction.as_str(),
            author.identity,
            m.text.as_str(),
            m.language.as_ref().map(Language::as_str),
            m.created_at.unix_millis(),
            now.unix_millis(),
            m.in_reply_to.as_ref().map(ExternalId::as_str),
            m.thread_id.as_ref().map(ThreadKey::as_str),
            metrics.map(|x| clamp_u64(x.likes)),
            metrics.map(|x| clamp_u64(x.shares)),
            metrics.map(|x| clamp_u64(x.replies)),
            m.raw.as_ref().map(RawPayload::as_str),
            conversation.id,
            case,
            j.map(|j| j.sentiment.as_str()),
            j.map(|j| f64::from(j.sentiment_score)),
            j.map(|j| j.intent.as_str()),
            j.map(|j| j.complaint),
            j.map(|j| j.urgent),
            j.map(|j| j.spam),
            p.triage_json.as_deref(),
        ])?;
        if inserted != 1 {
            return Err(StoreError::Database(format!("message {} was not inserted", m.external_id)));
        }
        let id = conn.last_insert_rowid();
        entities.extend(p.entity_keys.drain(..).map(|(value, kind)| EntityEntry { value, kind, message: id }));
        out.push(IngestOutcome { id: MessageId(id), duplicate: false });
    }
    Ok(out)
}

/// Writes the entity index entries of a group's new messages, in key order,
/// once the group's jobs are done: outside their savepoints (no page is
/// copied to a statement journal first), and each B-tree leaf visited once
/// for all its new entries, not once per message in arrival order.
pub fn index_entities(conn: &Connection, mut entries: Vec<EntityEntry>) -> Result<(), StoreError> {
    entries.sort_unstable_by(|a, b| (&a.value, a.kind, a.message).cmp(&(&b.value, b.kind, b.message)));
    let mut insert = conn.prepare_cached(INSERT_ENTITY)?;
    for e in &entries {
        insert.execute(params![e.value, e.kind, e.message])?;
    }
    Ok(())
}

/// The id of the row an `INSERT OR IGNORE` just wrote, or an error when it
/// wrote none (which the schema should make impossible).
pub fn inserted_id(conn: &Connection, written: usize, what: &str) -> Result<i64, StoreError> {
    if written != 1 {
        return Err(StoreError::Database(format!("a new {what} could not be written")));
    }
    Ok(conn.last_insert_rowid())
}

/// How soon a customer's message needs an answer, from what is known of it.
fn priority(m: &NewMessage) -> Priority {
    let followers = m.author.followers.unwrap_or(0);
    match &m.triage {
        Some(j) => PrioritySignals {
            urgent: j.urgent,
            complaint: j.complaint,
            negative: j.sentiment == Sentiment::Negative,
            followers,
        },
        None => PrioritySignals { followers, ..Default::default() },
    }
    .priority()
}

/// Entity kinds worth an index entry: the ones people look messages up by.
/// Mentions and links are in nearly every post and are found by search.
fn indexed(kind: EntityKind) -> bool {
    !matches!(kind, EntityKind::Mention | EntityKind::Url)
}

/// Replaces the stored judgement of messages (after `firebreak retriage`
/// with a new model); returns how many messages were found.
pub fn set_triage(conn: &Connection, batch: &[(MessageId, Judgement)]) -> Result<usize, StoreError> {
    let mut update = conn.prepare_cached(
        "UPDATE OR IGNORE messages SET sentiment = ?2, sentiment_score = ?3, intent = ?4, complaint = ?5, \
         urgent = ?6, spam = ?7, triage = ?8 WHERE id = ?1",
    )?;
    let mut entity = conn.prepare_cached(INSERT_ENTITY)?;
    let mut found = 0;
    for (id, j) in batch {
        // The old judgement names the index entries to remove.
        clear_entities(conn, id.0)?;
        let n = update.execute(params![
            id.0,
            j.sentiment.as_str(),
            f64::from(j.sentiment_score),
            j.intent.as_str(),
            j.complaint,
            j.urgent,
            j.spam,
            super::judgement::to_column(j)
        ])?;
        if n == 0 {
            continue;
        }
        found += 1;
        for e in j.entities.iter().filter(|e| indexed(e.kind)) {
            entity.execute(params![e.text.to_lowercase(), e.kind.as_str(), id.0])?;
        }
    }
    Ok(found)
}

/// Removes a message's entity index entries, by their exact keys, which its
/// stored judgement names. (There is no index by message: it would cost a
/// second B-tree write for every entity of every message, to speed up only
/// erasure and re-triage.)
pub fn clear_entities(conn: &Connection, id: i64) -> Result<(), StoreError> {
    let row: Option<(String, Option<String>, super::judgement::Owned)> = conn
        .prepare_cached(
            "SELECT text, triage, sentiment, sentiment_score, intent, complaint, urgent, spam FROM messages WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                super::judgement::Owned {
                    sentiment: r.get(2)?,
                    score: r.get(3)?,
                    intent: r.get(4)?,
                    complaint: r.get(5)?,
                    urgent: r.get(6)?,
                    spam: r.get(7)?,
                },
            ))
        })
        .optional()?;
    let Some((text, Some(json), columns)) = row else { return Ok(()) };
    match super::judgement::from_columns(&columns.borrowed(), &json, &text) {
        Some(j) => {
            let mut delete =
                conn.prepare_cached("DELETE FROM message_entities WHERE value = ?1 AND kind = ?2 AND message_id = ?3")?;
            for e in j.entities.iter().filter(|e| indexed(e.kind)) {
                delete.execute(params![e.text.to_lowercase(), e.kind.as_str(), id])?;
            }
        }
        // A judgement that cannot be read: find its entries the slow way.
        None => {
            conn.execute("DELETE FROM message_entities WHERE message_id = ?1", [id])?;
        }
    }
    Ok(())
}

/// The highest message id; new messages get higher ones.
pub fn max_message_id(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.prepare_cached("SELECT coalesce(max(id), 0) FROM messages")?.query_row([], |r| r.get(0))?)
}

/// Adds every message stored after `floor` to the full-text index; returns
/// how many.
pub fn index_new_messages(conn: &Connection, floor: i64) -> Result<usize, StoreError> {
    Ok(conn.prepare_cached(INDEX_NEW)?.execute([floor])?)
}

pub fn upsert_customers(
    conn: &Connection,
    batch: &[NewCustomer],
    now: Timestamp,
) -> Result<Vec<CustomerOutcome>, StoreError> {
    let mut out = Vec::with_capacity(batch.len());
    for c in batch {
        let existing: Option<i64> = match &c.external_ref {
            Some(r) => conn
                .prepare_cached("SELECT id FROM customers WHERE external_ref = ?1")?
                .query_row([r], |row| row.get(0))
                .optional()?,
            None => None,
        };
        let (id, created) = match existing {
            Some(id) => {
                conn.prepare_cached(
                    "UPDATE OR IGNORE customers SET name = coalesce(?2, name), postal_area = coalesce(?3, postal_area), \
                     updated_at = ?4, preferred_channel = coalesce(?5, preferred_channel) WHERE id = ?1",
                )?
                .execute(params![
                    id,
                    c.name.as_ref().map(DisplayName::as_str),
                    c.postal_area.as_ref().map(|p| p.as_str()),
                    now.unix_millis(),
                    c.preferred_channel.map(|ch| ch.as_str())
                ])?;
                // The records name what the customer holds now: a new list
                // replaces the old one (an empty list leaves it as it was).
                if !c.products.is_empty() {
                    conn.prepare_cached("DELETE FROM customer_products WHERE customer_id = ?1")?.execute([id])?;
                }
                (id, false)
            }
            None => {
                let id: i64 = conn
                    .prepare_cached(
                        "INSERT INTO customers (external_ref, name, postal_area, created_at, updated_at, \
                         preferred_channel) VALUES (?1, ?2, ?3, ?4, ?4, ?5) RETURNING id",
                    )?
                    .query_row(
                        params![
                            c.external_ref,
                            c.name.as_ref().map(DisplayName::as_str),
                            c.postal_area.as_ref().map(|p| p.as_str()),
                            now.unix_millis(),
                            c.preferred_channel.map(|ch| ch.as_str())
                        ],
                        |r| r.get(0),
                    )?;
                (id, true)
            }
        };
        let mut email =
            conn.prepare_cached("INSERT OR IGNORE INTO customer_emails (customer_id, email) VALUES (?1, ?2)")?;
        for e in &c.emails {
            email.execute(params![id, e.as_str()])?;
        }
        let mut phone =
            conn.prepare_cached("INSERT OR IGNORE INTO customer_phones (customer_id, phone) VALUES (?1, ?2)")?;
        for p in &c.phones {
            phone.execute(params![id, p.as_str()])?;
        }
        let mut reference =
            conn.prepare_cached("INSERT OR IGNORE INTO customer_refs (kind, value, customer_id) VALUES (?1, ?2, ?3)")?;
        for r in &c.refs {
            reference.execute(params![r.kind, r.value, id])?;
        }
        let mut product =
            conn.prepare_cached("INSERT OR IGNORE INTO customer_products (customer_id, product) VALUES (?1, ?2)")?;
        for p in &c.products {
            product.execute(params![id, p])?;
        }
        out.push(CustomerOutcome { id: CustomerId(id), created });
    }
    Ok(out)
}

/// The columns [`message_from_row`] expects, in order, for a query over
/// `messages m JOIN identities i ON i.id = m.identity_id`.
pub const MESSAGE_COLUMNS: &str = "m.id, m.identity_id, m.received_at, m.channel, m.external_id, m.direction, \
    i.platform_id, i.handle, i.name, i.followers, m.text, m.language, m.created_at, m.in_reply_to, m.thread_id, \
    m.likes, m.shares, m.replies, m.raw, m.conversation_id, m.triage, m.sentiment, m.sentiment_score, m.intent, \
    m.complaint, m.urgent, m.spam";

fn corrupt(what: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("a stored {what} is not valid: {e}").into())
}

fn opt<T>(
    row: &Row<'_>,
    i: usize,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, firebreak_domain::FieldError>,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(i)?.as_str_or_null()? {
        None => Ok(None),
        Some(s) => parse(s).map(Some).map_err(|e| corrupt(what, e)),
    }
}

fn ts(ms: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_unix_millis(ms).map_err(|e| corrupt("time", e))
}

pub fn message_from_row(row: &Row<'_>) -> rusqlite::Result<StoredMessage> {
    let channel = Channel::parse(row.get_ref(3)?.as_str()?).map_err(|e| corrupt("channel", e))?;
    let direction = Direction::parse(row.get_ref(5)?.as_str()?).map_err(|e| corrupt("direction", e))?;
    let followers: Option<i64> = row.get(9)?;
    let likes: Option<i64> = row.get(15)?;
    let shares: Option<i64> = row.get(16)?;
    let replies: Option<i64> = row.get(17)?;
    let metrics = (likes.is_some() || shares.is_some() || replies.is_some()).then(|| Metrics {
        likes: likes.unwrap_or(0).max(0) as u64,
        shares: shares.unwrap_or(0).max(0) as u64,
        replies: replies.unwrap_or(0).max(0) as u64,
    });
    let raw: Option<String> = row.get(18)?;
    let text: String = row.get(10)?;
    let triage = match row.get_ref(20)?.as_str_or_null()? {
        None => None,
        Some(json) => {
            let columns = super::judgement::Columns {
                sentiment: row.get_ref(21)?.as_str_or_null()?,
                score: row.get(22)?,
                intent: row.get_ref(23)?.as_str_or_null()?,
                complaint: row.get(24)?,
                urgent: row.get(25)?,
                spam: row.get(26)?,
            };
            super::judgement::from_columns(&columns, json, &text)
        }
    };
    Ok(StoredMessage {
        id: MessageId(row.get(0)?),
        identity_id: IdentityId(row.get(1)?),
        conversation_id: row.get::<_, Option<i64>>(19)?.map(ConversationId),
        received_at: ts(row.get(2)?)?,
        message: NewMessage {
            channel,
            external_id: ExternalId::parse(row.get::<_, String>(4)?).map_err(|e| corrupt("external id", e))?,
            direction,
            author: Author {
                id: PlatformUserId::parse(row.get::<_, String>(6)?).map_err(|e| corrupt("author id", e))?,
                handle: opt(row, 7, "handle", Handle::parse)?,
                name: opt(row, 8, "name", DisplayName::parse)?,
                followers: followers.map(|f| f.max(0) as u64),
            },
            text: MessageText::parse(text).map_err(|e| corrupt("text", e))?,
            language: opt(row, 11, "language", Language::parse)?,
            created_at: ts(row.get(12)?)?,
            in_reply_to: opt(row, 13, "reply link", |s| ExternalId::parse(s))?,
            thread_id: opt(row, 14, "thread id", |s| ThreadKey::parse(s))?,
            metrics,
            raw: raw.map(RawPayload::from_json_text),
            triage: None,
        },
        triage,
    })
}
