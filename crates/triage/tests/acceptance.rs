//! The acceptance example of the triage issue, and a few judgements an agent
//! would expect, through the public API with the shipped model.

use firebreak_domain::Channel;
use firebreak_triage::{EntityKind, Intent, Judgement, Sentiment, Towards, Triager, UrgentKind};

const EXAMPLE: &str = "@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail";

fn judge(text: &str) -> Judgement {
    Triager::builtin().judge(text, Channel::X)
}

#[test]
fn the_acceptance_example() {
    let j = judge(EXAMPLE);
    assert_eq!(j.sentiment, Sentiment::Negative);
    assert!(j.sentiment_score < -0.5);
    assert_eq!(j.intent, Intent::Complaint);
    assert!(j.complaint);
    assert!(j.urgent);
    let kinds: Vec<UrgentKind> = j.urgent_reasons.iter().map(|r| r.reason).collect();
    assert!(kinds.contains(&UrgentKind::Churn), "{j:?}");
    assert!(kinds.contains(&UrgentKind::Shaming), "{j:?}");
    let flight = j.entities.iter().find(|e| e.kind == EntityKind::FlightNumber);
    assert_eq!(flight.map(|e| (e.text.as_str(), &EXAMPLE[e.start..e.end])), Some(("AA1234", "AA1234")));
    assert_eq!(j.language, "en");
    assert!(!j.spam);
    // The reasons name words of the message, and at least one pushed towards negative.
    assert!(!j.reasons.is_empty());
    assert!(j.reasons.iter().all(|r| EXAMPLE.contains(&r.feature)), "{:?}", j.reasons);
    assert!(j.reasons.iter().any(|r| r.towards == Towards::Negative && r.weight > 0.0));
}

#[test]
fn the_acceptance_example_serialises_with_the_interface_fields() {
    let json = serde_json::to_value(judge(EXAMPLE)).unwrap_or_default();
    for field in
        ["sentiment", "sentiment_score", "intent", "complaint", "urgent", "entities", "language", "spam", "reasons"]
    {
        assert!(json.get(field).is_some(), "missing {field}: {json}");
    }
    assert_eq!(json["sentiment"], "negative");
    assert_eq!(json["intent"], "complaint");
    let back: Result<Judgement, _> = serde_json::from_value(json);
    assert!(back.is_ok_and(|b| b == judge(EXAMPLE)));
}

#[test]
fn ordinary_messages_read_as_an_agent_would() {
    let praise = judge("@united thanks so much, the crew on my flight today was amazing!");
    assert_eq!(
        (praise.sentiment, praise.intent, praise.complaint, praise.urgent),
        (Sentiment::Positive, Intent::Praise, false, false)
    );
    let question = judge("@united does flight UA 123 tomorrow have wifi?");
    assert_eq!(question.intent, Intent::Question);
    assert_ne!(question.sentiment, Sentiment::Negative);
    let suggestion = judge("@united you should add more vegetarian meals on long flights");
    assert_eq!(suggestion.intent, Intent::Suggestion);
    let safety = judge("@AmazonHelp the charger you sold me caught fire last night, my son's hand is burned");
    assert!(safety.urgent_reasons.iter().any(|r| r.reason == UrgentKind::Safety));
    let legal = judge("@comcastcares third time this month. My lawyer will be in touch.");
    assert!(legal.urgent_reasons.iter().any(|r| r.reason == UrgentKind::Legal));
    assert_eq!(legal.sentiment, Sentiment::Negative);
}

#[test]
fn a_brand_catalogue_adds_its_entities() {
    let catalogue = firebreak_triage::Catalogue::new()
        .order_pattern("ORD-#{7}")
        .map(|c| c.product("Prime", &["amazon prime"]).competitor("Walmart", &["@Walmart"]));
    assert!(catalogue.is_ok());
    let Ok(catalogue) = catalogue else { return };
    let t = Triager::builtin().with_catalogue(catalogue);
    let j = t.judge("my Amazon Prime order ORD-1234567 is late, ordering from @Walmart next time", Channel::X);
    let got: Vec<(EntityKind, &str)> = j.entities.iter().map(|e| (e.kind, e.text.as_str())).collect();
    assert!(got.contains(&(EntityKind::OrderNumber, "ORD-1234567")), "{got:?}");
    assert!(got.contains(&(EntityKind::Product, "Amazon Prime")), "{got:?}");
    assert!(got.contains(&(EntityKind::Competitor, "@Walmart")), "{got:?}");
}
