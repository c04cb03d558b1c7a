//! The SMTP transport against a sink written here: it speaks enough SMTP on
//! loopback to accept one message and records the commands and the raw DATA.
//! Checked: the envelope, AUTH PLAIN, the threading headers, RFC 2047 and
//! quoted-printable for non-ASCII, dot-stuffing, and the classification of
//! 4xx, 5xx, refused connections, silence and a missing STARTTLS.

use std::time::Duration;

use base64::Engine;
use firebreak_channels::outbound::{
    EmailThreading, OutboundConfig, OutboundReply, Retry, Secret, SmtpConfig, SmtpSecurity, Transports, Visibility,
    email::message_id_for,
};
use firebreak_domain::{Channel, Email, ExternalId, Timestamp};
use mail_parser::{HeaderValue, MessageParser};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    task::JoinHandle,
};

/// What the sink saw in one session.
#[derive(Debug, Default)]
struct Session {
    commands: Vec<String>,
    /// DATA as it arrived, dot-stuffed, without the final `.` line.
    data: Vec<u8>,
}

/// How the sink answers.
#[derive(Clone, Copy)]
struct Behaviour {
    ehlo_extras: &'static str,
    auth: &'static str,
    rcpt: &'static str,
}

const FRIENDLY: Behaviour = Behaviour {
    ehlo_extras: "250-SIZE 35882577\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
    auth: "235 2.7.0 Authentication successful\r\n",
    rcpt: "250 2.1.5 Ok\r\n",
};

/// A one-session SMTP sink on 127.0.0.1.
async fn sink(behaviour: Behaviour) -> (u16, JoinHandle<Session>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        let mut session = Session::default();
        write.write_all(b"220 sink.test ESMTP ready\r\n").await.unwrap();
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            assert!(line.ends_with("\r\n"), "commands end with CRLF: {line:?}");
            let line = line.trim_end().to_owned();
            session.commands.push(line.clone());
            let upper = line.to_ascii_uppercase();
            let answer: String = if upper.starts_with("EHLO ") {
                format!("250-sink.test greets you\r\n{}", behaviour.ehlo_extras)
            } else if upper.starts_with("AUTH ") {
                behaviour.auth.into()
            } else if upper.starts_with("MAIL FROM:") {
                "250 2.1.0 Ok\r\n".into()
            } else if upper.starts_with("RCPT TO:") {
                behaviour.rcpt.into()
            } else if upper == "DATA" {
                write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await.unwrap();
                loop {
                    let mut raw = Vec::new();
                    read.read_until(b'\n', &mut raw).await.unwrap();
                    assert!(!raw.is_empty(), "the client hung up inside DATA");
                    if raw == b".\r\n" {
                        break;
                    }
                    session.data.extend_from_slice(&raw);
                }
                "250 2.0.0 Ok: queued as 4BXYZ\r\n".into()
            } else if upper == "QUIT" {
                write.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
                break;
            } else {
                "502 5.5.2 Error: command not recognized\r\n".into()
            };
            write.write_all(answer.as_bytes()).await.unwrap();
        }
        session
    });
    (port, handle)
}

fn config(port: u16, credentials: bool) -> SmtpConfig {
    SmtpConfig {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        security: SmtpSecurity::None,
        username: credentials.then(|| "sink-user".into()),
        password: credentials.then(|| Secret::new("sink-pass")),
        from: Some(Email::parse("help@acme.test").unwrap()),
        from_name: Some("Acme Support".into()),
        timeout_secs: 5,
        ..SmtpConfig::default()
    }
}

fn transports(smtp: SmtpConfig) -> Transports {
    Transports::new(&OutboundConfig { smtp: Some(smtp), ..OutboundConfig::default() }).unwrap()
}

const GERMAN: &str = "Hallo Jürgen,\n\nIhre Bestellung ist unterwegs.\n.hidden line that starts with a dot\nGrüße";

fn reply(text: &str, subject: &str) -> OutboundReply {
    OutboundReply {
        channel: Channel::Email,
        visibility: Visibility::Private,
        text: text.into(),
        in_reply_to: Some(ExternalId::parse("CAF=parent.77@mail.example.com").unwrap()),
        recipient: None,
        email: Some(EmailThreading {
            subject: subject.into(),
            to: Email::parse("Juergen@Example.com").unwrap(),
            to_name: Some("Jürgen Müller".into()),
            from: None,
            from_name: None,
            references: vec!["<root.1@mail.example.com>".into()],
            new_thread: false,
        }),
        idempotency_key: "reply-42".into(),
    }
}

/// DATA with the dot-stuffing undone.
fn unstuffed(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for line in data.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    out
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn a_threaded_non_ascii_reply_is_delivered() {
    let (port, session) = sink(FRIENDLY).await;
    let t = transports(config(port, true));
    t.can_send(Channel::Email, Visibility::Private).unwrap();
    let delivered = t.send(&reply(GERMAN, "Ihre Bestellung – Lieferung")).await.unwrap();
    let session = session.await.unwrap();

    let ours = message_id_for("reply-42", "acme.test");
    assert_eq!(delivered.external_id.as_str(), ours);

    // The envelope, after EHLO and AUTH PLAIN.
    assert_eq!(session.commands[0], "EHLO acme.test");
    let token = session.commands[1].strip_prefix("AUTH PLAIN ").expect("AUTH PLAIN is used");
    assert_eq!(base64::engine::general_purpose::STANDARD.decode(token).unwrap(), b"\0sink-user\0sink-pass");
    let size = session.commands[2].strip_prefix("MAIL FROM:<help@acme.test> SIZE=").expect("MAIL FROM with SIZE");
    assert!(size.parse::<usize>().unwrap() > 100);
    assert_eq!(session.commands[3], "RCPT TO:<juergen@example.com>");
    assert_eq!(&session.commands[4..], ["DATA", "QUIT"]);

    // The wire: ASCII only, every line ends in CRLF, the dot line stuffed.
    assert!(session.data.is_ascii());
    assert!(session.data.windows(2).all(|w| w[1] != b'\n' || w[0] == b'\r'));
    let wire = String::from_utf8(session.data.clone()).unwrap();
    assert!(wire.contains("\r\n..hidden line that starts with a dot\r\n"), "{wire}");
    assert!(wire.contains("\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
    assert!(wire.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
    assert!(wire.contains("\r\nSubject: =?UTF-8?B?"));
    assert!(wire.contains(&format!("\r\nMessage-ID: <{ours}>\r\n")));
    assert!(wire.contains("\r\nIn-Reply-To: <CAF=parent.77@mail.example.com>\r\n"));
    assert!(wire.contains("\r\nReferences: <root.1@mail.example.com>\r\n <CAF=parent.77@mail.example.com>\r\n"));

    // A mail reader sees the subject, the names and the body as written.
    let message = unstuffed(&session.data);
    let parsed = MessageParser::default().parse(&message).unwrap();
    assert_eq!(parsed.subject(), Some("Re: Ihre Bestellung – Lieferung"));
    assert_eq!(parsed.message_id(), Some(ours.as_str()));
    assert_eq!(ids(parsed.in_reply_to()), ["CAF=parent.77@mail.example.com"]);
    assert_eq!(ids(parsed.references()), ["root.1@mail.example.com", "CAF=parent.77@mail.example.com"]);
    let from = parsed.from().and_then(|a| a.first()).unwrap();
    assert_eq!((from.name(), from.address()), (Some("Acme Support"), Some("help@acme.test")));
    assert_eq!(parsed.to().and_then(|a| a.first()).and_then(|a| a.name()), Some("Jürgen Müller"));
    let body = parsed.body_text(0).unwrap().replace("\r\n", "\n");
    assert_eq!(body.trim_end(), GERMAN);
    assert!(parsed.date().is_some_and(|d| d.is_valid()));

    // And our own inbound parser threads it under the customer's message.
    let inbound = firebreak_channels::email::parse_rfc5322(&message, Timestamp::now()).unwrap();
    assert_eq!(inbound.external_id, delivered.external_id);
    assert_eq!(inbound.in_reply_to.unwrap().as_str(), "CAF=parent.77@mail.example.com");
    assert_eq!(inbound.thread_id.unwrap().as_str(), "root.1@mail.example.com");
}

#[tokio::test]
async fn an_ascii_reply_is_seven_bit_and_dot_stuffed() {
    let (port, session) = sink(FRIENDLY).await;
    let t = transports(config(port, false));
    let text = "Line one\n.\n..two dots\nend";
    t.send(&reply(text, "Re: Refund")).await.unwrap();
    let session = session.await.unwrap();
    assert!(!session.commands.iter().any(|c| c.starts_with("AUTH")), "no credentials, no AUTH");
    let wire = String::from_utf8(session.data.clone()).unwrap();
    assert!(wire.contains("\r\nSubject: Re: Refund\r\n"));
    assert!(wire.contains("\r\nContent-Transfer-Encoding: 7bit\r\n"));
    assert!(wire.ends_with("\r\n\r\nLine one\r\n..\r\n...two dots\r\nend\r\n"), "{wire}");
    let message = unstuffed(&session.data);
    let parsed = MessageParser::default().parse(&message).unwrap();
    assert_eq!(parsed.body_text(0).unwrap().replace("\r\n", "\n").trim_end(), text);
}

#[tokio::test]
async fn smtp_replies_are_classified() {
    let cases = [
        (
            Behaviour { rcpt: "451 4.3.0 Mailbox busy, try later\r\n", ..FRIENDLY },
            "platform_unavailable",
            Retry::Transient,
        ),
        (Behaviour { rcpt: "550 5.1.1 No such user\r\n", ..FRIENDLY }, "platform_rejected", Retry::Permanent),
        (
            Behaviour { auth: "535 5.7.8 Authentication failed\r\n", ..FRIENDLY },
            "platform_unauthorized",
            Retry::Permanent,
        ),
    ];
    for (behaviour, code, retry) in cases {
        let (port, session) = sink(behaviour).await;
        let e = transports(config(port, true)).send(&reply("hi", "Order")).await.unwrap_err();
        assert_eq!((e.code(), e.retry()), (code, retry), "{e}");
        assert!(!e.to_string().contains("sink-pass"));
        session.abort();
    }
}

#[tokio::test]
async fn refused_connections_silence_and_missing_starttls() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let e = transports(config(closed, false)).send(&reply("hi", "Order")).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("network_error", Retry::Transient));

    // A server that accepts and never speaks.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 64];
        let _ = stream.read(&mut buf).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let e =
        transports(SmtpConfig { timeout_secs: 1, ..config(port, false) }).send(&reply("hi", "x")).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("timeout", Retry::Transient));
    hold.abort();

    // STARTTLS is required by default; this sink does not offer it.
    let (port, session) = sink(FRIENDLY).await;
    let starttls = SmtpConfig { security: SmtpSecurity::Starttls, ..config(port, false) };
    let e = transports(starttls).send(&reply("hi", "x")).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("transport_misconfigured", Retry::Permanent), "{e}");
    session.abort();
}

#[tokio::test]
async fn header_injection_is_refused_before_connecting() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let t = transports(config(closed, false));
    let e = t.send(&reply("hi", "Order\r\nBcc: everyone@example.com")).await.unwrap_err();
    assert_eq!((e.code(), e.retry()), ("header_line_break", Retry::Permanent));
    let mut named = reply("hi", "Order");
    named.email.as_mut().unwrap().to_name = Some("Ana\nBcc: x@y.z".into());
    assert_eq!(t.send(&named).await.unwrap_err().code(), "header_line_break");
    let no_threading = OutboundReply { email: None, ..reply("hi", "x") };
    assert_eq!(t.send(&no_threading).await.unwrap_err().code(), "missing_email_threading");
    let public = OutboundReply { visibility: Visibility::Public, ..reply("hi", "x") };
    assert_eq!(t.send(&public).await.unwrap_err().code(), "reply_not_possible");
}
