// jwt-app's part: how the page keeps and sends the tokens depends on the
// server's transport (body[data-transport]); each transport is one entry
// below. expiry() is the access token's exp in seconds, or null.
const transports = {
  // As the articles do: both tokens in localStorage, the access token added
  // as a header by this page's code.
  header: {
    storageKeys: ["access_token", "refresh_token"],
    leftoverFrom: "another run on this origin",
    cookieHint: () => "jwt-app in header mode reads none",
    store(body) {
      localStorage.setItem("access_token", body.access_token);
      localStorage.setItem("refresh_token", body.refresh_token);
    },
    forget() {
      localStorage.removeItem("access_token");
      localStorage.removeItem("refresh_token");
    },
    access() {
      return localStorage.getItem("access_token");
    },
    refresh() {
      return localStorage.getItem("refresh_token");
    },
    refreshBody() {
      return { refresh_token: this.refresh() };
    },
    headers() {
      const token = this.access();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    expiry() {
      const token = this.access();
      return (token && claimsOf(token)?.payload.exp) || null;
    },
    render() {
      const token = this.access();
      const decoded = token && claimsOf(token);
      show(
        "claims",
        decoded
          ? withTimes(JSON.stringify(decoded, null, 2))
          : token
            ? "(something is stored under access_token, but it is not a JWT this page can decode)"
            : "(no access token)",
      );
      show("refresh-token", this.refresh() || "(none)");
    },
    nothingStolen: "Nothing usable: no token in localStorage or document.cookie.",
  },
  // TOKEN_TRANSPORT=cookie: both tokens are HttpOnly cookies the browser
  // keeps and adds by itself, and the login answer carries none. Only the
  // lifetime is kept, in a variable, for the countdown: storing anything
  // would hand it to an injected script. Any token in localStorage was put
  // there by the header mode's page, on this same origin.
  cookie: {
    storageKeys: [],
    leftoverFrom: "header mode",
    cookieHint: (path) =>
      path === "/refresh"
        ? "access_token=… and refresh_token=… (Path=/refresh) after a login here"
        : "access_token=… after a login here",
    expiresAt: null,
    store(body) {
      this.expiresAt = nowSeconds() + body.expires_in;
    },
    forget() {
      this.expiresAt = null;
    },
    refreshBody: () => undefined,
    headers: () => ({}),
    expiry() {
      return this.expiresAt;
    },
    render() {},
    nothingStolen:
      "Nothing usable: both tokens are HttpOnly cookies, so document.cookie is empty, and localStorage holds no token.",
  },
};

function decodeJwtPart(part) {
  const bytes = Uint8Array.from(atob(part.replace(/-/g, "+").replace(/_/g, "/")), (c) =>
    c.charCodeAt(0),
  );
  return JSON.parse(new TextDecoder().decode(bytes));
}

function claimsOf(token) {
  try {
    const [header, payload] = token.split(".");
    return { header: decodeJwtPart(header), payload: decodeJwtPart(payload) };
  } catch {
    return null;
  }
}

// The decoded token with each time claim read out: `"exp": 1712345678,  ← 10:20:17, in 14 min 59 s`.
function withTimes(json) {
  return json.replace(/("(?:exp|iat|nbf)": (\d+))(,?)/g, (_, claim, n, comma) => `${claim}${comma}  ← ${when(Number(n))}`);
}

const transport = transports[document.body.dataset.transport];

const jwt = {
  storageKeys: transport?.storageKeys,
  leftoverFrom: transport?.leftoverFrom,
  cookieHint: (path) => transport.cookieHint(path),
  whoamiPath: "/profile",
  whoamiDetail(body) {
    const exp = transport.expiry();
    return (
      `(role ${body.role}; ` +
      (exp
        ? `the access token expires ${when(exp)})`
        : "the access token's expiry is not known to this page after a reload: it kept only the login answer's expires_in)")
    );
  },
  headers: () => transport.headers(),
  loggedIn: (body) => transport.store(body),
  loggedOut: () => transport.forget(),
  logoutBody: () => transport.refreshBody(),
  expiryOf: (token) => claimsOf(token)?.payload.exp,
  nothingStolen: transport?.nothingStolen,
  render() {
    show("storage", storageText());
    show("doc-cookie", JSON.stringify(document.cookie));
    transport.render();
    this.tick();
  },
  tick() {
    const exp = transport.expiry();
    if (!exp) {
      show("countdown", "–");
      return;
    }
    show("countdown", exp > nowSeconds() ? when(exp) : `${when(exp)}: expired, use /refresh`);
  },
};

if (transport) {
  start(jwt);
  $("refresh").addEventListener("click", async () => {
    const { status, data } = await api("POST", "/refresh", { body: transport.refreshBody() });
    if (status === 200) transport.store(data);
    jwt.render();
    await whoami();
    $("answer").scrollIntoView({ block: "nearest" });
  });
  setInterval(() => {
    jwt.tick();
    transport.render();
  }, 1000);
} else {
  show("answer", `This page does not know the transport ${document.body.dataset.transport}.`);
}
