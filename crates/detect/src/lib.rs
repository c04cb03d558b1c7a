//! Firebreak detect: the streaming detectors behind "sparks and bursts".
//!
//! - [`BurstDetector`] watches keys (such as `topic=cancelled flight|brand=united`)
//!   in fixed time buckets and raises a [`BurstAlert`] when a key's count is
//!   far above what its own seasonal baseline expects.
//! - [`EmergingTerms`] keeps a bounded heavy-hitter sketch of terms per bucket,
//!   so that topics nobody configured can be found, and says which grew most.
//! - [`SparkTracker`] scores single posts by negativity, reach, markers and how
//!   fast their engagement grows, and raises one [`SparkAlert`] per post.
//! - [`TopicCatalogue`] and [`terms_of`] read what a message is about off its
//!   words: the topics keys are made of, and the terms the sketch counts.
//!
//! The crate is pure: no files, network, SQL or clock. Time is given by the
//! caller as a [`firebreak_domain::Timestamp`], and every structure has a
//! memory cap set in its configuration.

mod burst;
mod hash;
mod heavy;
mod poisson;
mod spark;
mod topics;

pub use burst::{BurstAlert, BurstConfig, BurstDetector, SPARKLINE_LEN};
pub use heavy::{EmergingTerms, HeavyHitters, TermCount, TermGrowth};
pub use poisson::poisson_upper_tail;
pub use spark::{Engagement, SparkAlert, SparkConfig, SparkSignals, SparkTracker};
pub use topics::{TopicCatalogue, TopicRule, default_topics, terms_of};

/// A configuration that cannot work, with the rule it broke.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("{field} must be {rule}")]
    Invalid { field: &'static str, rule: &'static str },
}

impl ConfigError {
    pub(crate) fn invalid(field: &'static str, rule: &'static str) -> Self {
        ConfigError::Invalid { field, rule }
    }
}
