//! Snapshots of what the rules (entities, urgency, language, spam) find in a
//! few messages: these do not depend on the model, so a change in them shows
//! up here as a diff to review (`cargo insta review`).

use firebreak_domain::Channel;
use firebreak_triage::Triager;
use serde_json::json;

#[test]
fn rules_on_sample_messages() {
    let texts = [
        "@AmericanAir flight AA1234 cancelled AGAIN, 3 hours on hold, cancelling my card #fail",
        "@united my lawyer will hear about flight #4567, conf ABC12D, call me at (800) 433-7300",
        "@AmazonHelp order #112-3456789-1234567 never came to Albany, NY 12208 @CNN #boycottamazon",
        "the charger caught fire and I got hurt, mail me at jo@example.com or see https://t.co/x",
        "WIN a free iPhone!!! RT to win, follow me http://spam.example #win #free #iphone #giveaway #rt",
        "@Iberia mi vuelo está retrasado y nadie me ayuda, gracias por nada",
    ];
    let t = Triager::builtin();
    let found: Vec<_> = texts
        .iter()
        .map(|text| {
            let j = t.judge(text, Channel::X);
            json!({
                "text": text,
                "urgent_reasons": j.urgent_reasons,
                "entities": j.entities,
                "language": j.language,
                "spam": j.spam,
            })
        })
        .collect();
    insta::assert_json_snapshot!(found);
}
