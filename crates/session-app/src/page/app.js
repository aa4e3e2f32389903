// session-app's part: the browser keeps the credential, in a cookie this
// page can neither read nor send itself. The page writes nothing to
// localStorage: whatever is there was left by something else.
const session = {
  storageKeys: [],
  leftoverFrom: "another server or an earlier run on this origin (not session-app's)",
  cookieHint: () => "sid=… after a login here",
  whoamiPath: "/session",
  whoamiDetail(body) {
    const ends = Date.parse(body.expires_at);
    return `(role ${body.role}; the server's session record expires ${Number.isNaN(ends) ? `in ${duration(body.expires_in)}` : when(Math.floor(ends / 1000))})`;
  },
  headers: () => ({}),
  loggedIn(body) {
    show("max-age", `${body.expires_in} (${duration(body.expires_in)})`);
  },
  loggedOut() {},
  logoutBody: () => undefined,
  render() {
    show("doc-cookie", JSON.stringify(document.cookie));
    show("storage", storageText());
  },
  nothingStolen:
    "Nothing usable: the sid cookie is HttpOnly, so document.cookie is empty, and localStorage holds no credential.",
};

start(session);
