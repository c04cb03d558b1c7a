//! `firebreak user`: staff accounts from the command line, so that the first
//! admin can be made before anyone can sign in.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use firebreak_domain::staff::Role;
use firebreak_engine::Engine;
use firebreak_store::{SqliteStore, Store};

use crate::config::Config;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a staff account. The password is read from FIREBREAK_PASSWORD,
    /// or from the first line of standard input.
    Add(AddArgs),
    /// List the staff accounts.
    List(ListArgs),
}

#[derive(Args)]
pub struct AddArgs {
    #[command(flatten)]
    data: crate::DataArgs,
    /// admin, supervisor, agent or analyst.
    #[arg(long)]
    role: String,
    /// The name shown to colleagues (the email's local part when absent).
    #[arg(long)]
    name: Option<String>,
    /// The person's email address, which is their sign-in name.
    email: String,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    data: crate::DataArgs,
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("FIREBREAK_PASSWORD")
        && !p.is_empty()
    {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    let p = line.trim_end_matches(['\n', '\r']).to_owned();
    if p.is_empty() {
        bail!("no password given: set FIREBREAK_PASSWORD or write it on standard input");
    }
    Ok(p)
}

pub async fn run(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add(a) => {
            let role = Role::parse(&a.role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let password = read_password()?;
            let config = Config::resolve(a.data.overrides())?;
            let store = std::sync::Arc::new(SqliteStore::open(&config.data, config.store_options())?);
            let engine = Engine::new(store.clone(), std::sync::Arc::new(firebreak_domain::SystemClock));
            let name = a.name.clone().unwrap_or_else(|| a.email.split('@').next().unwrap_or(&a.email).to_owned());
            let result = engine.add_staff(&a.email, &name, role, None, &password).await;
            store.close().await?;
            let account = result.map_err(|e| anyhow::anyhow!("cannot add {}: {e}", a.email))?;
            println!("added {} ({}) as {}", account.email, account.id, account.role);
        }
        UserCommand::List(a) => {
            let config = Config::resolve(a.data.overrides())?;
            let store = SqliteStore::open(&config.data, config.store_options())?;
            for s in store.staff_accounts().await? {
                let state = if s.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}\t{}\t{state}", s.id, s.email, s.role, s.name);
            }
            store.close().await?;
        }
    }
    Ok(())
}
