// jwt-app's part: how the page keeps and sends the tokens depends on the
// server's transport (body[data-transport]); each transport is one entry
// below. expiry() is the access token's exp in seconds, or null.
const transports = {
  // As the articles do: both tokens in localStorage, the access token added
  // as a header by this page's code.
  header: {
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
    credential() {
      const token = this.access();
      return token
        ? `Authorization: Bearer ${token.slice(0, 16)}… (added by this page's code)`
        : "none (no token stored)";
    },
    refreshCredential: "refresh_token in the JSON body (added by this page's code)",
    expiry() {
      const token = this.access();
      return (token && claimsOf(token)?.payload.exp) || null;
    },
    render() {
      const token = this.access();
      const decoded = token && claimsOf(token);
      show("claims", decoded ? JSON.stringify(decoded, null, 2) : "(no access token)");
      show("refresh-token", this.refresh() || "(none)");
    },
    nothingStolen: "Nothing usable: no token in localStorage or document.cookie.",
  },
  // TOKEN_TRANSPORT=cookie: both tokens are HttpOnly cookies the browser
  // keeps and adds by itself, and the login answer carries none. Only the
  // lifetime is kept, in a variable, for the countdown: storing anything
  // would hand it to an injected script.
  cookie: {
    expiresAt: null,
    store(body) {
      this.expiresAt = Math.floor(Date.now() / 1000) + body.expires_in;
    },
    forget() {
      this.expiresAt = null;
    },
    access: () => null,
    refresh: () => null,
    refreshBody: () => undefined,
    headers: () => ({}),
    credential() {
      return this.expiresAt
        ? "Cookie: access_token=… (the browser added it; this page never sees it)"
        : "none (not logged in; the browser adds a cookie if it holds one)";
    },
    refreshCredential: "Cookie: refresh_token=… (Path=/refresh, the browser added it)",
    expiry() {
      return this.expiresAt;
    },
    render() {},
    nothingStolen:
      "Nothing usable: both tokens are HttpOnly cookies, so document.cookie is empty, and localStorage holds no token. Replayed, this curl gets 401.",
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

const transport = transports[document.body.dataset.transport];

const jwt = {
  credential: () => transport.credential(),
  headers: () => transport.headers(),
  loggedIn: (body) => transport.store(body),
  loggedOut: () => transport.forget(),
  logoutBody: () => transport.refreshBody(),
  render() {
    show("storage", JSON.stringify({ ...localStorage }, null, 2));
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
    const left = exp - Math.floor(Date.now() / 1000);
    show(
      "countdown",
      left > 0 ? `${Math.floor(left / 60)} min ${left % 60} s` : "0 s: expired, use /refresh",
    );
  },
  replay(loot) {
    const token = loot.localStorage.access_token;
    const refresh = loot.localStorage.refresh_token;
    if (!token) {
      const cookie = loot["document.cookie"];
      return {
        usable: false,
        headers: {},
        credential: transport.credential(),
        curl: cookie
          ? `curl -i -H ${shellQuote(`Cookie: ${cookie}`)} ${location.origin}/protected`
          : `curl -i ${location.origin}/protected`,
        verdict: transport.nothingStolen,
      };
    }
    const exp = claimsOf(token)?.payload.exp;
    const lines = [`curl -i -H ${shellQuote(`Authorization: Bearer ${token}`)} ${location.origin}/protected`];
    if (refresh) {
      lines.push(
        `curl -i -X POST ${location.origin}/refresh -H 'content-type: application/json' -d ${shellQuote(JSON.stringify({ refresh_token: refresh }))}`,
      );
    }
    return {
      usable: true,
      headers: { authorization: `Bearer ${token}` },
      credential: `Authorization: Bearer ${token.slice(0, 16)}… (the stolen token, added by the injected script)`,
      curl: lines.join("\n\n"),
      verdict:
        `A working bearer token: from any machine this curl gets 200 until ${exp ? new Date(exp * 1000).toLocaleTimeString() : "it expires"}, ` +
        "logout or not (unless a denylist is on)" +
        (refresh ? "; and the refresh token mints new ones." : "."),
    };
  },
};

if (transport) {
  start(jwt);
  $("refresh").onclick = async () => {
    const { status, data } = await api("POST", "/refresh", {
      body: transport.refreshBody(),
      credential: transport.refreshCredential,
    });
    if (status === 200) transport.store(data);
    jwt.render();
  };
  setInterval(() => jwt.tick(), 1000);
} else {
  show("answer", `This page does not know the transport ${document.body.dataset.transport}.`);
}
