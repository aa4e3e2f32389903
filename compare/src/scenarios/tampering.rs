//! Row 6: Tampering: one byte of the credential changed; a JWT whose payload
//! claims someone else (not re-signed); a JWT that says `alg: none`.

use serde_json::{Value, json};

use super::{Each, Scenario};
use crate::{
    columns::Configuration,
    jwt_by_hand::{decode_jwt, encode_part},
    lab::{
        Lab,
        http::{self, Credential},
    },
    report::Cell,
};

pub const SCENARIO: Scenario = Scenario {
    id: "tampering",
    title: "Tampering",
    claim: "A JWT is signed, so it cannot be altered; a session id cannot be forged either.",
    lesson: "Both hold: a changed session id names no session, and a changed JWT fails its \
             signature. The JWT's safety rests entirely on the key and on accepting only the \
             configured algorithm (`alg: none` is refused); the session's on 128 random bits.",
    measure: &Each(one),
};

async fn one(lab: &Lab, config: &'static Configuration) -> anyhow::Result<Cell> {
    let server = lab.start(config, &[]).await?;
    let http = lab.http(config)?;
    let (_, credential) = http::new_user(&http, &server, "tamper").await?;
    let genuine = http::status(&http, &server, "/protected", &credential).await?;

    let (flipped, at) = flip_middle(credential.value(), middle_of(&credential));
    let flip_note = format!(
        "flipped byte (character {at} of the {}), on /protected:",
        if credential.jwt().is_some() {
            "token, inside its signature"
        } else {
            "session id"
        }
    );
    let mut attempts: Vec<(&str, String, &str, Credential)> = vec![(
        "flipped byte",
        flip_note,
        "/protected",
        credential.with_value(flipped),
    )];
    if let Some(access) = credential.jwt()
        && let Some((edited, none_alg)) = forgeries(access)
    {
        attempts.push((
            "edited claims",
            "payload edited to another email and role admin, signature kept, on /admin:".into(),
            "/admin",
            credential.with_value(edited),
        ));
        attempts.push((
            "alg none",
            "header says alg none, no signature at all, on /admin:".into(),
            "/admin",
            credential.with_value(none_alg),
        ));
    }
    let mut parts = Vec::new();
    let mut worst = 401;
    for (what, note, path, forged) in &attempts {
        lab.note(config.name, note);
        let status = http::status(&http, &server, path, forged).await?;
        if status != 401 && worst == 401 {
            worst = status;
        }
        parts.push(format!("{what} {status}"));
    }
    let jwt_forgeries_made = credential.jwt().is_none() || attempts.len() == 3;
    Ok(Cell::new(
        parts.join(" · "),
        worst,
        genuine == 200 && worst == 401 && jwt_forgeries_made,
    ))
}

/// Where to change a character: inside the signature of a JWT, inside the id
/// of a cookie. Not the last character, whose spare bits a lenient base64
/// decoder may ignore.
fn middle_of(credential: &Credential) -> std::ops::Range<usize> {
    let value = credential.value();
    match credential.jwt() {
        Some(_) => value.rfind('.').map_or(0, |i| i + 1)..value.len(),
        None => 0..value.len(),
    }
}

/// `value` with the character in the middle of `range` changed to another
/// one of the same alphabet, and that character's position.
fn flip_middle(value: &str, range: std::ops::Range<usize>) -> (String, usize) {
    let mut chars: Vec<char> = value.chars().collect();
    let i = range.start + (range.end.saturating_sub(range.start)) / 2;
    if let Some(c) = chars.get_mut(i) {
        *c = if *c == 'A' { 'B' } else { 'A' };
    }
    (chars.into_iter().collect(), i)
}

/// Two forgeries of a real token: the payload changed to claim another user
/// with the admin role (signature kept), and the same claims with
/// `alg: none` and no signature.
fn forgeries(token: &str) -> Option<(String, String)> {
    let (_, mut claims) = decode_jwt(token)?;
    let head = token.split('.').next()?;
    let signature = token.rsplit('.').next()?;
    if let Value::Object(map) = &mut claims {
        map.insert("email".into(), json!("someone-else@example.com"));
        map.insert("role".into(), json!("admin"));
    }
    let edited = format!("{head}.{}.{signature}", encode_part(&claims));
    let none = format!(
        "{}.{}.",
        encode_part(&json!({"alg": "none", "typ": "JWT"})),
        encode_part(&claims)
    );
    Some((edited, none))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_character_changes_inside_the_range() {
        let flipped = flip_middle("aaaa.bbbb.cccc", 10..14);
        assert_eq!(flipped, ("aaaa.bbbb.ccAc".to_owned(), 12));
        assert_eq!(flip_middle("AAAA", 0..4).0, "AABA");
    }

    #[test]
    fn forged_tokens_claim_admin_and_keep_or_drop_the_signature() {
        let token = format!(
            "{}.{}.SIG",
            encode_part(&json!({"alg": "HS256"})),
            encode_part(&json!({"email": "me@example.com", "role": "user"}))
        );
        let (edited, none) = forgeries(&token).expect("forgeable");
        assert!(edited.ends_with(".SIG"));
        let (_, claims) = decode_jwt(&edited).expect("decodes");
        assert_eq!(claims["role"], "admin");
        let (head, _) = decode_jwt(&none).expect("decodes");
        assert_eq!(head["alg"], "none");
        assert!(none.ends_with('.'));
    }
}
