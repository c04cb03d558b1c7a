//! Configuration in layers: built-in defaults, then an optional TOML file
//! (`--config` or `FIREBREAK_CONFIG`), then `FIREBREAK_*` environment
//! variables, then flags. Raw values are parsed once here into a [`Config`]
//! that the commands use as is.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use serde::Deserialize;

/// The data directory when nothing else says.
pub const DEFAULT_DATA: &str = "./firebreak-data";
/// The listen address when nothing else says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The file form. Every field is optional; unknown keys are errors, so a
/// typo is not silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data: Option<PathBuf>,
    pub listen: Option<String>,
    #[serde(default)]
    pub api_tokens: Vec<String>,
    #[serde(default)]
    pub x: XConfig,
    #[serde(default)]
    pub meta: MetaConfig,
    #[serde(default)]
    pub feeds: Vec<FeedConfig>,
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    #[serde(default)]
    pub cases: CasesConfig,
    /// Served over TLS (directly or behind a proxy): session cookies become
    /// `Secure` with the `__Host-` prefix.
    #[serde(default)]
    pub secure_cookies: bool,
    /// Where replies go out: `[outbound.x]`, `[outbound.meta]`, `[outbound.smtp]`.
    #[serde(default)]
    pub outbound: firebreak_channels::outbound::OutboundConfig,
    /// The detectors: `[watch]`.
    #[serde(default)]
    pub watch: WatchFileConfig,
    /// Alerts by email: `[alerts]`.
    #[serde(default)]
    pub alerts: AlertsFileConfig,
    /// The firewall reports: `[reports]`.
    #[serde(default)]
    pub reports: ReportsFileConfig,
    /// The community: `[community.oidc]`.
    #[serde(default)]
    pub community: CommunityFileConfig,
}

/// `[community]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityFileConfig {
    /// Members may sign in with this OpenID Connect provider.
    pub oidc: Option<OidcFileConfig>,
    /// `[community.points]`: solution, kudos, idea_shipped (defaults 25, 5, 100).
    pub points: Option<firebreak_community::ledger::PointsConfig>,
    /// `[[community.ranks]]` name, min_points, min_solutions, min_kudos,
    /// lowest first (replaces the built-in ladder).
    pub ranks: Option<Vec<firebreak_community::RankRule>>,
    /// `[[community.badges]]` key, name, metric, at_least.
    pub badges: Option<Vec<firebreak_community::BadgeRule>>,
    /// The share of solution views that would otherwise have been a
    /// contact, 0 to 1 (default 0.1); each is worth `[reports]
    /// cost_per_contact`.
    pub deflection_rate: Option<f64>,
}

/// `[community.oidc]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcFileConfig {
    /// The provider's issuer URL (its discovery document is under it).
    pub issuer: String,
    pub client_id: String,
    /// Or FIREBREAK_OIDC_CLIENT_SECRET.
    pub client_secret: Option<String>,
    /// The button says "Sign in with {name}" (default: the issuer's host).
    pub name: Option<String>,
    /// As registered with the provider (default: this server's
    /// `/community/oidc/callback` as requested).
    pub redirect_uri: Option<String>,
}

/// `[reports]`: what a contact costs, for the cost of fires and the
/// contacts prevented.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsFileConfig {
    /// Default 4.0.
    pub cost_per_contact: Option<f64>,
    /// An ISO 4217 code; default USD.
    pub currency: Option<String>,
}

/// `[alerts]`: where alerts are mailed (through `[outbound.smtp]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsFileConfig {
    #[serde(default)]
    pub email: Vec<String>,
    /// Where Firebreak's pages are, for the link to the evidence.
    pub base_url: Option<String>,
}

/// `[watch]`: the sparks and bursts detectors.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFileConfig {
    /// Run the detectors in `serve` (default true).
    pub enabled: Option<bool>,
    /// `[[watch.brands]] name = "united", handles = ["@united"]`; with none,
    /// a message's brand is the first handle it mentions.
    #[serde(default)]
    pub brands: Vec<firebreak_engine::watcher::BrandRule>,
    /// `[[watch.topics]] name = "outage", patterns = ["no signal", "outage*"]`;
    /// replaces the built-in topics when given.
    pub topics: Option<Vec<firebreak_detect::TopicRule>>,
    /// Length of a bucket in minutes (default 60).
    pub bucket_minutes: Option<u32>,
    /// Smallest count in a bucket that can raise a burst (default 10).
    pub min_count: Option<u32>,
    /// Smallest ratio of observed to expected (default 2).
    pub min_ratio: Option<f64>,
    /// Largest Poisson tail probability that raises a burst (default 1e-4).
    pub max_p_value: Option<f64>,
    /// Momentum in (0, 1] at which a post is a spark (default 0.45).
    pub spark_threshold: Option<f64>,
    /// Run the slow (six-hour and daily) detectors beside the hourly one
    /// (default true).
    pub slow: Option<bool>,
    /// The UTC hour at which the slow detectors' buckets start (default 0;
    /// 5 starts the days, and the six-hour buckets, at US Eastern midnight).
    pub slow_starts_at_utc_hour: Option<u8>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesConfig {
    /// Days after resolution during which a customer's new message reopens
    /// the case (default 7).
    pub reopen_days: Option<u32>,
}

/// An endpoint that receives the event log, signed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// The HMAC-SHA256 key; the receiver checks `X-Firebreak-Signature`.
    pub secret: String,
    /// Event kinds by prefix (`case.`, `sla.breach`); all when empty (for
    /// the `slack` format: `alert.` when empty).
    #[serde(default)]
    pub events: Vec<String>,
    /// `firebreak` (the event as signed JSON, the default) or `slack`
    /// (`{"text": ...}` for chat incoming webhooks).
    pub format: Option<String>,
    /// Where Firebreak's pages are, for links in chat messages.
    pub base_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    pub consumer_secret: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaConfig {
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
}

/// An RSS/Atom feed to poll.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedConfig {
    pub url: String,
    /// Seconds between polls; at least 10.
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
}

fn default_interval() -> u64 {
    300
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("the configuration file {} is not valid", path.display()))
    }
}

/// Values that can come from flags or the environment (clap reads both,
/// flags first). `None` means "not given here".
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub data: Option<PathBuf>,
    pub listen: Option<String>,
    pub api_tokens: Vec<String>,
    pub config: Option<PathBuf>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data: PathBuf,
    pub listen: SocketAddr,
    pub api_tokens: Vec<String>,
    pub x_consumer_secret: Option<String>,
    pub meta_app_secret: Option<String>,
    pub meta_verify_token: Option<String>,
    pub feeds: Vec<(String, Duration)>,
    pub webhooks: Vec<firebreak_engine::WebhookTarget>,
    pub reopen_window: Duration,
    pub secure_cookies: bool,
    pub outbound: firebreak_channels::outbound::OutboundConfig,
    pub watch_enabled: bool,
    pub watch: firebreak_engine::watcher::WatchConfig,
    pub alert_mail: Option<firebreak_engine::AlertMail>,
    pub reports: firebreak_web::ReportsConfig,
    pub oidc: Option<firebreak_web::oidc::OidcSettings>,
    pub community: firebreak_web::CommunityConfig,
}

impl Config {
    /// How the store is opened, with what the configuration says.
    pub fn store_options(&self) -> firebreak_store::SqliteOptions {
        firebreak_store::SqliteOptions { reopen_window: self.reopen_window, ..Default::default() }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Config {
    pub fn resolve(o: Overrides) -> anyhow::Result<Config> {
        let file = match &o.config {
            Some(p) => FileConfig::load(p)?,
            None => FileConfig::default(),
        };
        let listen_text = o.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
        let listen: SocketAddr = listen_text
            .parse()
            .with_context(|| format!("`{listen_text}` is not an address to listen on, such as 127.0.0.1:8080"))?;
        let mut api_tokens = if o.api_tokens.is_empty() { file.api_tokens } else { o.api_tokens };
        api_tokens.retain(|t| !t.trim().is_empty());
        for t in &api_tokens {
            if t.len() < 16 {
                bail!("an API token must be at least 16 characters long");
            }
        }
        let mut feeds = Vec::new();
        for f in file.feeds {
            if !(f.url.starts_with("http://") || f.url.starts_with("https://")) {
                bail!("the feed `{}` is not an http or https URL", f.url);
            }
            feeds.push((f.url, Duration::from_secs(f.interval_secs.max(10))));
        }
        let mut webhooks = Vec::new();
        for w in file.webhooks {
            if !(w.url.starts_with("http://") || w.url.starts_with("https://")) {
                bail!("the webhook `{}` is not an http or https URL", w.url);
            }
            if w.secret.len() < 16 {
                bail!("the webhook `{}` needs a secret of at least 16 characters", w.url);
            }
            let format = match w.format.as_deref() {
                None | Some("firebreak") => firebreak_engine::WebhookFormat::Firebreak,
                Some("slack") => firebreak_engine::WebhookFormat::Slack,
                Some(other) => bail!("the webhook `{}` has format `{other}`; use `firebreak` or `slack`", w.url),
            };
            let events = if w.events.is_empty() && format == firebreak_engine::WebhookFormat::Slack {
                vec!["alert.".to_string()]
            } else {
                w.events
            };
            webhooks.push(firebreak_engine::WebhookTarget {
                url: w.url,
                secret: w.secret,
                events,
                format,
                base_url: w.base_url,
            });
        }
        let watch = watch_config(&file.watch)?;
        let mut to = Vec::new();
        for a in &file.alerts.email {
            to.push(
                firebreak_domain::Email::parse(a)
                    .map_err(|_| anyhow::anyhow!("alerts.email: `{a}` is not an email address"))?,
            );
        }
        if !to.is_empty() && file.outbound.smtp.is_none() {
            bail!("alerts.email needs [outbound.smtp] to send through");
        }
        let alert_mail =
            (!to.is_empty()).then(|| firebreak_engine::AlertMail { to, base_url: file.alerts.base_url.clone() });
        let mut reports = firebreak_web::ReportsConfig::default();
        if let Some(c) = file.reports.cost_per_contact {
            if !c.is_finite() || c < 0.0 {
                bail!("reports.cost_per_contact is {c}; it must be a number of at least 0");
            }
            reports.cost_per_contact = c;
        }
        if let Some(c) = &file.reports.currency {
            if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                bail!("reports.currency is `{c}`; it must be a three-letter ISO 4217 code such as USD or EUR");
            }
            reports.currency = c.clone();
        }
        let oidc = match &file.community.oidc {
            None => None,
            Some(o) => {
                let secret = env("FIREBREAK_OIDC_CLIENT_SECRET").or(o.client_secret.clone()).ok_or_else(|| {
                    anyhow::anyhow!("community.oidc needs client_secret (or FIREBREAK_OIDC_CLIENT_SECRET)")
                })?;
                if !(o.issuer.starts_with("https://") || o.issuer.starts_with("http://")) {
                    bail!("community.oidc.issuer is `{}`; it must be an https:// URL", o.issuer);
                }
                let name = o.name.clone().unwrap_or_else(|| {
                    o.issuer.split("://").nth(1).unwrap_or(&o.issuer).split('/').next().unwrap_or("").to_string()
                });
                Some(firebreak_web::oidc::OidcSettings {
                    issuer: o.issuer.clone(),
                    client_id: o.client_id.clone(),
                    client_secret: secret,
                    name,
                    redirect_uri: o.redirect_uri.clone(),
                })
            }
        };
        let mut community = firebreak_web::CommunityConfig::default();
        if let Some(p) = file.community.points {
            p.check().map_err(|e| anyhow::anyhow!("community.points: {e}"))?;
            community.points = p;
        }
        if let Some(r) = &file.community.ranks {
            community.ranks.ranks = r.clone();
        }
        if let Some(b) = &file.community.badges {
            community.ranks.badges = b.clone();
        }
        community.ranks.check().map_err(|e| anyhow::anyhow!("community ranks and badges: {e}"))?;
        community.value.cost_per_contact_cents = (reports.cost_per_contact * 100.0).round() as u64;
        if let Some(r) = file.community.deflection_rate {
            community.value.deflection_rate = r;
        }
        community.value.check().map_err(|e| anyhow::anyhow!("community.deflection_rate: {e}"))?;
        let reopen_days = file.cases.reopen_days.unwrap_or(7);
        if reopen_days > 366 {
            bail!("cases.reopen_days is {reopen_days}; at most 366");
        }
        Ok(Config {
            webhooks,
            reopen_window: Duration::from_secs(u64::from(reopen_days) * 86_400),
            data: o.data.or(file.data).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA)),
            listen,
            api_tokens,
            x_consumer_secret: env("FIREBREAK_X_CONSUMER_SECRET").or(file.x.consumer_secret),
            meta_app_secret: env("FIREBREAK_META_APP_SECRET").or(file.meta.app_secret),
            meta_verify_token: env("FIREBREAK_META_VERIFY_TOKEN").or(file.meta.verify_token),
            feeds,
            outbound: file.outbound,
            watch_enabled: file.watch.enabled.unwrap_or(true),
            watch,
            alert_mail,
            reports,
            oidc,
            community,
            secure_cookies: file.secure_cookies
                || env("FIREBREAK_SECURE_COOKIES").is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")),
        })
    }
}

/// The detectors' settings, checked: the same rules the detectors apply,
/// so a bad value fails at start with the setting named.
fn watch_config(w: &WatchFileConfig) -> anyhow::Result<firebreak_engine::watcher::WatchConfig> {
    let mut cfg = firebreak_engine::watcher::WatchConfig { brands: w.brands.clone(), ..Default::default() };
    if let Some(t) = &w.topics {
        cfg.topics = t.clone();
    }
    if let Some(m) = w.bucket_minutes {
        if !(1..=1440).contains(&m) {
            bail!("watch.bucket_minutes is {m}; it must be between 1 and 1440");
        }
        cfg.burst.bucket_ms = i64::from(m) * 60_000;
    }
    if let Some(v) = w.min_count {
        cfg.burst.min_count = v;
    }
    if let Some(v) = w.min_ratio {
        cfg.burst.min_ratio = v;
    }
    if let Some(v) = w.max_p_value {
        cfg.burst.max_p_value = v;
    }
    if let Some(v) = w.spark_threshold {
        cfg.spark.threshold = v;
    }
    if w.slow == Some(false) {
        cfg.slow_bursts.clear();
    }
    if let Some(h) = w.slow_starts_at_utc_hour
        && h > 23
    {
        bail!("watch.slow_starts_at_utc_hour is {h}; it must be between 0 and 23");
    }
    for slow in &mut cfg.slow_bursts {
        if let Some(h) = w.slow_starts_at_utc_hour {
            slow.offset_ms = (i64::from(h) * 3_600_000) % slow.bucket_ms;
        }
        slow.min_count = cfg.burst.min_count;
        slow.min_ratio = cfg.burst.min_ratio;
        slow.max_p_value = cfg.burst.max_p_value;
    }
    firebreak_engine::watcher::Watcher::new(cfg.clone()).map_err(anyhow::Error::msg)?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata = \"/from/file\"\n[[feeds]]\nurl = \"https://example.com/feed\"\n",
        )
        .unwrap();
        let c =
            Config::resolve(Overrides { data: Some("/from/flag".into()), config: Some(path), ..Default::default() })
                .unwrap();
        assert_eq!(c.data, PathBuf::from("/from/flag"));
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.feeds[0].1, Duration::from_secs(300));
        let d = Config::resolve(Overrides::default()).unwrap();
        assert_eq!(d.data, PathBuf::from(DEFAULT_DATA));
    }

    #[test]
    fn typos_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.toml");
        std::fs::write(&path, "lisen = \"x\"\n").unwrap();
        assert!(Config::resolve(Overrides { config: Some(path), ..Default::default() }).is_err());
        assert!(Config::resolve(Overrides { listen: Some("nowhere".into()), ..Default::default() }).is_err());
        assert!(Config::resolve(Overrides { api_tokens: vec!["short".into()], ..Default::default() }).is_err());
    }

    fn resolve_file(text: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.toml");
        std::fs::write(&path, text).unwrap();
        Config::resolve(Overrides { config: Some(path), ..Default::default() })
    }

    #[test]
    fn the_community_points_ranks_and_provider_are_read_and_checked() {
        let c = resolve_file(
            "[community.points]\nsolution = 40\nkudos = 2\n\
             [[community.ranks]]\nname = \"Member\"\n\
             [[community.ranks]]\nname = \"Legend\"\nmin_solutions = 1000\n\
             [community.oidc]\nissuer = \"https://id.example.com\"\nclient_id = \"crm\"\nclient_secret = \"s3cret\"\n\
             [reports]\ncost_per_contact = 3.5\ncurrency = \"EUR\"\n",
        )
        .unwrap();
        assert_eq!(
            (c.community.points.solution, c.community.points.kudos, c.community.points.idea_shipped),
            (40, 2, 100)
        );
        let names: Vec<&str> = c.community.ranks.ranks.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["Member", "Legend"]);
        let o = c.oidc.unwrap();
        assert_eq!((o.issuer.as_str(), o.name.as_str()), ("https://id.example.com", "id.example.com"));
        assert_eq!((c.reports.cost_per_contact, c.reports.currency.as_str()), (3.5, "EUR"));
        assert_eq!(c.community.value.cost_per_contact_cents, 350, "one cost per contact for every report");
        // Refused, each with the setting named.
        for (bad, named) in [
            ("[community.points]\nkudos = -5\n", "community.points"),
            ("[[community.ranks]]\nname = \"\"\n", "ranks"),
            ("[community.oidc]\nissuer = \"https://id.example.com\"\nclient_id = \"crm\"\n", "client_secret"),
            ("[reports]\ncurrency = \"euro\"\n", "reports.currency"),
            ("[reports]\ncost_per_contact = -1.0\n", "reports.cost_per_contact"),
            ("[community]\ndeflection_rate = 1.5\n", "community.deflection_rate"),
        ] {
            let e = resolve_file(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(named), "{bad:?}: {e}");
        }
    }

    /// The configuration sample in the README is a valid configuration.
    #[test]
    fn the_readme_sample_configuration_is_valid() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").expect("the README has a TOML sample") + "```toml\n".len();
        let end = start + readme[start..].find("```").unwrap();
        let sample = &readme[start..end];
        // Secrets given as "..." in the sample are placeholders.
        let c = resolve_file(sample).unwrap_or_else(|e| panic!("the README's sample: {e}"));
        assert!(c.oidc.is_some() && c.alert_mail.is_some());
    }
}
