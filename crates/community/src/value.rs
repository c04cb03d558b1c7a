//! The value of the community, as an estimate: every view of a question's
//! accepted solution is a contact that might have reached an agent, some
//! share of which (the deflection rate) really would have; each of those
//! would have cost the configured amount.
//!
//! The rate and the cost are the company's own assumptions (from a survey,
//! or "did this answer your question?"), so they are configuration, and the
//! report says which were used.

use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

/// The assumptions behind the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueConfig {
    /// The share of solution views that would otherwise have been a
    /// contact, 0 to 1.
    pub deflection_rate: f64,
    /// What one contact costs, in the currency's minor unit (cents).
    pub cost_per_contact_cents: u64,
}

impl Default for ValueConfig {
    /// A deliberately modest default: one view in ten saves a contact of
    /// four dollars (the industry's figures run from $3 to $5 a contact).
    fn default() -> Self {
        ValueConfig { deflection_rate: 0.1, cost_per_contact_cents: 400 }
    }
}

/// The most a contact may be said to cost (a million in major units).
pub const MAX_COST_CENTS: u64 = 100_000_000;

impl ValueConfig {
    pub fn check(&self) -> Result<(), Invalid> {
        if !(0.0..=1.0).contains(&self.deflection_rate) {
            return Err(Invalid::new("deflection_rate", "invalid_rate", "the deflection rate is 0 to 1"));
        }
        if self.cost_per_contact_cents > MAX_COST_CENTS {
            return Err(Invalid::new(
                "cost_per_contact_cents",
                "invalid_cost",
                "the cost per contact is at most 100,000,000 cents",
            ));
        }
        Ok(())
    }

    /// The contacts `views` solution views are estimated to have deflected.
    pub fn deflected(&self, views: u64) -> f64 {
        views as f64 * self.deflection_rate
    }

    /// What those contacts would have cost, in cents, rounded.
    pub fn saved_cents(&self, views: u64) -> u64 {
        (self.deflected(views) * self.cost_per_contact_cents as f64).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_estimate_is_views_times_rate_times_cost() {
        let c = ValueConfig { deflection_rate: 0.25, cost_per_contact_cents: 350 };
        assert_eq!(c.deflected(1_000), 250.0);
        assert_eq!(c.saved_cents(1_000), 87_500);
        assert_eq!(c.saved_cents(0), 0);
        assert!(ValueConfig { deflection_rate: 1.5, ..c }.check().is_err());
        assert!(ValueConfig { deflection_rate: f64::NAN, ..c }.check().is_err());
        assert!(ValueConfig { cost_per_contact_cents: MAX_COST_CENTS + 1, ..c }.check().is_err());
        assert!(c.check().is_ok());
        let read: ValueConfig = toml::from_str("deflection_rate = 0.3").unwrap();
        assert_eq!(read.cost_per_contact_cents, 400);
    }

    proptest! {
        /// Per-member estimates add up to the total's (within rounding).
        #[test]
        fn the_parts_add_up(views in proptest::collection::vec(0u64..1_000_000, 0..20), rate in 0.0f64..=1.0, cost in 0u64..10_000) {
            let c = ValueConfig { deflection_rate: rate, cost_per_contact_cents: cost };
            let parts: u64 = views.iter().map(|v| c.saved_cents(*v)).sum();
            let total = c.saved_cents(views.iter().sum());
            prop_assert!(parts.abs_diff(total) <= views.len() as u64);
            prop_assert!(total as f64 <= views.iter().sum::<u64>() as f64 * cost as f64 + 1.0);
        }
    }
}
