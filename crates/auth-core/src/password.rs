use std::sync::Arc;

use anyhow::Context;

/// bcrypt at a fixed cost, run on the blocking pool so that a login does not
/// stall every other request on the same runtime thread.
#[derive(Clone)]
pub struct Hasher {
    cost: u32,
    /// Verified against when the email is unknown, so that "no such user" and
    /// "wrong password" cost the same time and cannot be told apart.
    dummy_hash: Arc<str>,
}

impl Hasher {
    pub async fn new(cost: u32) -> anyhow::Result<Self> {
        let dummy = hash_blocking("not-a-real-password".to_owned(), cost).await?;
        Ok(Self {
            cost,
            dummy_hash: dummy.into(),
        })
    }

    pub fn cost(&self) -> u32 {
        self.cost
    }

    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        hash_blocking(password, self.cost).await
    }

    /// Checks `password` against `hash`, or against the dummy hash when there is
    /// no user, in which case the answer is always false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> anyhow::Result<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
            .await
            .context("the bcrypt task failed")?
            .context("the stored password hash is malformed")?;
        Ok(known && matches)
    }
}

async fn hash_blocking(password: String, cost: u32) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || bcrypt::hash(password, cost))
        .await
        .context("the bcrypt task failed")?
        .context("bcrypt could not hash the password")
}

#[cfg(test)]
mod tests {
    use super::Hasher;

    #[tokio::test]
    async fn verifies_only_the_right_password_of_a_known_user() -> anyhow::Result<()> {
        let hasher = Hasher::new(4).await?;
        let hash = hasher.hash("correct horse".into()).await?;
        assert!(
            hasher
                .verify("correct horse".into(), Some(hash.clone()))
                .await?
        );
        assert!(!hasher.verify("wrong horse".into(), Some(hash)).await?);
        assert!(!hasher.verify("not-a-real-password".into(), None).await?);
        Ok(())
    }
}
