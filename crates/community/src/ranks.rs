//! Ranks and badges from configurable rules.
//!
//! A member's [`Totals`] (points earned, accepted solutions, kudos received,
//! posts, shipped ideas) decide both. Ranks are a ladder: the member holds
//! the highest rank whose every minimum they meet. Badges are independent
//! milestones: a member holds every badge whose threshold they reached.
//! Points for ranks are the points *earned* (awards that were not
//! reversed), not the balance, so spending points never costs a member their
//! rank, and a removed post's points never count.

use serde::{Deserialize, Serialize};

use crate::validate::Invalid;

/// What a member has done, as counted for ranks and badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Points from awards that were not reversed (redemptions do not count).
    pub points_earned: i64,
    /// Replies accepted as a question's solution.
    pub solutions: u64,
    /// Kudos received on visible posts.
    pub kudos_received: u64,
    pub posts: u64,
    pub ideas_shipped: u64,
}

/// One step of the ladder. A missing minimum is zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankRule {
    pub name: String,
    #[serde(default)]
    pub min_points: i64,
    #[serde(default)]
    pub min_solutions: u64,
    #[serde(default)]
    pub min_kudos: u64,
}

/// A rank a member holds, with its place on the ladder (0 is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rank<'a> {
    pub level: usize,
    pub name: &'a str,
}

/// What a badge counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    PointsEarned,
    Solutions,
    KudosReceived,
    Posts,
    IdeasShipped,
}

impl Metric {
    fn of(self, t: &Totals) -> i64 {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        match self {
            Metric::PointsEarned => t.points_earned,
            Metric::Solutions => clamp(t.solutions),
            Metric::KudosReceived => clamp(t.kudos_received),
            Metric::Posts => clamp(t.posts),
            Metric::IdeasShipped => clamp(t.ideas_shipped),
        }
    }
}

/// A badge earned once `metric` reaches `at_least`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadgeRule {
    /// A stable key (`first_solution`), for pages and the API.
    pub key: String,
    pub name: String,
    pub metric: Metric,
    pub at_least: i64,
}

/// A badge a member holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Badge<'a> {
    pub key: &'a str,
    pub name: &'a str,
}

/// The community's rules for ranks and badges, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RankRules {
    /// From the lowest rank to the highest.
    pub ranks: Vec<RankRule>,
    #[serde(default)]
    pub badges: Vec<BadgeRule>,
}

impl Default for RankRules {
    fn default() -> Self {
        let rank = |name: &str, min_points, min_solutions, min_kudos| RankRule {
            name: name.into(),
            min_points,
            min_solutions,
            min_kudos,
        };
        let badge = |key: &str, name: &str, metric, at_least| BadgeRule {
            key: key.into(),
            name: name.into(),
            metric,
            at_least,
        };
        RankRules {
            ranks: vec![
                rank("Newcomer", 0, 0, 0),
                rank("Contributor", 50, 0, 0),
                rank("Helper", 200, 10, 0),
                rank("Expert", 1_000, 100, 250),
                rank("Legend", 10_000, 1_000, 2_500),
            ],
            badges: vec![
                badge("first_post", "First post", Metric::Posts, 1),
                badge("first_solution", "First solution", Metric::Solutions, 1),
                badge("ten_kudos", "10 kudos", Metric::KudosReceived, 10),
                badge("hundred_solutions", "100 solutions", Metric::Solutions, 100),
                badge("idea_shipped", "Idea shipped", Metric::IdeasShipped, 1),
            ],
        }
    }
}

impl RankRules {
    /// Checks the rules: at least one rank, the first open to everyone,
    /// names and badge keys unique and non-empty, minimums not negative and
    /// never falling from one rank to the next.
    pub fn check(&self) -> Result<(), Invalid> {
        let bad = |code, message: String| Err(Invalid::new("ranks", code, message));
        let Some(first) = self.ranks.first() else {
            return bad("no_ranks", "give at least one rank".into());
        };
        if first.min_points > 0 || first.min_solutions > 0 || first.min_kudos > 0 {
            return bad("first_rank_not_open", format!("the first rank, {}, must have no minimums", first.name));
        }
        let mut names = std::collections::HashSet::new();
        for r in &self.ranks {
            if r.name.trim().is_empty() || !names.insert(r.name.as_str()) {
                return bad("invalid_rank_name", format!("rank names must be non-empty and unique: {:?}", r.name));
            }
            if r.min_points < 0 {
                return bad("negative_minimum", format!("rank {} has a negative minimum", r.name));
            }
        }
        for w in self.ranks.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            if b.min_points < a.min_points || b.min_solutions < a.min_solutions || b.min_kudos < a.min_kudos {
                return bad(
                    "ranks_out_of_order",
                    format!("rank {} asks less than the rank below it, {}", b.name, a.name),
                );
            }
        }
        let mut keys = std::collections::HashSet::new();
        for b in &self.badges {
            let key_ok =
                !b.key.is_empty() && b.key.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_');
            if !key_ok || !keys.insert(b.key.as_str()) || b.name.trim().is_empty() {
                return Err(Invalid::new(
                    "badges",
                    "invalid_badge",
                    format!("badge keys are unique snake_case and names non-empty: {:?}", b.key),
                ));
            }
        }
        Ok(())
    }

    /// The highest rank whose every minimum `t` meets (the first rank when
    /// none is met, which [`RankRules::check`] makes open to everyone).
    pub fn rank_for(&self, t: &Totals) -> Option<Rank<'_>> {
        self.ranks
            .iter()
            .enumerate()
            .rfind(|(_, r)| {
                t.points_earned >= r.min_points && t.solutions >= r.min_solutions && t.kudos_received >= r.min_kudos
            })
            .map(|(level, r)| Rank { level, name: &r.name })
    }

    /// Every badge `t` has earned, in the order configured.
    pub fn badges_for(&self, t: &Totals) -> Vec<Badge<'_>> {
        self.badges
            .iter()
            .filter(|b| b.metric.of(t) >= b.at_least)
            .map(|b| Badge { key: &b.key, name: &b.name })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(points: i64, solutions: u64, kudos: u64) -> Totals {
        Totals { points_earned: points, solutions, kudos_received: kudos, ..Totals::default() }
    }

    #[test]
    fn the_default_ladder() {
        let r = RankRules::default();
        r.check().unwrap();
        assert_eq!(r.rank_for(&Totals::default()).unwrap().name, "Newcomer");
        assert_eq!(r.rank_for(&totals(50, 0, 0)).unwrap().name, "Contributor");
        assert_eq!(r.rank_for(&totals(49, 0, 0)).unwrap().name, "Newcomer");
        // Every minimum must be met: many points but few solutions stays low.
        assert_eq!(r.rank_for(&totals(1_000_000, 9, 0)).unwrap().name, "Contributor");
        assert_eq!(r.rank_for(&totals(10_000, 1_000, 2_500)).unwrap(), Rank { level: 4, name: "Legend" });
        assert_eq!(r.rank_for(&totals(10_000, 999, 2_500)).unwrap().name, "Expert");
    }

    #[test]
    fn rules_from_configuration() {
        let r: RankRules = toml::from_str(
            r#"
            [[ranks]]
            name = "Member"
            [[ranks]]
            name = "Legend"
            min_solutions = 1000
            [[badges]]
            key = "first_solution"
            name = "First solution"
            metric = "solutions"
            at_least = 1
            [[badges]]
            key = "ten_kudos"
            name = "10 kudos"
            metric = "kudos_received"
            at_least = 10
            "#,
        )
        .unwrap();
        r.check().unwrap();
        assert_eq!(r.rank_for(&totals(0, 999, 0)).unwrap().name, "Member");
        assert_eq!(r.rank_for(&totals(0, 1_000, 0)).unwrap().name, "Legend");
        let keys = |t: Totals| r.badges_for(&t).iter().map(|b| b.key).collect::<Vec<_>>();
        assert_eq!(keys(totals(0, 0, 0)), Vec::<&str>::new());
        assert_eq!(keys(totals(0, 1, 9)), vec!["first_solution"]);
        assert_eq!(keys(totals(0, 1, 10)), vec!["first_solution", "ten_kudos"]);
    }

    #[test]
    fn bad_rules_are_refused() {
        let mut r = RankRules::default();
        r.ranks.swap(1, 2);
        assert_eq!(r.check().unwrap_err().code, "ranks_out_of_order");
        let mut r = RankRules::default();
        r.ranks[0].min_points = 1;
        assert_eq!(r.check().unwrap_err().code, "first_rank_not_open");
        let r = RankRules { ranks: vec![], badges: vec![] };
        assert_eq!(r.check().unwrap_err().code, "no_ranks");
        let mut r = RankRules::default();
        r.badges[1].key = "first_post".into();
        assert_eq!(r.check().unwrap_err().code, "invalid_badge");
        assert!(toml::from_str::<RankRules>("ranks = []\nextra = 1").is_err());
    }
}
