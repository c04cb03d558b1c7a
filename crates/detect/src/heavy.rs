//! Emerging terms (placeholder, filled in next).
pub struct EmergingTerms;
pub struct HeavyHitters;
pub struct TermCount;
pub struct TermGrowth;
