//! Sparks (placeholder, filled in next).
pub struct Engagement;
pub struct SparkAlert;
pub struct SparkConfig;
pub struct SparkSignals;
pub struct SparkTracker;
