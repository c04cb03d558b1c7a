//! The community's story in a real browser (headless Chromium through
//! chromedriver) against the real binary, with its verification emails
//! going to a fake SMTP server on loopback: a supervisor makes a board; Ann
//! and Bob sign up and confirm their emails; Ann asks two questions; Bob
//! answers; Ann accepts both answers and gives kudos; Bob's points arrive
//! and his rank changes; Bob redeems points as account credit; the ledger
//! balances to zero across accounts (through the API); a moderator hides an
//! answer and its points are reversed. Screenshots go to
//! `FIREBREAK_E2E_ARTIFACTS`. Skips, saying so, without Chromium unless
//! `FIREBREAK_E2E_REQUIRED=1`.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

use super::{TOKEN, artifacts, start_server_with, webdriver::Driver, webdriver::Session};

type Mailbox = Arc<Mutex<Vec<String>>>;

/// An SMTP sink on loopback that keeps every message's DATA.
async fn smtp_sink() -> (u16, Mailbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mailbox: Mailbox = Arc::default();
    let kept = mailbox.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                loop {
                    let mut line = String::new();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        break;
                    }
                    let upper = line.trim_end().to_ascii_uppercase();
                    if upper.starts_with("EHLO") {
                        write.write_all(b"250-sink.test\r\n250 8BITMIME\r\n").await.unwrap();
                    } else if upper == "DATA" {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if read.read_line(&mut l).await.unwrap_or(0) == 0 || l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        kept.lock().unwrap().push(data);
                        write.write_all(b"250 2.0.0 queued\r\n").await.unwrap();
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        write.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, mailbox)
}

/// The verification link mailed to `email`.
async fn link_for(mailbox: &Mailbox, email: &str) -> String {
    for _ in 0..100 {
        let found = mailbox.lock().unwrap().iter().find(|m| m.contains(email)).cloned();
        if let Some(m) = found {
            let decoded = m.replace("=\r\n", "").replace("=3D", "=");
            let at = decoded.find("http").expect("a link in the mail");
            return decoded[at..].split_whitespace().next().unwrap().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no verification mail to {email}");
}

const MEMBER_PASSWORD: &str = "a member's long password";
const WAIT: Duration = Duration::from_secs(10);

async fn wait_path(s: &Session, what: &str, prefix: &str) {
    s.wait_for(what, &format!("return location.pathname.startsWith('{prefix}')"), WAIT).await;
}

async fn sign_up(s: &Session, base: &str, mailbox: &Mailbox, email: &str, name: &str) {
    s.delete_cookie("firebreak_member").await;
    s.delete_cookie("firebreak_session").await;
    s.goto(&format!("{base}/community/signup")).await;
    s.type_into(&s.find("#email").await, email).await;
    s.type_into(&s.find("#display_name").await, name).await;
    s.type_into(&s.find("#password").await, &format!("{MEMBER_PASSWORD}\u{E007}")).await;
    s.wait_for("the mail to be sent", "return !!document.getElementById('verify-sent')", WAIT).await;
    let link = link_for(mailbox, email).await;
    s.goto(&link).await;
    s.wait_for("the confirmation", "return location.search.includes('done=verified')", WAIT).await;
}

async fn member_sign_in(s: &Session, base: &str, email: &str) {
    s.delete_cookie("firebreak_member").await;
    s.delete_cookie("firebreak_session").await;
    s.goto(&format!("{base}/community/login")).await;
    s.type_into(&s.find("#email").await, email).await;
    s.type_into(&s.find("#password").await, &format!("{MEMBER_PASSWORD}\u{E007}")).await;
    s.wait_for("the community after signing in", "return location.pathname === '/community'", WAIT).await;
}

async fn staff_sign_in(s: &Session, base: &str, email: &str) {
    s.delete_cookie("firebreak_member").await;
    s.delete_cookie("firebreak_session").await;
    s.goto(&format!("{base}/login?next=/community")).await;
    s.type_into(&s.find("#email").await, email).await;
    s.type_into(&s.find("#password").await, "firebreak-demo\u{E007}").await;
    s.wait_for("the community after signing in", "return location.pathname === '/community'", WAIT).await;
}

/// Asks a question on the board; answers the topic's path.
async fn ask(s: &Session, base: &str, title: &str, body: &str) -> String {
    s.goto(&format!("{base}/community/b/help")).await;
    s.type_into(&s.find("#ask-title").await, title).await;
    s.type_into(&s.find("#ask-body").await, body).await;
    s.eval("document.getElementById('ask').requestSubmit(); return true;").await;
    wait_path(s, "the new topic", "/community/t/").await;
    s.eval("return location.pathname").await.as_str().unwrap().to_owned()
}

async fn api(base: &str, path: &str) -> Value {
    let resp = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_help_each_other_earn_points_and_redeem_them_in_the_browser() {
    let Some(driver) = Driver::start().await else { return };
    let (smtp_port, mailbox) = smtp_sink().await;
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[outbound.smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\nfrom = \"community@demo.firebreak.example\"\n"
    );
    let server = start_server_with(dir.path(), &config);
    let base = server.url.clone();
    let shots = artifacts();
    std::fs::create_dir_all(&shots).unwrap();
    let s = driver.session().await;

    // A supervisor makes the board.
    staff_sign_in(&s, &base, "supervisor@demo.firebreak.example").await;
    s.type_into(&s.find("#board-slug").await, "help").await;
    s.type_into(&s.find("#board-name").await, "Help with your broadband").await;
    s.eval("document.getElementById('new-board').requestSubmit(); return true;").await;
    wait_path(&s, "the new board", "/community/b/help").await;

    // Ann and Bob join.
    sign_up(&s, &base, &mailbox, "ann@example.com", "Ann").await;
    sign_up(&s, &base, &mailbox, "bob@example.com", "Bob").await;

    // Ann asks two questions.
    member_sign_in(&s, &base, "ann@example.com").await;
    let first = ask(&s, &base, "Router light blinks red", "Since this morning. What does it mean?").await;
    let second = ask(&s, &base, "Wi-Fi drops at 2 am", "Every night, for a minute.").await;

    // Bob answers both.
    member_sign_in(&s, &base, "bob@example.com").await;
    let bob_id =
        s.eval("return document.querySelector('header.top a.who').getAttribute('href').split('/').pop()").await;
    let bob_id = bob_id.as_str().unwrap().to_owned();
    for (topic, text) in
        [(&first, "Red means no line sync: check the DSL cable."), (&second, "Turn off the nightly channel scan.")]
    {
        s.goto(&format!("{base}{topic}")).await;
        s.type_into(&s.find("#reply-body").await, text).await;
        s.eval("document.getElementById('reply').requestSubmit(); return true;").await;
        s.wait_for("the reply", "return location.search.includes('done=replied')", WAIT).await;
    }
    s.goto(&format!("{base}/community/points")).await;
    assert_eq!(s.text("#rank").await, "Newcomer");

    // Ann accepts both answers and gives kudos.
    member_sign_in(&s, &base, "ann@example.com").await;
    for topic in [&first, &second] {
        s.goto(&format!("{base}{topic}")).await;
        s.click(&s.find("button.accept").await).await;
        s.wait_for("the solution", "return location.search.includes('done=accepted')", WAIT).await;
        s.click(&s.find("article.post.solution button.kudos-button").await).await;
        s.wait_for("the kudos", "return location.search.includes('done=kudos')", WAIT).await;
    }
    let solution_kudos = s.text("article.post.solution .kudos").await;
    assert_eq!(solution_kudos, "1 kudos");
    assert!(s.text("article.post.solution").await.contains("Accepted solution"));
    s.screenshot(&shots.join("community-topic.png")).await;

    // Bob's points arrived and his rank changed; he redeems 20 as credit.
    member_sign_in(&s, &base, "bob@example.com").await;
    s.goto(&format!("{base}/community/points")).await;
    assert_eq!(s.text("#rank").await, "Contributor", "60 points earned");
    assert_eq!(s.eval("return document.getElementById('balance').dataset.balance").await, "60");
    s.type_into(&s.find("#redeem-amount").await, "20\u{E007}").await;
    s.wait_for("the redemption", "return location.search.includes('done=redeemed')", WAIT).await;
    assert_eq!(s.eval("return document.getElementById('balance').dataset.balance").await, "40");
    s.screenshot(&shots.join("community-points.png")).await;

    // The books balance to zero across every account.
    let ledger = api(&base, "/api/v1/community/ledger").await;
    assert_eq!(ledger["sum"], 0, "{ledger}");
    assert_eq!(ledger["unbalanced_transactions"], 0, "{ledger}");
    let accounts = ledger["accounts"].as_array().unwrap();
    let balance = |name: &str| accounts.iter().find(|a| a[0] == name).map(|a| a[1].as_i64().unwrap()).unwrap_or(0);
    assert_eq!(balance("redemption:credit"), 20, "{ledger}");
    assert_eq!(balance(&format!("member:{bob_id}")), 40, "{ledger}");

    // A moderator hides the first answer: its solution and kudos points are
    // reversed, and the books still balance.
    staff_sign_in(&s, &base, "supervisor@demo.firebreak.example").await;
    s.goto(&format!("{base}{first}")).await;
    let hide_form = "article.post.solution form.hide";
    s.type_into(&s.find(&format!("{hide_form} input[name=reason]")).await, "Unsafe advice").await;
    s.eval(&format!("document.querySelector('{hide_form}').requestSubmit(); return true;")).await;
    s.wait_for("the post to be hidden", "return location.search.includes('done=hidden')", WAIT).await;
    s.goto(&format!("{base}/community/mod")).await;
    assert!(s.text("#moderation-log").await.contains("hide_post"));
    s.screenshot(&shots.join("community-moderation.png")).await;
    let ledger = api(&base, "/api/v1/community/ledger").await;
    assert_eq!(ledger["sum"], 0, "{ledger}");
    let accounts = ledger["accounts"].as_array().unwrap();
    let bob_balance = accounts.iter().find(|a| a[0] == format!("member:{bob_id}")).map(|a| a[1].as_i64().unwrap());
    assert_eq!(bob_balance, Some(10), "40 less the 30 the hidden answer earned: {ledger}");
    let profile = api(&base, &format!("/api/v1/community/members/{bob_id}")).await;
    assert_eq!(profile["totals"]["points_earned"], 30, "{profile}");
    assert_eq!(profile["rank"], "Newcomer", "{profile}");
    s.close().await;
    drop(server);
}
