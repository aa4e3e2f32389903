//! Access tokens: how jwt-app signs them, with the claims and the rules of
//! [`crate::verification`], and the key the JWK Set publishes.

use auth_core::{ApiError, User, unix_now};
use jsonwebtoken::Header;

use crate::{
    Config,
    jwks::PublishedKeys,
    keys::{self, Keys},
    verification::{ACCESS_TOKEN_TYP, Claims, InvalidToken, Verification},
};

/// A signed access token and its lifetime in seconds.
pub struct AccessToken {
    pub token: String,
    pub expires_in: u64,
}

/// Signs and verifies access tokens with one key and one algorithm.
pub struct Tokens {
    keys: Keys,
    verification: Verification,
    /// The public key, when there is one to publish (EdDSA); its `kid` goes
    /// into every token's header.
    published: PublishedKeys,
    issuer: String,
    audience: String,
    ttl_secs: u64,
}

impl Tokens {
    /// Checks the settings, then loads (or creates) the key: nothing is
    /// written to disk for a configuration that is refused anyway.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let verification = Verification::new(
            config.jwt_alg,
            &config.jwt_issuer,
            &config.jwt_audience,
            config.jwt_leeway,
        )?;
        let ttl_secs = config.access_ttl.as_secs();
        if ttl_secs == 0 {
            anyhow::bail!("ACCESS_TTL must be at least 1 second");
        }
        let keys = keys::load(
            config.jwt_alg,
            config.jwt_secret.as_ref(),
            &config.common.data_dir,
        )?;
        let published = PublishedKeys::of(&keys)?;
        Ok(Self {
            keys,
            verification,
            published,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl_secs,
        })
    }

    /// What `GET /.well-known/jwks.json` answers.
    pub fn published(&self) -> &PublishedKeys {
        &self.published
    }

    /// How long past `exp` a token is still accepted: a denylist entry must
    /// outlive the token by this much.
    pub fn leeway_secs(&self) -> u64 {
        self.verification.leeway_secs()
    }

    /// When an access token issued now stops being accepted, leeway
    /// included: a denied login must stay denied that long.
    pub fn last_expiry_from_now(&self) -> i64 {
        unix_now().saturating_add_unsigned(self.ttl_secs + self.leeway_secs())
    }

    pub fn issue(&self, user: &User, family_id: &str) -> Result<AccessToken, ApiError> {
        let now = unix_now();
        let claims = Claims {
            sub: user.id.to_string(),
            email: user.email.clone(),
            role: user.role,
            iat: now,
            exp: now.saturating_add_unsigned(self.ttl_secs),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: uuid::Uuid::new_v4().to_string(),
            sid: family_id.to_owned(),
        };
        let mut header = Header::new(self.keys.algorithm);
        header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        // The resource server picks the published key by it.
        header.kid = self.published.kid().map(str::to_owned);
        let token = jsonwebtoken::encode(&header, &claims, &self.keys.encoding).map_err(|e| {
            ApiError::Internal(anyhow::anyhow!("cannot sign the access token: {e}"))
        })?;
        Ok(AccessToken {
            token,
            expires_in: self.ttl_secs,
        })
    }

    /// Verifies a token with this server's own key and the pinned rules.
    pub fn verify(&self, token: &str) -> Result<Claims, InvalidToken> {
        self.verification.verify(token, &self.keys.decoding)
    }

    /// [`Self::verify`] with an expired token accepted: for logout only.
    pub fn verify_expired_too(&self, token: &str) -> Result<Claims, InvalidToken> {
        self.verification
            .verify_expired_too(token, &self.keys.decoding)
    }
}
