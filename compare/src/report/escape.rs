//! Text into HTML and SVG: both the page and the charts put measured
//! strings (server answers, error text) into markup.

/// `text` safe in HTML text and in a quoted attribute.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped, with each pair of backticks made `<code>`: the prose of
/// the claims, lessons and outcomes writes inline code as Markdown does. A
/// backtick without its pair stays as it is.
pub fn esc_code(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    let mut out = String::with_capacity(text.len() + 16);
    let pairs = (parts.len() - 1) / 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            let opening = i % 2 == 1;
            let paired = i.div_ceil(2) <= pairs;
            out.push_str(match (opening, paired) {
                (true, true) => "<code>",
                (false, true) => "</code>",
                (_, false) => "`",
            });
        }
        out.push_str(&esc(part));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backtick_pairs_become_code_after_escaping() {
        assert_eq!(
            esc_code("until `exp` (`alg: <none>`)"),
            "until <code>exp</code> (<code>alg: &lt;none&gt;</code>)"
        );
        assert_eq!(esc_code("a `b` c ` d"), "a <code>b</code> c ` d");
        assert_eq!(esc_code("no code"), "no code");
    }
}
