//! The email transport: a small SMTP client (RFC 5321) on tokio that hands
//! one composed message to the configured relay.
//!
//! It is written here rather than taken from `lettre` because the part we
//! need is small and exact (EHLO, STARTTLS or implicit TLS, AUTH PLAIN or
//! LOGIN, MAIL FROM, RCPT TO, DATA with dot-stuffing, QUIT), because the
//! message itself must be ours to the byte (the deterministic Message-ID,
//! the threading headers, the header-injection rules of [`super::email`]),
//! and because TLS reuses what `reqwest` already brings (rustls with the
//! platform's certificate verifier) instead of a second stack.
//!
//! Replies are classified the SMTP way: 4xx is temporary (transient), 5xx is
//! a refusal (permanent; 535 to AUTH is `platform_unauthorized`). A
//! connection that breaks after the final `.` may leave a delivered message
//! unacknowledged; the retry carries the same Message-ID. Credentials are
//! sent only over TLS, or in the clear to a loopback host.

use std::{net::IpAddr, sync::Arc};

use base64::Engine;
use firebreak_domain::{ExternalId, Timestamp};
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader},
    net::TcpStream,
};
use tokio_rustls::{
    TlsConnector,
    rustls::{self, ClientConfig, pki_types::ServerName},
};

use super::{
    Delivered, OutboundReply,
    config::{SmtpConfig, SmtpSecurity, present, timeout},
    email::{ComposedEmail, Sender, compose},
    error::{NotConfigured, Platform, SendError, bounded},
};

const TRANSPORT: &str = "SMTP";
/// The longest reply line we read, and the most lines in one reply.
const MAX_LINE: u64 = 4096;
const MAX_LINES: usize = 100;

/// Sends email replies through an SMTP relay.
#[derive(Clone)]
pub struct SmtpTransport {
    config: SmtpConfig,
    tls: Option<TlsConnector>,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport").field("config", &self.config).finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// Prepares TLS when the configuration asks for it. Missing settings are
    /// reported by [`SmtpTransport::can_send`].
    pub fn new(config: &SmtpConfig) -> Result<SmtpTransport, NotConfigured> {
        let tls = match config.security {
            SmtpSecurity::None => None,
            SmtpSecurity::Starttls | SmtpSecurity::Tls => Some(tls_connector()?),
        };
        Ok(SmtpTransport { config: config.clone(), tls })
    }

    /// Whether the relay, the sender and (if any) complete credentials are
    /// configured, and the credentials would travel safely.
    pub fn can_send(&self) -> Result<(), NotConfigured> {
        self.sender()?;
        self.helo_name()?;
        self.credentials()?;
        Ok(())
    }

    fn host(&self) -> Result<&str, NotConfigured> {
        let host = self.config.host.as_deref().map(str::trim).filter(|h| !h.is_empty());
        host.ok_or(NotConfigured::Missing { transport: TRANSPORT, missing: "set `host`, the relay to send through" })
    }

    fn sender(&self) -> Result<Sender, NotConfigured> {
        self.host()?;
        let from = self.config.from.clone().ok_or(NotConfigured::Missing {
            transport: TRANSPORT,
            missing: "set `from`, the address replies are sent from",
        })?;
        let domain = match &self.config.message_id_domain {
            Some(d) => d.trim().to_owned(),
            None => from.as_str().rsplit_once('@').map(|(_, d)| d.to_owned()).unwrap_or_default(),
        };
        if !is_host_name(&domain) {
            return Err(NotConfigured::Invalid {
                transport: TRANSPORT,
                problem: "`message_id_domain` must be a host name such as `mail.example.com`".into(),
            });
        }
        Ok(Sender { from, from_name: self.config.from_name.clone(), message_id_domain: domain })
    }

    fn helo_name(&self) -> Result<String, NotConfigured> {
        let name = match &self.config.helo_name {
            Some(name) => name.trim().to_owned(),
            None => self.sender()?.message_id_domain,
        };
        if is_host_name(&name) {
            Ok(name)
        } else {
            Err(NotConfigured::Invalid { transport: TRANSPORT, problem: "`helo_name` must be a host name".into() })
        }
    }

    /// The user name and password, when both are set.
    fn credentials(&self) -> Result<Option<(&str, &str)>, NotConfigured> {
        let user = self.config.username.as_deref().filter(|u| !u.trim().is_empty());
        let pass = present(&self.config.password);
        let pair = match (user, pass) {
            (None, None) => return Ok(None),
            (Some(u), Some(p)) => (u, p),
            _ => {
                return Err(NotConfigured::Missing {
                    transport: TRANSPORT,
                    missing: "set both `username` and `password`, or neither",
                });
            }
        };
        if self.config.security == SmtpSecurity::None && !is_loopback(self.host()?) {
            return Err(NotConfigured::Invalid {
                transport: TRANSPORT,
                problem: "credentials are sent only over TLS: set `security` to \"starttls\" or \"tls\"".into(),
            });
        }
        Ok(Some(pair))
    }

    /// Composes the reply (dated now) and delivers it.
    pub async fn send(&self, reply: &OutboundReply) -> Result<Delivered, SendError> {
        self.can_send()?;
        let email = compose(reply, &self.sender()?, Timestamp::now())?;
        let limit = timeout(self.config.timeout_secs);
        tokio::time::timeout(limit, self.deliver(&email))
            .await
            .map_err(|_| SendError::Timeout { platform: Platform::Smtp })??;
        let external_id = ExternalId::parse(email.message_id).map_err(|e| SendError::UnexpectedResponse {
            platform: Platform::Smtp,
            detail: format!("our Message-ID is unusable: {}", e.message),
        })?;
        Ok(Delivered { external_id })
    }

    async fn deliver(&self, email: &ComposedEmail) -> Result<(), SendError> {
        let host = self.host()?;
        let port = self.config.port.unwrap_or(self.config.security.default_port());
        let helo = self.helo_name()?;
        let tcp = TcpStream::connect((host, port)).await.map_err(io_error)?;
        match (self.config.security, &self.tls) {
            (SmtpSecurity::Tls, Some(tls)) => {
                let stream = handshake(tls, host, tcp).await?;
                let mut conn = Conn::new(stream);
                conn.expect_reply("greeting", &[220]).await?;
                let ext = conn.ehlo(&helo).await?;
                conn.transaction(&ext, self.credentials()?, email).await
            }
            (SmtpSecurity::Starttls, Some(tls)) => {
                let mut conn = Conn::new(tcp);
                conn.expect_reply("greeting", &[220]).await?;
                let ext = conn.ehlo(&helo).await?;
                if !ext.starttls {
                    return Err(NotConfigured::Invalid {
                        transport: TRANSPORT,
                        problem: "the server does not offer STARTTLS; set `security` to \"tls\" or \"none\"".into(),
                    }
                    .into());
                }
                conn.command("STARTTLS", "STARTTLS", &[220]).await?;
                let tcp = conn.into_inner()?;
                let mut conn = Conn::new(handshake(tls, host, tcp).await?);
                let ext = conn.ehlo(&helo).await?;
                conn.transaction(&ext, self.credentials()?, email).await
            }
            _ => {
                let mut conn = Conn::new(tcp);
                conn.expect_reply("greeting", &[220]).await?;
                let ext = conn.ehlo(&helo).await?;
                conn.transaction(&ext, self.credentials()?, email).await
            }
        }
    }
}

/// A TLS client with the platform's certificate verifier and aws-lc-rs, the
/// provider `reqwest` already uses.
fn tls_connector() -> Result<TlsConnector, NotConfigured> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let invalid = |e: rustls::Error| NotConfigured::Invalid {
        transport: TRANSPORT,
        problem: format!("TLS could not be set up: {e}"),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(invalid)?
        .with_platform_verifier()
        .map_err(invalid)?
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

async fn handshake(
    tls: &TlsConnector,
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, SendError> {
    let name = ServerName::try_from(host.to_owned()).map_err(|_| NotConfigured::Invalid {
        transport: TRANSPORT,
        problem: "`host` is not a valid server name for TLS".into(),
    })?;
    tls.connect(name, tcp).await.map_err(io_error)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

fn io_error(err: std::io::Error) -> SendError {
    SendError::Network { platform: Platform::Smtp, detail: bounded(&err.to_string()) }
}

/// One reply: its code and the text of its lines.
struct Reply {
    code: u16,
    lines: Vec<String>,
}

impl Reply {
    fn text(&self) -> String {
        bounded(&self.lines.join(" "))
    }
}

/// What EHLO told us the server can do.
#[derive(Default)]
struct Extensions {
    starttls: bool,
    auth_plain: bool,
    auth_login: bool,
    size: bool,
}

fn extensions(reply: &Reply) -> Extensions {
    let mut ext = Extensions::default();
    for line in reply.lines.iter().skip(1) {
        let upper = line.to_ascii_uppercase();
        let mut words = upper.split([' ', '=']);
        match words.next() {
            Some("STARTTLS") => ext.starttls = true,
            Some("SIZE") => ext.size = true,
            Some("AUTH") => {
                for mechanism in words {
                    ext.auth_plain |= mechanism == "PLAIN";
                    ext.auth_login |= mechanism == "LOGIN";
                }
            }
            _ => {}
        }
    }
    ext
}

/// A connection in the command phase.
struct Conn<S> {
    io: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    fn new(stream: S) -> Conn<S> {
        Conn { io: BufReader::new(stream) }
    }

    /// The stream, for the TLS upgrade. Bytes the server sent after its 220
    /// to STARTTLS would be read as if they were encrypted, so they are an
    /// error (the STARTTLS injection attack).
    fn into_inner(self) -> Result<S, SendError> {
        if !self.io.buffer().is_empty() {
            return Err(SendError::UnexpectedResponse {
                platform: Platform::Smtp,
                detail: "the server sent data before the TLS handshake".into(),
            });
        }
        Ok(self.io.into_inner())
    }

    async fn read_reply(&mut self) -> Result<Reply, SendError> {
        let mut lines = Vec::new();
        let mut code = None;
        loop {
            let mut raw = Vec::new();
            (&mut self.io).take(MAX_LINE).read_until(b'\n', &mut raw).await.map_err(io_error)?;
            if raw.is_empty() {
                return Err(SendError::Network {
                    platform: Platform::Smtp,
                    detail: "the server closed the connection".into(),
                });
            }
            let line = String::from_utf8_lossy(&raw);
            let line = line.trim_end_matches(['\r', '\n']);
            let malformed = || SendError::UnexpectedResponse {
                platform: Platform::Smtp,
                detail: format!("`{}` is not an SMTP reply", bounded(line)),
            };
            let this: u16 =
                line.get(..3).and_then(|c| c.parse().ok()).filter(|c| (200..600).contains(c)).ok_or_else(malformed)?;
            if *code.get_or_insert(this) != this {
                return Err(malformed());
            }
            let separator = line.as_bytes().get(3).copied();
            lines.push(line.get(4..).unwrap_or("").to_owned());
            match separator {
                None | Some(b' ') => break,
                Some(b'-') if lines.len() < MAX_LINES => continue,
                _ => return Err(malformed()),
            }
        }
        Ok(Reply { code: code.unwrap_or_default(), lines })
    }

    async fn expect_reply(&mut self, stage: &str, ok: &[u16]) -> Result<Reply, SendError> {
        let reply = self.read_reply().await?;
        if ok.contains(&reply.code) {
            return Ok(reply);
        }
        let status = reply.code;
        let detail = format!("{stage}: {}", reply.text());
        Err(match status {
            400..=499 => SendError::Unavailable { platform: Platform::Smtp, status, detail },
            535 if stage == "AUTH" => {
                SendError::Rejected { platform: Platform::Smtp, status, code: "platform_unauthorized", detail }
            }
            500..=599 => SendError::Rejected { platform: Platform::Smtp, status, code: "platform_rejected", detail },
            _ => SendError::UnexpectedResponse { platform: Platform::Smtp, detail },
        })
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), SendError> {
        self.io.get_mut().write_all(bytes).await.map_err(io_error)?;
        self.io.get_mut().flush().await.map_err(io_error)
    }

    /// Sends one command line and checks the reply. `stage` names the
    /// command in errors (so a password line is never quoted).
    async fn command(&mut self, line: &str, stage: &str, ok: &[u16]) -> Result<Reply, SendError> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.expect_reply(stage, ok).await
    }

    async fn ehlo(&mut self, helo: &str) -> Result<Extensions, SendError> {
        let reply = self.command(&format!("EHLO {helo}"), "EHLO", &[250]).await?;
        Ok(extensions(&reply))
    }

    async fn authenticate(&mut self, ext: &Extensions, user: &str, pass: &str) -> Result<(), SendError> {
        let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        if ext.auth_plain {
            let token = b64(format!("\0{user}\0{pass}").as_bytes());
            self.command(&format!("AUTH PLAIN {token}"), "AUTH", &[235]).await?;
        } else if ext.auth_login {
            self.command("AUTH LOGIN", "AUTH", &[334]).await?;
            self.command(&b64(user.as_bytes()), "AUTH", &[334]).await?;
            self.command(&b64(pass.as_bytes()), "AUTH", &[235]).await?;
        } else {
            return Err(NotConfigured::Invalid {
                transport: TRANSPORT,
                problem: "the server offers neither AUTH PLAIN nor AUTH LOGIN".into(),
            }
            .into());
        }
        Ok(())
    }

    /// AUTH (when configured), MAIL, RCPT, DATA and QUIT.
    async fn transaction(
        &mut self,
        ext: &Extensions,
        credentials: Option<(&str, &str)>,
        email: &ComposedEmail,
    ) -> Result<(), SendError> {
        if let Some((user, pass)) = credentials {
            self.authenticate(ext, user, pass).await?;
        }
        let size = if ext.size { format!(" SIZE={}", email.bytes.len()) } else { String::new() };
        self.command(&format!("MAIL FROM:<{}>{size}", email.envelope_from), "MAIL FROM", &[250]).await?;
        self.command(&format!("RCPT TO:<{}>", email.envelope_to), "RCPT TO", &[250, 251]).await?;
        self.command("DATA", "DATA", &[354]).await?;
        self.write(&dot_stuffed(&email.bytes)).await?;
        self.expect_reply("end of DATA", &[250]).await?;
        // The message is accepted; a failed goodbye changes nothing.
        let _ = self.command("QUIT", "QUIT", &[221]).await;
        Ok(())
    }
}

/// The message as DATA wants it: a `.` doubled at the start of every line,
/// CRLF at the end, and the terminating `.` line.
pub(crate) fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 64);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        at_line_start = b == b'\n';
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_stuffed() {
        assert_eq!(dot_stuffed(b"a\r\n.b\r\n..c\r\n"), b"a\r\n..b\r\n...c\r\n.\r\n");
        assert_eq!(dot_stuffed(b".x"), b"..x\r\n.\r\n");
    }

    #[test]
    fn ehlo_extensions() {
        let reply = Reply {
            code: 250,
            lines: vec!["mx.test".into(), "SIZE 1000".into(), "AUTH=LOGIN".into(), "STARTTLS".into()],
        };
        let ext = extensions(&reply);
        assert!(ext.starttls && ext.size && ext.auth_login && !ext.auth_plain);
    }

    #[test]
    fn credentials_need_tls_off_loopback() {
        let config = SmtpConfig {
            host: Some("mail.example.com".into()),
            security: SmtpSecurity::None,
            username: Some("u".into()),
            password: Some(super::super::Secret::new("p")),
            from: Some(firebreak_domain::Email::parse("help@acme.test").unwrap()),
            ..SmtpConfig::default()
        };
        let t = SmtpTransport::new(&config).unwrap();
        assert_eq!(t.can_send().unwrap_err().code(), "transport_misconfigured");
        let local = SmtpConfig { host: Some("127.0.0.1".into()), ..config };
        assert!(SmtpTransport::new(&local).unwrap().can_send().is_ok());
        assert!(is_loopback("[::1]") && is_loopback("localhost") && !is_loopback("10.0.0.1"));
    }

    #[test]
    fn missing_settings_are_named() {
        let t = SmtpTransport::new(&SmtpConfig { security: SmtpSecurity::None, ..SmtpConfig::default() }).unwrap();
        assert!(t.can_send().unwrap_err().to_string().contains("`host`"));
    }
}
