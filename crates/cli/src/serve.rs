//! `firebreak serve`: open the store, start the server, and on SIGINT or
//! SIGTERM stop taking requests, finish those in flight and close the store
//! so that the commit in flight completes.

use std::sync::Arc;

use anyhow::Context;
use firebreak_engine::Engine;
use firebreak_store::{SqliteStore, Store};
use firebreak_web::{AppState, WebConfig};
use tokio::net::TcpListener;

use crate::{config::Config, demo};

pub async fn run(config: Config, load_demo: bool, triager: firebreak_triage::Triager) -> anyhow::Result<()> {
    let store = Arc::new(SqliteStore::open(&config.data, config.store_options())?);
    let transports = firebreak_channels::outbound::Transports::new(&config.outbound)
        .map_err(|e| anyhow::anyhow!("the [outbound] configuration is not usable: {e}"))?;
    let engine = Arc::new(
        Engine::new(store.clone(), Arc::new(firebreak_domain::SystemClock))
            .with_triager(triager)
            .with_transport(Arc::new(transports)),
    );
    if load_demo {
        let loaded = demo::load(&engine).await.context("cannot load the demo data")?;
        tracing::info!(messages = loaded.messages, customers = loaded.customers, "demo data loaded");
    }
    let demo_logins =
        if load_demo { demo::accounts(&engine).await.context("cannot make the demo accounts")? } else { vec![] };
    let listener =
        TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Signal handlers are installed before we say we are listening, so a
    // SIGTERM that follows at once is a clean stop, not a kill.
    let shutdown = shutdown_signal()?;
    // The first line on standard output says where we listen, so scripts and
    // tests that ask for port 0 can find it.
    println!("listening on http://{addr}");
    for (email, role) in &demo_logins {
        println!("demo login ({role}): {email} / {}", demo::DEMO_PASSWORD);
    }
    if load_demo {
        println!("open http://{addr}/login");
    }
    tracing::info!(%addr, data = %config.data.display(), "firebreak is serving");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut background = crate::import::spawn_feed_pollers(engine.clone(), &config.feeds, stop_rx.clone());
    // SLA warnings and breaches, and promise reminders, every few seconds.
    background.push(engine.spawn_timer(std::time::Duration::from_secs(5), stop_rx.clone()));
    // Agents' replies, delivered on the customers' channels.
    background.push(engine.spawn_outbound(stop_rx.clone()));
    for target in config.webhooks.iter().cloned() {
        background.push(engine.spawn_webhook(target, stop_rx.clone()));
    }
    // Alerts by email.
    if let Some(mail) = config.alert_mail.clone() {
        background.push(engine.spawn_alert_mail(mail, stop_rx.clone()));
    }
    // Sparks and bursts, over everything stored from now on.
    if config.watch_enabled {
        background.push(engine.spawn_watch(config.watch.clone(), stop_rx.clone()).map_err(anyhow::Error::msg)?);
    }

    let web = WebConfig {
        api_tokens: config.api_tokens.clone(),
        secure_cookies: config.secure_cookies,
        x_consumer_secret: config.x_consumer_secret.clone(),
        meta_app_secret: config.meta_app_secret.clone(),
        meta_verify_token: config.meta_verify_token.clone(),
        reports: config.reports.clone(),
        oidc: config.oidc.clone(),
        community: config.community.clone(),
    };
    firebreak_web::serve(listener, AppState::new(engine, web), shutdown).await?;
    tracing::info!("no longer taking requests; finishing the commit in flight");
    let _ = stop_tx.send(true);
    for task in background {
        let _ = task.await;
    }
    store.close().await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Resolves at the first SIGINT or SIGTERM. The handlers are registered when
/// this is called, not when the future is first polled.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
