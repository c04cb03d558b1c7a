//! Evaluation on the airline test split: accuracy, macro-F1, per-class
//! precision, recall and F1 and the confusion matrix, for the model and for
//! the lexicon baseline side by side; and the cross-airline check (train on
//! five airlines, test on the sixth). Timing is the caller's: this crate has
//! no clock.

use std::fmt;

use firebreak_domain::Channel;

use crate::Triager;
use crate::data::{AirlineRow, DataError, read_airline};
use crate::features::Analysis;
use crate::judgement::Sentiment;
use crate::train::{TrainOptions, TrainingSources, predict_sentiment, train_rows};

/// A confusion matrix over the three sentiment classes: rows are the gold
/// labels, columns the predictions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confusion {
    pub matrix: [[u32; 3]; 3],
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// How many test rows have this gold label.
    pub support: u32,
}

impl Confusion {
    pub fn add(&mut self, gold: Sentiment, predicted: Sentiment) {
        self.matrix[gold.index()][predicted.index()] += 1;
    }

    pub fn total(&self) -> u32 {
        self.matrix.iter().flatten().sum()
    }

    pub fn accuracy(&self) -> f64 {
        let right: u32 = (0..3).map(|i| self.matrix[i][i]).sum();
        ratio(right, self.total())
    }

    pub fn class(&self, c: Sentiment) -> ClassScores {
        let i = c.index();
        let tp = self.matrix[i][i];
        let predicted: u32 = (0..3).map(|g| self.matrix[g][i]).sum();
        let support: u32 = self.matrix[i].iter().sum();
        let precision = ratio(tp, predicted);
        let recall = ratio(tp, support);
        let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
        ClassScores { precision, recall, f1, support }
    }

    /// The unweighted mean of the three classes' F1.
    pub fn macro_f1(&self) -> f64 {
        Sentiment::ALL.iter().map(|c| self.class(*c).f1).sum::<f64>() / 3.0
    }

    /// The unweighted mean of the three classes' recall.
    pub fn macro_recall(&self) -> f64 {
        Sentiment::ALL.iter().map(|c| self.class(*c).recall).sum::<f64>() / 3.0
    }

    fn merge(&mut self, other: &Confusion) {
        for g in 0..3 {
            for p in 0..3 {
                self.matrix[g][p] += other.matrix[g][p];
            }
        }
    }
}

fn ratio(a: u32, b: u32) -> f64 {
    if b == 0 { 0.0 } else { f64::from(a) / f64::from(b) }
}

impl fmt::Display for Confusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "  accuracy {:.4}   macro-F1 {:.4}   macro-recall {:.4}",
            self.accuracy(),
            self.macro_f1(),
            self.macro_recall()
        )?;
        writeln!(f, "  {:<10} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "F1", "support")?;
        for c in Sentiment::ALL {
            let s = self.class(c);
            writeln!(f, "  {:<10} {:>9.4} {:>9.4} {:>9.4} {:>8}", c.as_str(), s.precision, s.recall, s.f1, s.support)?;
        }
        writeln!(f, "  confusion (rows gold, columns predicted):")?;
        writeln!(f, "  {:<10} {:>9} {:>9} {:>9}", "", "negative", "neutral", "positive")?;
        for c in Sentiment::ALL {
            let row = &self.matrix[c.index()];
            writeln!(f, "  {:<10} {:>9} {:>9} {:>9}", c.as_str(), row[0], row[1], row[2])?;
        }
        Ok(())
    }
}

/// The figures of one evaluation on the airline test split.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    /// The number of test rows (after removing repeated ids).
    pub rows: usize,
    pub model: Confusion,
    /// The lexicon baseline (VADER-like) on the same rows.
    pub lexicon: Confusion,
    /// Messages per second of the whole judgement, when the caller timed it.
    pub messages_per_second: Option<f64>,
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "airline test split (tweet_id % 5 == 0, ids deduplicated): {} messages", self.rows)?;
        writeln!(f, "model:")?;
        write!(f, "{}", self.model)?;
        writeln!(f, "lexicon baseline (VADER-like, thresholds ±0.05):")?;
        write!(f, "{}", self.lexicon)?;
        if let Some(rate) = self.messages_per_second {
            writeln!(f, "speed: {rate:.0} messages/s (whole judgement)")?;
        }
        Ok(())
    }
}

/// The test rows of the airline data set, as the README defines them.
pub fn airline_test_rows(csv_bytes: &[u8]) -> Result<Vec<AirlineRow>, DataError> {
    Ok(read_airline(csv_bytes)?.into_iter().filter(AirlineRow::is_test).collect())
}

/// Evaluates a triager's sentiment (from its whole judgement, as served)
/// and the lexicon baseline on the airline test split of `Tweets.csv`
/// (given as bytes). The caller may time it and set `messages_per_second`.
pub fn evaluate_airline(triager: &Triager, csv_bytes: &[u8]) -> Result<EvalReport, DataError> {
    let rows = airline_test_rows(csv_bytes)?;
    let mut model = Confusion::default();
    let mut lexicon = Confusion::default();
    for r in &rows {
        model.add(r.sentiment, triager.judge(&r.text, Channel::X).sentiment);
        lexicon.add(r.sentiment, crate::baseline::lexicon_sentiment(&r.text));
    }
    Ok(EvalReport { rows: rows.len(), model, lexicon, messages_per_second: None })
}

/// The cross-airline check: for each airline, a model trained on the
/// training rows of the other five, tested on every row of that airline.
#[derive(Debug, Clone, PartialEq)]
pub struct CrossAirlineReport {
    pub folds: Vec<(String, Confusion)>,
    /// All folds' predictions together.
    pub pooled: Confusion,
}

impl CrossAirlineReport {
    /// The mean of the folds' macro-F1.
    pub fn mean_macro_f1(&self) -> f64 {
        self.folds.iter().map(|(_, c)| c.macro_f1()).sum::<f64>() / self.folds.len().max(1) as f64
    }
}

impl fmt::Display for CrossAirlineReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "cross-airline hold-out (train on five airlines' training rows, test on all rows of the sixth):")?;
        for (airline, c) in &self.folds {
            writeln!(
                f,
                "  {:<15} {:>5} rows  accuracy {:.4}  macro-F1 {:.4}",
                airline,
                c.total(),
                c.accuracy(),
                c.macro_f1()
            )?;
        }
        writeln!(f, "  mean of folds macro-F1 {:.4}", self.mean_macro_f1())?;
        writeln!(f, "pooled over folds:")?;
        write!(f, "{}", self.pooled)
    }
}

/// Runs the cross-airline check with the given training options.
pub fn cross_airline(sources: &TrainingSources<'_>, opts: &TrainOptions) -> Result<CrossAirlineReport, DataError> {
    let rows = read_airline(sources.airline_csv)?;
    let mut airlines: Vec<String> = rows.iter().map(|r| r.airline.clone()).collect();
    airlines.sort();
    airlines.dedup();
    let mut report = CrossAirlineReport { folds: Vec::new(), pooled: Confusion::default() };
    let mut a = Analysis::new();
    for airline in airlines {
        let train: Vec<&AirlineRow> = rows.iter().filter(|r| !r.is_test() && r.airline != airline).collect();
        let model = train_rows(&train, opts);
        let mut c = Confusion::default();
        for r in rows.iter().filter(|r| r.airline == airline) {
            c.add(r.sentiment, predict_sentiment(&model, &mut a, &r.text));
        }
        report.pooled.merge(&c);
        report.folds.push((airline, c));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn computes_the_textbook_figures() {
        let mut c = Confusion::default();
        for _ in 0..8 {
            c.add(Sentiment::Negative, Sentiment::Negative);
        }
        c.add(Sentiment::Negative, Sentiment::Neutral);
        c.add(Sentiment::Neutral, Sentiment::Neutral);
        c.add(Sentiment::Positive, Sentiment::Negative);
        assert_eq!(c.total(), 11);
        assert!((c.accuracy() - 9.0 / 11.0).abs() < 1e-12);
        let neg = c.class(Sentiment::Negative);
        assert!((neg.precision - 8.0 / 9.0).abs() < 1e-12);
        assert!((neg.recall - 8.0 / 9.0).abs() < 1e-12);
        assert_eq!(c.class(Sentiment::Positive).f1, 0.0);
        let text = c.to_string();
        assert!(text.contains("macro-F1"));
        assert!(text.contains("positive"));
    }
}
