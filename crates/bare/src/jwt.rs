//! jsonwebtoken as its documentation shows it: one key, one algorithm, the
//! claims decoded straight into a struct, and optionally a Redis lookup.

use std::{sync::Arc, time::Duration};

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    routing::{get, post},
};
use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::{RngCore, rngs::OsRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, KeysInterface, Pool};

use crate::{EMAIL, hello};

const ISSUER: &str = "bare";
const AUDIENCE: &str = "bare-api";

/// The claims jwt-app's access tokens carry, so that the same bytes are
/// decoded and checked.
#[derive(Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: String,
    role: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    jti: String,
    sid: String,
}

pub struct Keys {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub fn hs256() -> Self {
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        Self {
            algorithm: Algorithm::HS256,
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
        }
    }

    pub fn eddsa() -> anyhow::Result<Self> {
        let signing = SigningKey::generate(&mut OsRng);
        let pkcs8 = signing
            .to_pkcs8_der()
            .map_err(|e| anyhow::anyhow!("cannot encode the Ed25519 key: {e}"))?;
        Ok(Self {
            algorithm: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(pkcs8.as_bytes()),
            decoding: DecodingKey::from_ed_der(&signing.verifying_key().to_bytes()),
        })
    }
}

/// One `EXISTS` of two keys per request, as jwt-app's Redis denylist asks.
pub struct Denylist {
    pool: Pool,
    prefix: String,
}

impl Denylist {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let pool = Pool::new(Config::from_url(url)?, None, None, None, 4)?;
        pool.connect();
        pool.wait_for_connect().await?;
        Ok(Self {
            pool,
            prefix: prefix.to_owned(),
        })
    }
}

struct Jwt {
    keys: Keys,
    validation: Validation,
    denylist: Option<Denylist>,
}

pub fn app(keys: Keys, denylist: Option<Denylist>) -> Router {
    let mut validation = Validation::new(keys.algorithm);
    validation.leeway = 5;
    validation.validate_nbf = true;
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let state = Arc::new(Jwt {
        keys,
        validation,
        denylist,
    });
    Router::new()
        .route("/protected", get(protected))
        .route("/login", post(login))
        .with_state(state)
}

async fn login(State(jwt): State<Arc<Jwt>>) -> Result<Json<Value>, StatusCode> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let claims = Claims {
        sub: "1".into(),
        email: EMAIL.into(),
        role: "user".into(),
        iat: now,
        exp: now + 900,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        jti: format!("{:032x}", rand::random::<u128>()),
        sid: format!("{:032x}", rand::random::<u128>()),
    };
    let mut header = Header::new(jwt.keys.algorithm);
    header.typ = Some("at+jwt".into());
    let token = jsonwebtoken::encode(&header, &claims, &jwt.keys.encoding)
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(json!({"access_token": token, "token_type": "Bearer"})))
}

async fn protected(
    State(jwt): State<Arc<Jwt>>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(StatusCode::UNAUTHORIZED)?;
    let claims = jsonwebtoken::decode::<Claims>(token, &jwt.keys.decoding, &jwt.validation)
        .map_err(|_| StatusCode::UNAUTHORIZED)?
        .claims;
    if let Some(denylist) = &jwt.denylist {
        let keys = vec![
            format!("{}deny:{}", denylist.prefix, claims.jti),
            format!("{}deny:sid:{}", denylist.prefix, claims.sid),
        ];
        let denied: i64 = denylist
            .pool
            .exists(keys)
            .await
            .map_err(|_| StatusCode::SERVICE_UNAVAILABLE)?;
        if denied > 0 {
            return Err(StatusCode::UNAUTHORIZED);
        }
    }
    Ok(hello(&claims.email))
}
