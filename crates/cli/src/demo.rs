//! The demo data set that `serve --demo` loads: a day in the life of a
//! fictional broadband provider, written for Firebreak (not taken from any
//! real people), across every channel, with threads and an outage.

use firebreak_channels::{customers_csv, normalised};
use firebreak_domain::staff::Role;
use firebreak_engine::{Engine, EngineError};
use firebreak_store::StoreError;

const MESSAGES: &str = include_str!("../demo/messages.jsonl");
const CUSTOMERS: &str = include_str!("../demo/customers.csv");

pub struct Loaded {
    pub messages: usize,
    pub customers: usize,
}

/// Loads the demo set. Idempotent: a second load stores nothing new.
pub async fn load(engine: &Engine) -> anyhow::Result<Loaded> {
    let mut messages = Vec::new();
    for (i, line) in MESSAGES.lines().enumerate() {
        let m = normalised::parse_item(line.as_bytes())
            .map_err(|p| anyhow::anyhow!("demo message {} is invalid: {:?}", i + 1, p))?;
        messages.push(m);
    }
    let customers: Vec<_> = customers_csv::read(CUSTOMERS.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("the demo customers are invalid: {e}"))?;
    let n = (messages.len(), customers.len());
    // The company's records first, so that messages are tied to them.
    engine.store().upsert_customers(customers).await?;
    engine.ingest(messages).await?;
    Ok(Loaded { messages: n.0, customers: n.1 })
}

/// The demo's password for every demo account. Printed by `serve --demo`;
/// a real deployment makes its accounts with `firebreak user add`.
pub const DEMO_PASSWORD: &str = "firebreak-demo";

/// One demo account per role; returns (email, role) of each. Idempotent.
pub async fn accounts(engine: &Engine) -> anyhow::Result<Vec<(String, Role)>> {
    let mut out = Vec::new();
    for role in Role::ALL {
        let email = format!("{}@demo.firebreak.example", role.as_str());
        let name = format!("Demo {}", role.as_str());
        match engine.add_staff(&email, &name, role, None, DEMO_PASSWORD).await {
            Ok(_) => {}
            Err(EngineError::Store(StoreError::Invalid { code: "already_exists", .. })) => {}
            Err(e) => return Err(e.into()),
        }
        out.push((email, role));
    }
    Ok(out)
}
