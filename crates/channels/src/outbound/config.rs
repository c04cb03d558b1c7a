//! The settings of the outbound transports, shaped for the CLI's TOML file
//! (`[outbound.x]`, `[outbound.meta]`, `[outbound.smtp]`).
//!
//! Every credential is optional at parse time, so a file with some channels
//! configured loads; what is missing is reported per channel by
//! `Transports::can_send`. Credentials are held in [`Secret`], whose `Debug`
//! never shows the value.

use std::{fmt, time::Duration};

use firebreak_domain::Email;
use serde::Deserialize;

/// The default X API base URL.
pub const DEFAULT_X_BASE_URL: &str = "https://api.x.com";
/// The default Graph API base URL.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// The default Graph API version.
pub const DEFAULT_GRAPH_VERSION: &str = "v21.0";
/// The default time a whole request (or SMTP session) may take.
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// A credential. Its `Debug` and `Display` print `***`; only
/// [`Secret::expose`] gives the value.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for signing or sending. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// True when the secret is absent in effect (empty or white space).
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A set secret that is not blank.
pub(crate) fn present(secret: &Option<Secret>) -> Option<&str> {
    secret.as_ref().filter(|s| !s.is_blank()).map(Secret::expose)
}

/// All outbound transports; each section is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundConfig {
    #[serde(default)]
    pub x: Option<XConfig>,
    #[serde(default)]
    pub meta: Option<MetaConfig>,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
}

/// The X API v2, with one of two kinds of user credentials: OAuth 1.0a
/// (all four of `consumer_key`, `consumer_secret`, `access_token`,
/// `access_token_secret`) or an OAuth 2.0 user access token
/// (`bearer_token`, with the `tweet.write` and `dm.write` scopes). When both
/// are complete, OAuth 1.0a is used: its tokens do not expire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    #[serde(default = "default_x_base_url")]
    pub base_url: String,
    #[serde(default)]
    pub consumer_key: Option<Secret>,
    #[serde(default)]
    pub consumer_secret: Option<Secret>,
    #[serde(default)]
    pub access_token: Option<Secret>,
    #[serde(default)]
    pub access_token_secret: Option<Secret>,
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

impl Default for XConfig {
    fn default() -> XConfig {
        XConfig {
            base_url: default_x_base_url(),
            consumer_key: None,
            consumer_secret: None,
            access_token: None,
            access_token_secret: None,
            bearer_token: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

/// Meta's Graph API for a Facebook Page: comment replies and Messenger.
/// `app_secret`, when set, adds `appsecret_proof` to every call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    #[serde(default = "default_graph_base_url")]
    pub base_url: String,
    #[serde(default = "default_graph_version")]
    pub api_version: String,
    #[serde(default)]
    pub page_access_token: Option<Secret>,
    #[serde(default)]
    pub app_secret: Option<Secret>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

impl Default for MetaConfig {
    fn default() -> MetaConfig {
        MetaConfig {
            base_url: default_graph_base_url(),
            api_version: default_graph_version(),
            page_access_token: None,
            app_secret: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which the server must offer
    /// (the usual submission port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption. Credentials are then sent only to a loopback host.
    None,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        }
    }
}

/// An SMTP relay that accepts the brand's mail. `from` is the brand's
/// address; `message_id_domain` (default: the domain of `from`) is the right
/// side of our Message-IDs; `helo_name` (default: `message_id_domain`) is
/// what we call ourselves in EHLO.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    #[serde(default)]
    pub host: Option<String>,
    /// Default: 587, 465 or 25 after `security`.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<Secret>,
    #[serde(default)]
    pub from: Option<Email>,
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub message_id_domain: Option<String>,
    #[serde(default)]
    pub helo_name: Option<String>,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_x_base_url() -> String {
    DEFAULT_X_BASE_URL.to_owned()
}

fn default_graph_base_url() -> String {
    DEFAULT_GRAPH_BASE_URL.to_owned()
}

fn default_graph_version() -> String {
    DEFAULT_GRAPH_VERSION.to_owned()
}

fn default_timeout_secs() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

/// A configured timeout, never zero.
pub(crate) fn timeout(secs: u64) -> Duration {
    Duration::from_secs(secs.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let c = XConfig { bearer_token: Some(Secret::new("hunter2")), ..XConfig::default() };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(Secret::new("x").to_string(), "***");
    }

    #[test]
    fn defaults_fill_in() {
        let c: MetaConfig = serde_json::from_str(r#"{"page_access_token":"t"}"#).unwrap();
        assert_eq!(c.base_url, DEFAULT_GRAPH_BASE_URL);
        assert_eq!(c.api_version, "v21.0");
        assert_eq!(present(&c.page_access_token), Some("t"));
        let s: SmtpConfig = serde_json::from_str(r#"{"host":"mail.example.com","security":"tls"}"#).unwrap();
        assert_eq!(s.security.default_port(), 465);
        assert_eq!(s.timeout_secs, 30);
        assert!(serde_json::from_str::<SmtpConfig>(r#"{"hots":"x"}"#).is_err());
    }
}
