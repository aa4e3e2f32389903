//! The rules of the account-lifecycle rows (your logins, sign out
//! everywhere, password change, idle timeout): where the two approaches
//! differ most, since each ends logins that are already out.

use std::fmt::Write as _;

use super::{
    Col, Judgement, Meaning, Tone, Verdict, dead_credential, judged, names, not_measured, pick,
    shown_status, status_text, with_values,
};

fn status(c: &Col) -> String {
    status_text(c.status())
}

/// The JWT columns whose refresh token was refused once their login ended.
fn refresh_refused<'b, 'a>(cols: &'b [Col<'a>]) -> Vec<&'b Col<'a>> {
    pick(cols, |c| c.is_jwt() && c.asked("refresh") == Some(401))
}

/// The shared judgement of a claim that ending logins does not reach a JWT:
/// holds while a JWT without a denylist still answered 200, with the catch
/// where a denylist refused it; false in practice when no such JWT did.
/// `who` names the credential that should have died ("the other devices'").
fn ended_jwt_lives_on(cols: &[Col], who: &str) -> Judgement {
    let stateless = pick(cols, |c| c.stateless_jwt());
    if stateless.is_empty() {
        return not_measured("a JWT without a denylist");
    }
    let still = pick(cols, |c| c.stateless_jwt() && c.status() == Some(200));
    if still.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "{who} JWT without a denylist was refused at once ({}).",
                with_values(&stateless, status)
            ),
        );
    }
    let mut why = format!(
        "{who} JWT without a denylist still got 200 until its exp ({})",
        names(&still)
    );
    let sessions = pick(cols, |c| c.is_session());
    if !sessions.is_empty() {
        let _ = write!(
            why,
            ", where the session was refused at once ({})",
            with_values(&sessions, status)
        );
    }
    let refused = refresh_refused(cols);
    if !refused.is_empty() {
        let _ = write!(why, "; its refresh token died ({})", names(&refused));
    }
    let denied = pick(cols, |c| c.denylisted() && c.status() == Some(401));
    if denied.is_empty() {
        why.push('.');
        return judged(Verdict::Holds, why);
    }
    let _ = write!(
        why,
        "; the catch: a denylist refused it at once ({}), at the price of a lookup per request.",
        with_values(&denied, status)
    );
    judged(Verdict::HoldsWithACatch, why)
}

fn ended_meaning(c: &Col) -> Meaning {
    let (tone, label) = dead_credential(c.status(), "still works once ended", "refused");
    Meaning::new(tone, &label, shown_status(c.status()))
}

pub(super) fn your_logins(cols: &[Col]) -> Judgement {
    let jwts = pick(cols, |c| c.is_jwt());
    if jwts.is_empty() {
        return not_measured("a JWT login listed and ended");
    }
    let listed = pick(cols, |c| c.is_jwt() && c.asked("listed") == Some(200));
    if listed.is_empty() {
        return judged(
            Verdict::Holds,
            format!("No JWT login could be listed ({}).", names(&jwts)),
        );
    }
    let ended = ended_jwt_lives_on(cols, "The ended login's");
    let why = format!(
        "Every column listed the account's logins with their devices ({} as refresh families, \
         server state); {}",
        names(&listed),
        lower_first(&ended.why),
    );
    match ended.verdict {
        // Listed and ended alike: the claim's second half is false.
        Verdict::FalseInPractice => judged(Verdict::FalseInPractice, why),
        Verdict::NotMeasured => ended,
        // Listed, yet its access token outlives the end: half of the claim.
        _ => judged(Verdict::HalfTrue, why),
    }
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

pub(super) fn your_logins_meaning(c: &Col) -> Meaning {
    ended_meaning(c)
}

pub(super) fn sign_out_everywhere(cols: &[Col]) -> Judgement {
    ended_jwt_lives_on(cols, "After signing out everywhere, the other devices'")
}

pub(super) fn sign_out_everywhere_meaning(c: &Col) -> Meaning {
    ended_meaning(c)
}

pub(super) fn password_change(cols: &[Col]) -> Judgement {
    ended_jwt_lives_on(cols, "After the password change, the thief's")
}

pub(super) fn password_change_meaning(c: &Col) -> Meaning {
    ended_meaning(c)
}

pub(super) fn idle_timeout(cols: &[Col]) -> Judgement {
    let (sessions, jwts) = (pick(cols, |c| c.is_session()), pick(cols, |c| c.is_jwt()));
    if sessions.is_empty() || jwts.is_empty() {
        return not_measured("an idle session and an idle JWT");
    }
    let sessions_alive = pick(cols, |c| c.is_session() && c.status() != Some(401));
    if !sessions_alive.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "An idle session was not refused after the idle timeout ({}).",
                with_values(&sessions_alive, status)
            ),
        );
    }
    let jwts_refused = pick(cols, |c| c.is_jwt() && c.status() != Some(200));
    if !jwts_refused.is_empty() {
        return judged(
            Verdict::FalseInPractice,
            format!(
                "An idle JWT was cut short before its exp ({}).",
                with_values(&jwts_refused, status)
            ),
        );
    }
    let why = format!(
        "The idle session was refused ({}) while the idle JWT still got 200 ({})",
        with_values(&sessions, status),
        names(&jwts)
    );
    let refused = refresh_refused(cols);
    if refused.is_empty() {
        return judged(Verdict::Holds, format!("{why}."));
    }
    judged(
        Verdict::HoldsWithACatch,
        format!(
            "{why}; the catch: its refresh token obeyed the idle timeout ({}), so the idle \
             client is cut off at its next refresh, up to one access-token lifetime later.",
            names(&refused)
        ),
    )
}

pub(super) fn idle_timeout_meaning(c: &Col) -> Meaning {
    let (tone, label) = match c.status() {
        Some(401) => (Tone::Good, "timed out"),
        Some(200) => (Tone::Catch, "still works while idle"),
        _ => (Tone::Bad, "unexpected"),
    };
    Meaning::new(tone, label, shown_status(c.status()))
}
