//! What an operator runs with the server's own binary and settings, beside
//! the server (also while it runs): `session-app set-role EMAIL admin`.
//! Registration never grants a role: whoever registered an address first
//! would own it.

use std::fmt;

use crate::{Accounts, CommonConfig, Role, User, validation::Email};

#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Give the account EMAIL the role ROLE, in the database these settings name.
    SetRole {
        email: String,
        #[arg(value_enum)]
        role: Role,
    },
}

/// What a command changed, as the line it prints.
#[derive(Debug, Clone)]
pub struct RoleChange {
    pub user: User,
    pub before: Role,
}

impl fmt::Display for RoleChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (email, role) = (&self.user.email, self.user.role);
        if self.before == role {
            write!(f, "{email} is already {role}; nothing changed")
        } else {
            write!(f, "{email}: {} -> {role}", self.before)
        }
    }
}

/// Runs `command` against the database `config` names. An unknown email,
/// or demoting the last admin, is an error with a message that says so.
pub async fn run(command: Command, config: &CommonConfig) -> anyhow::Result<RoleChange> {
    let Command::SetRole { email, role } = command;
    let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let accounts = Accounts::open(config).await?;
    let before = accounts
        .users
        .by_email(email.as_str())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no account with email {} in {} (register it first)",
                email.as_str(),
                crate::db::redact(&config.database_url())
            )
        })?
        .role;
    let user = accounts
        .set_role(&email, role)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(RoleChange { user, before })
}
