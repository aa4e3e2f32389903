//! Newtypes that parse input once, so that the rest of the code holds only valid values.

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use crate::ApiError;

/// bcrypt reads only the first 72 bytes: a longer password is refused, not truncated.
pub const PASSWORD_MAX_BYTES: usize = 72;
pub const PASSWORD_MIN_BYTES: usize = 8;

/// A trimmed, lower-cased, NFC-normalized address of plausible shape: one
/// identity per address however it was typed, so that `é` composed and `é`
/// decomposed are one account, one throttle count and one uniqueness check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        // NFC after lower-casing: lower-casing can decompose a character.
        let email: String = raw.trim().to_lowercase().nfc().collect();
        let invalid = |why: &str| Err(ApiError::InvalidInput(format!("email {why}")));
        if email.is_empty() {
            return invalid("is empty");
        }
        if email.len() > 254 {
            return invalid("is longer than 254 characters");
        }
        let Some((local, domain)) = email.split_once('@') else {
            return invalid("needs an @");
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return invalid("needs one @ with a name before it");
        }
        let labels_ok = domain.split('.').count() >= 2
            && domain
                .split('.')
                .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if !labels_ok {
            return invalid("needs a domain like example.com after the @");
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return invalid("must not contain spaces");
        }
        Ok(Self(email))
    }

    /// An address for a new account: what [`Email::parse`] accepts, and also
    /// well-formed by RFC 5322 as a maintained parser (`email_address`) reads
    /// it, with the project's rules on top: no domain literal (`a@[127.0.0.1]`),
    /// no display name, a dot in the domain, and domain labels of letters,
    /// digits and hyphens only (`a@b_c.com`, `a@b.co*`, `a@b.co<script>` are
    /// refused). Only registration uses it: logins, lookups and the operator's
    /// command keep [`Email::parse`], so that an address stored under the
    /// older, looser rules still logs in.
    pub fn parse_new(raw: &str) -> Result<Self, ApiError> {
        let email = Self::parse(raw)?;
        let invalid = |why: &str| Err(ApiError::InvalidInput(format!("email {why}")));
        let options = email_address::Options::default()
            .with_required_tld()
            .without_domain_literal()
            .without_display_text();
        let parsed = match email_address::EmailAddress::parse_with_options(email.as_str(), options)
        {
            Ok(parsed) => parsed,
            Err(e) => return invalid(&format!("is not a valid address ({e})")),
        };
        let domain = parsed.domain();
        let label_ok = |label: &str| label.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !domain.split('.').all(label_ok) {
            return invalid("needs a domain of letters, digits, hyphens and dots after the @");
        }
        Ok(email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that bcrypt can hash whole, and that meets the minimum length.
#[derive(Clone)]
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String) -> Result<Self, ApiError> {
        if raw.len() < PASSWORD_MIN_BYTES {
            return Err(ApiError::InvalidInput(format!(
                "password must be at least {PASSWORD_MIN_BYTES} bytes"
            )));
        }
        check_max_len(&raw)?;
        Ok(Self(raw))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

fn check_max_len(raw: &str) -> Result<(), ApiError> {
    if raw.len() > PASSWORD_MAX_BYTES {
        return Err(ApiError::InvalidInput(format!(
            "password must be at most {PASSWORD_MAX_BYTES} bytes (bcrypt ignores the rest)"
        )));
    }
    Ok(())
}

/// The body of /login as sent. The schema's limits are the handlers'
/// (`LoginAttempt`): a client that keeps them is never refused with 400.
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = Credentials)]
pub struct CredentialsBody {
    /// Trimmed, lower-cased and NFC-normalized before any use. The pattern
    /// is `Email::parse`'s: Rust's whitespace (what `trim` removes) around
    /// it, no whitespace or control character inside.
    #[schema(example = "ada@example.com", format = Email, max_length = 254,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]*[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$")]
    pub email: String,
    /// What was registered: 1 to 72 bytes (JSON Schema counts characters,
    /// the server bytes: a password of non-ASCII characters holds fewer).
    #[schema(example = "correct horse battery", min_length = 1, max_length = 72)]
    pub password: String,
}

/// The body of /register as sent, with its rules in the schema (`NewAccount`).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = NewCredentials)]
pub struct RegistrationBody {
    /// Trimmed, lower-cased and NFC-normalized before any use; a domain of
    /// letters, digits and hyphens, with a dot.
    #[schema(example = "ada@example.com", format = Email, max_length = 254,
        pattern = r"^[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\x00-\x1F\x7F-\x9F]*[\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$")]
    pub email: String,
    /// 8 to 72 bytes: bcrypt reads only 72, so a longer one is refused
    /// rather than silently cut.
    #[schema(example = "correct horse battery", min_length = 8, max_length = 72)]
    pub password: String,
}

/// Credentials for registering: a valid email and a password that meets the policy.
pub struct NewAccount {
    pub email: Email,
    pub password: NewPassword,
}

impl TryFrom<RegistrationBody> for NewAccount {
    type Error = ApiError;
    fn try_from(body: RegistrationBody) -> Result<Self, ApiError> {
        Ok(Self {
            email: Email::parse_new(&body.email)?,
            password: NewPassword::parse(body.password)?,
        })
    }
}

/// Credentials for logging in. The minimum length is not checked here, so that
/// a later, stricter policy does not lock out existing accounts.
pub struct LoginAttempt {
    pub email: Email,
    pub password: String,
}

impl LoginAttempt {
    /// A password given for `email`, held to the rules of `/login` wherever
    /// it is given (a login, or a re-check before an account change): not
    /// empty, and at most 72 bytes, since bcrypt would match a longer one on
    /// its first 72 alone.
    pub fn new(email: &str, password: String) -> Result<Self, ApiError> {
        if password.is_empty() {
            return Err(ApiError::InvalidInput("password is empty".into()));
        }
        check_max_len(&password)?;
        Ok(Self {
            email: Email::parse(email)?,
            password,
        })
    }
}

impl TryFrom<CredentialsBody> for LoginAttempt {
    type Error = ApiError;
    fn try_from(body: CredentialsBody) -> Result<Self, ApiError> {
        Self::new(&body.email, body.password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").ok().map(|e| e.0),
            Some("ada@example.com".into())
        );
    }

    #[test]
    fn composed_and_decomposed_spellings_are_one_address() {
        let composed = Email::parse("ren\u{e9}@example.com").ok();
        let decomposed = Email::parse("RENE\u{301}@Example.com").ok();
        assert!(composed.is_some());
        assert_eq!(composed, decomposed);
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn new_addresses_pass_a_real_parser_and_the_projects_rules() {
        for bad in [
            "a@b.co<script>",
            "a@b.co*",
            "a@b_c.com",
            "a@[127.0.0.1]",
            "a@[ipv6:::1]",
            "ada@example",
            "a<b>@x.io",
            "Ada <ada@example.com>",
            "\"a b\"@example.com",
        ] {
            assert!(Email::parse_new(bad).is_err(), "{bad:?} was accepted");
        }
        for good in [
            "ada@example.com",
            "a.b+tag@sub.example.co.uk",
            "ren\u{e9}@b\u{fc}cher.example",
            "o'brien@x-y.io",
            "\"<img/src='x'>\"@x.io",
        ] {
            assert!(Email::parse_new(good).is_ok(), "{good:?} was refused");
        }
        assert_eq!(
            Email::parse_new("  Ada@Example.COM ").ok(),
            Email::parse("ada@example.com").ok(),
            "the same normalization as every lookup"
        );
        // What older rules stored still parses for a login's lookup.
        assert!(Email::parse("a@b_c.com").is_ok());
    }

    #[test]
    fn password_bounds_are_in_bytes() {
        assert!(NewPassword::parse("1234567".into()).is_err());
        assert!(NewPassword::parse("12345678".into()).is_ok());
        assert!(NewPassword::parse("x".repeat(72)).is_ok());
        assert!(NewPassword::parse("x".repeat(73)).is_err());
        // 36 two-byte characters are 72 bytes; 37 are 74.
        assert!(NewPassword::parse("é".repeat(36)).is_ok());
        assert!(NewPassword::parse("é".repeat(37)).is_err());
    }
}
