//! Versioned schema migrations, embedded in the binary and applied in order at
//! start. Each runs in the same immediate transaction as the bump of
//! `PRAGMA user_version`, so a crash mid-migration leaves the old version, and
//! two processes opening the same directory at once cannot both migrate.

use rusqlite::{Connection, TransactionBehavior};

use crate::StoreError;

/// Every migration, in order; the database's `user_version` is the number of
/// migrations applied.
const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_messages", include_str!("../../migrations/0001_messages.sql")),
    ("0002_conversations", include_str!("../../migrations/0002_conversations.sql")),
    ("0003_cases", include_str!("../../migrations/0003_cases.sql")),
    ("0004_triage", include_str!("../../migrations/0004_triage.sql")),
    ("0005_privacy", include_str!("../../migrations/0005_privacy.sql")),
    ("0006_webhooks", include_str!("../../migrations/0006_webhooks.sql")),
    ("0007_queue", include_str!("../../migrations/0007_queue.sql")),
    ("0008_staff", include_str!("../../migrations/0008_staff.sql")),
    ("0009_outbound", include_str!("../../migrations/0009_outbound.sql")),
    ("0010_dashboards", include_str!("../../migrations/0010_dashboards.sql")),
    ("0011_entities", include_str!("../../migrations/0011_entities.sql")),
    ("0012_incidents", include_str!("../../migrations/0012_incidents.sql")),
    ("0013_alerts", include_str!("../../migrations/0013_alerts.sql")),
    ("0014_community", include_str!("../../migrations/0014_community.sql")),
    ("0015_member_auth", include_str!("../../migrations/0015_member_auth.sql")),
    ("0016_community_more", include_str!("../../migrations/0016_community_more.sql")),
    ("0017_drivers", include_str!("../../migrations/0017_drivers.sql")),
    ("0018_member_oidc", include_str!("../../migrations/0018_member_oidc.sql")),
];

/// The schema version this build expects.
pub const LATEST: usize = MIGRATIONS.len();

pub fn migrate(conn: &mut Connection) -> Result<usize, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: usize = tx.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if current > LATEST {
        return Err(StoreError::Database(format!(
            "the database has schema version {current}, newer than this build's {LATEST}; use a newer firebreak"
        )));
    }
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current) {
        tracing::info!(migration = name, "applying migration");
        tx.execute_batch(sql).map_err(|e| StoreError::Database(format!("migration {name} failed: {e}")))?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    if current < 3 {
        // A new database starts with the default SLA policies.
        for (position, policy) in firebreak_domain::sla::default_policies().into_iter().enumerate() {
            let config = serde_json::to_string(&policy).map_err(|e| StoreError::Database(e.to_string()))?;
            tx.execute(
                "INSERT INTO sla_policies (position, name, config) VALUES (?1, ?2, ?3)",
                rusqlite::params![position as i64, policy.name, config],
            )?;
        }
    }
    tx.commit()?;
    Ok(LATEST - current)
}
