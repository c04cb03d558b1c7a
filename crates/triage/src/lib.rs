//! Firebreak triage: text in, judgement out. For each message (text and
//! channel) a [`Triager`] gives sentiment with a score, intent and whether it
//! complains, urgency with reasons, entities with byte spans, language, spam,
//! and the words that drove the judgement.
//!
//! The crate is pure: no files, network, clock or environment. The model
//! ships inside it (`model/triage.fbm`, read with [`Triager::builtin`]); a
//! model file written by [`Model::to_bytes`] is read with
//! [`Triager::from_model_bytes`]. Training ([`train`]) and evaluation
//! ([`evaluate_airline`], [`cross_airline`], [`evaluate_labels`]) take the
//! bytes of the data files; the caller opens them and times the runs.
//!
//! How it reads a message: the first [`MAX_JUDGED_BYTES`] bytes are
//! tokenised (mentions and URLs become placeholders, so the model learns no
//! airline names); hashed word uni- and bigrams with negation scope,
//! character n-grams and lexicon features feed a linear model with a
//! sentiment head and an intent head; rules find urgency, entities, language
//! and spam.

mod ascii;
mod baseline;
mod catalogue;
mod data;
mod entities;
mod eval;
mod features;
mod hash;
mod intent;
/// The judgement types live in the domain crate (the store keeps them with
/// each message); triage produces them.
mod judgement {
    pub use firebreak_domain::judgement::*;
}
mod labels;
mod language;
mod lexicon;
mod lexscore;
mod model;
mod pattern;
mod phrases;
mod score;
mod spam;
mod tokenize;
mod train;
mod triager;
mod urgent;
mod words;

pub use baseline::{lexicon_score, lexicon_sentiment};
pub use catalogue::{Catalogue, CatalogueConfig, CatalogueEntry};
pub use data::{AirlineRow, DataError, TwcsRow, read_airline, read_twcs};
pub use eval::{
    ClassScores, Confusion, CrossAirlineReport, EvalReport, airline_test_rows, cross_airline, evaluate_airline,
};
pub use features::FeatureConfig;
pub use judgement::{Entity, EntityKind, Intent, Judgement, Reason, Sentiment, Towards, UrgentKind, UrgentReason};
pub use labels::{Counts, LabelReport, LabelSources, evaluate_labels};
pub use model::{FORMAT_VERSION, MAGIC, Model, ModelError};
pub use pattern::{IdPattern, PatternError};
pub use train::{TrainOptions, TrainingSources, train};
pub use triager::{MAX_JUDGED_BYTES, Triager, cap};
