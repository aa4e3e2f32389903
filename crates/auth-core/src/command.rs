//! What an operator runs with the server's own binary and settings, beside
//! the server (also while it runs): `session-app set-role EMAIL admin`.
//! Registration never grants a role: whoever registered an address first
//! would own it. The commands are not settings: each app's `Cli` holds its
//! `Config` and, apart from it, an optional [`Command`].

use crate::{Accounts, ApiError, CommonConfig, Role, RoleChange, validation::Email};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Give the account EMAIL the role ROLE, in the database these settings name.
    SetRole {
        email: String,
        #[arg(value_enum)]
        role: Role,
    },
}

/// Runs `command` against the database `config` names, through the same
/// [`Accounts::change_role`] as the admin's route. An unknown email, or
/// demoting the last admin, is an error with a message that says so.
pub async fn run(command: Command, config: &CommonConfig) -> anyhow::Result<RoleChange> {
    let Command::SetRole { email, role } = command;
    let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let accounts = Accounts::open(config).await?;
    accounts
        .change_role(&email, role)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => anyhow::anyhow!(
                "no account with email {} in {} (register it first)",
                email.as_str(),
                crate::db::redact(&config.database_url())
            ),
            other => anyhow::anyhow!("{other}"),
        })
}
