// session-app's part: the browser keeps the credential, in a cookie this
// page can neither read nor send itself.
const session = {
  signedIn: false,
  credential() {
    return this.signedIn
      ? "Cookie: sid=… (the browser added it; this page never sees it)"
      : "none (no session yet)";
  },
  headers() {
    return {};
  },
  loggedIn(body) {
    this.signedIn = true;
    show("max-age", body.expires_in);
  },
  loggedOut() {
    this.signedIn = false;
  },
  render() {
    show("doc-cookie", JSON.stringify(document.cookie));
    show("storage", JSON.stringify({ ...localStorage }, null, 2));
  },
  replay(loot) {
    const cookie = loot["document.cookie"];
    const usable = /(^|;\s*)(__Host-)?sid=/.test(cookie);
    return {
      usable,
      headers: {},
      credential: this.signedIn
        ? "Cookie: sid=… (the browser added it to the injected script's request)"
        : "none (no session yet)",
      curl: `curl -i -H ${shellQuote(`Cookie: ${cookie}`)} ${location.origin}/protected`,
      verdict: usable
        ? "The session cookie was readable: this curl is logged in as you."
        : "Nothing usable: the sid cookie is HttpOnly, so document.cookie is empty, and localStorage holds no credential. Replayed, this curl gets 401.",
    };
  },
};

start(session);
