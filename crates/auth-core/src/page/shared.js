"use strict";
// Shared by the session page and the jwt page. Every string from the server
// (or typed by a user) reaches the page through textContent, never innerHTML:
// an account named <img src=x onerror=…>@x.io must show as text, not run.
// Every handler is attached here, none in the HTML.

const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function show(id, text) {
  $(id).textContent = text;
}

function pretty(data) {
  return typeof data === "string" ? data : JSON.stringify(data, null, 2);
}

// A value for a POSIX shell: nothing in it is interpreted.
function shellQuote(s) {
  return "'" + String(s).replace(/'/g, "'\\''") + "'";
}

// What this page keeps in localStorage for its own display: never a
// credential, not counted as loot, and kept by "forget".
const LARGE_TYPE_KEY = "workshop.large-type";
const SETTINGS_KEYS = [LARGE_TYPE_KEY];

// --- Times, as a person reads them ------------------------------------------

const nowSeconds = () => Math.floor(Date.now() / 1000);

function clock(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString([], {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
}

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
}

// "10:20:17, in 14 min 59 s" or "10:05:17, 2 min 3 s ago".
function when(seconds) {
  const left = seconds - nowSeconds();
  const relative = left > 0 ? `in ${duration(left)}` : left < 0 ? `${duration(-left)} ago` : "now";
  return `${clock(seconds)}, ${relative}`;
}

// --- What goes with a request -----------------------------------------------

// `app`: the page's part (start() sets it).
let app = null;

function readableCookieNames() {
  return document.cookie
    .split(";")
    .map((c) => c.split("=")[0].trim())
    .filter(Boolean);
}

// The credential(s) that really go with a request: the cookies the browser
// holds for this origin (unless credentials: "omit"), which the page cannot
// see when they are HttpOnly, AND whatever header or body field the code adds.
function credentialOf(path, { headers, body, credentials, by }) {
  const parts = [];
  const authorization = headers.authorization;
  if (authorization) parts.push(`Authorization: ${authorization.slice(0, 23)}… (added by ${by})`);
  if (body && typeof body === "object" && body.refresh_token) {
    parts.push(`refresh_token in the JSON body (added by ${by})`);
  }
  if (credentials === "omit") {
    parts.push('no cookie (credentials: "omit")');
  } else {
    const readable = readableCookieNames();
    const hint = app.cookieHint(path);
    parts.push(
      "Cookie: the HttpOnly cookie(s) of this origin, if the browser holds any " +
        `(${hint}; added by the browser, never seen by this page)` +
        (readable.length ? `, and ${readable.map((n) => `${n}=…`).join(", ")} (readable by scripts)` : ""),
    );
  }
  return parts.join(" + ");
}

function logExchange(method, path, status, credential) {
  const row = el("tr");
  row.append(
    el("td", clock(nowSeconds())),
    el("td", `${method} ${path}`),
    el("td", status, `status s${String(status)[0]}`),
    el("td", credential),
  );
  $("log-body").prepend(row);
}

// Routes whose answers may carry Set-Cookie.
const SETS_COOKIES = ["/login", "/logout", "/refresh"];

// One exchange with the server, logged with the credential(s) that went
// along. `panel`: where the answer is shown ("answer", or null: only the log).
async function api(
  method,
  path,
  { body, headers = {}, credentials = "same-origin", by = "this page's code", panel = "answer" } = {},
) {
  const init = { method, headers: { ...headers }, credentials };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let status;
  let data;
  let readable = [];
  try {
    const res = await fetch(path, init);
    status = res.status;
    readable = [...res.headers].map(([name, value]) => `${name}: ${value}`);
    const text = await res.text();
    try {
      data = text ? JSON.parse(text) : "(empty body)";
    } catch {
      data = text;
    }
  } catch (e) {
    status = "failed";
    data = String(e);
  }
  logExchange(method, path, status, credentialOf(path, { headers: init.headers, body, credentials, by }));
  if (panel) {
    show(
      panel,
      `${method} ${path} → ${status}\n` +
        (readable.length ? `${readable.join("\n")}\n` : "") +
        `\n${pretty(data)}`,
    );
    show(
      "answer-note",
      SETS_COOKIES.includes(path)
        ? "Set-Cookie is not among these headers, whether or not the server sent one: no script may " +
            "read it. DevTools shows it: Network → this request → Headers → Response Headers; the cookies " +
            `the browser kept: Application → Cookies → ${location.origin}.`
        : "",
    );
  }
  return { status, data };
}

function typedAccount() {
  return { email: $("email").value, password: $("password").value };
}

// --- Who the server says we are ---------------------------------------------

// Asked on load and after every answer, with whatever this browser holds:
// what the page shows is what the server says, not what the page assumed.
async function whoami() {
  const { status, data } = await api("GET", app.whoamiPath, { headers: app.headers(), panel: null });
  $("whoami").dataset.status = String(status);
  show("whoami-request", `GET ${app.whoamiPath} → ${status}`);
  if (status === 200) {
    show("whoami", data.email);
    show("whoami-detail", app.whoamiDetail(data));
  } else {
    show("whoami", "nobody");
    show("whoami-detail", data && data.error ? `(${data.error})` : "");
  }
}

// localStorage as a script reads it, with a line for each key that is not
// this page's credential: a display setting, or left over by something else.
function storageText() {
  const text = JSON.stringify({ ...localStorage }, null, 2);
  const notes = Object.keys(localStorage)
    .sort()
    .map((key) =>
      SETTINGS_KEYS.includes(key)
        ? `${key}: this page's display setting, not a credential`
        : app.storageKeys.includes(key)
          ? null
          : `${key}: not this page's, left over from ${app.leftoverFrom}`,
    )
    .filter(Boolean);
  return notes.length ? `${text}\n\n${notes.join("\n")}` : text;
}

// --- Your logins --------------------------------------------------------------

// An ISO time from the server, as a person reads it.
function whenIso(iso) {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? String(iso) : when(Math.floor(ms / 1000));
}

// The account's logins as the server lists them, each but this one with a
// button that ends it. Every string goes in as text.
async function listLogins() {
  const { status, data } = await api("GET", "/account/logins", { headers: app.headers(), panel: "logins-answer" });
  const body = $("logins-body");
  body.replaceChildren();
  if (status !== 200 || !Array.isArray(data.logins)) {
    show("logins-note", `${status}: no list (${data && data.error ? data.error : "no answer"}).`);
    return;
  }
  for (const login of data.logins) {
    const row = el("tr", undefined, login.current ? "current" : "");
    const end = el("td");
    if (login.current) {
      end.textContent = "this browser";
    } else {
      const button = el("button", "End this login");
      button.type = "button";
      button.dataset.login = login.id;
      button.addEventListener("click", () => endLogin(login.id));
      end.append(button);
    }
    row.append(
      el("td", login.user_agent || "(no User-Agent)"),
      el("td", whenIso(login.created_at)),
      el("td", whenIso(login.last_used_at)),
      el("td", whenIso(login.expires_at)),
      end,
    );
    body.append(row);
  }
  show("logins-note", `${data.logins.length} login(s), newest first.`);
}

async function endLogin(id) {
  const { status } = await api("DELETE", `/account/logins/${encodeURIComponent(id)}`, {
    body: { password: $("password").value },
    headers: app.headers(),
    panel: "logins-answer",
  });
  await listLogins();
  show(
    "logins-note",
    status === 204
      ? "204: the server ended that login; the list above is asked again."
      : `${status}: the server did not end it.`,
  );
  await whoami();
}

async function logoutEverywhere() {
  const { status } = await api("POST", "/account/logout-everywhere", {
    body: { password: $("password").value },
    headers: app.headers(),
    panel: "logins-answer",
  });
  if (status === 204) {
    app.loggedOut();
    app.render();
    show("logins-note", "204: the server ended every login of this account, this one included.");
  } else {
    show("logins-note", `${status}: nothing was ended, by the server's answer.`);
  }
  $("logins-body").replaceChildren();
  await whoami();
}

async function changePassword() {
  const { status, data } = await api("PUT", "/account/password", {
    body: { current_password: $("password").value, new_password: $("new-password").value },
    headers: app.headers(),
    panel: "logins-answer",
  });
  if (status === 200) {
    // This login goes on under a new credential: a new cookie the browser
    // took by itself, or a new token pair the page keeps.
    if (data.access_token || data.expires_in !== undefined) app.loggedIn(data);
    app.render();
    $("password").value = $("new-password").value;
    await listLogins();
    show(
      "logins-note",
      `200: the password changed; ${data.logins_ended} other login(s) ended; this one goes on under a new credential.`,
    );
  } else {
    show("logins-note", `${status}: the password did not change.`);
  }
  await whoami();
}

// --- The page's controls ----------------------------------------------------

// `page` is what differs between the pages: how the credential is kept and
// sent. It has: storageKeys (the localStorage keys it writes: anything else
// there is left over), leftoverFrom (where such leftovers come from, in
// words), cookieHint(path) (the HttpOnly cookies its server reads there),
// whoamiPath and whoamiDetail(body), headers() (what the page's code adds),
// loggedIn(body), loggedOut(), logoutBody(), render() (the "what this
// browser holds" panel), nothingStolen, and optionally expiryOf(token).
function start(page) {
  app = page;
  const call = (method, path, body) => api(method, path, { body, headers: app.headers() });
  // A button's handler, then the server's view of who we are, then its
  // result brought into view.
  const actions = {};
  const action = (button, handler, result = "answer") => {
    const run = async () => {
      await handler();
      await whoami();
      $(result).scrollIntoView({ block: "nearest" });
    };
    button.addEventListener("click", run);
    actions[button.id || `${button.dataset.method} ${button.dataset.path}`] = run;
  };

  action($("register"), () => api("POST", "/register", { body: typedAccount() }));
  action($("login"), async () => {
    const { status, data } = await call("POST", "/login", typedAccount());
    if (status === 200) app.loggedIn(data);
    app.render();
  });
  action($("logout"), async () => {
    const { status } = await call("POST", "/logout", app.logoutBody());
    // Logged out is what the server confirms, nothing else.
    if (status === 204) {
      app.loggedOut();
      show("answer-note", "204: the server confirmed the logout; this page forgot what it held.");
    } else {
      show(
        "answer-note",
        `${status}: the server did not confirm a logout, so this page keeps what it holds. ` +
          "Whether the login still works: see “Signed in as”, asked again just now.",
      );
    }
    app.render();
  });
  for (const button of document.querySelectorAll("button[data-path]")) {
    action(button, () => call(button.dataset.method, button.dataset.path));
  }
  action($("list-logins"), listLogins, "logins");
  action($("logout-everywhere"), logoutEverywhere, "logins");
  action($("change-password"), changePassword, "logins");
  action($("inject"), injectedScript, "xss-result");
  action($("forget"), forget, "forget-result");
  $("large-type").addEventListener("click", () => largeType(!document.body.classList.contains("large")));
  largeType(localStorage.getItem(LARGE_TYPE_KEY) === "on");
  app.render();
  workshopFrame(actions, whoami());
  return call;
}

// In `just workshop`'s side-by-side page this page is a frame, on its own
// origin, driven by the parent's controls: an action's name comes in by
// postMessage, it runs exactly as its button does, and what the server then
// says goes back. Only from and to the origin named in `?workshop=`, which
// is also the only one this server's CSP lets frame the page
// (frame-ancestors): any other page's message is ignored.
function workshopFrame(actions, asked) {
  const named = new URLSearchParams(location.search).get("workshop");
  if (!named || window.parent === window) return;
  let parentOrigin;
  try {
    parentOrigin = new URL(named).origin;
  } catch {
    return;
  }
  document.body.classList.add("framed");
  const report = (extra) =>
    window.parent.postMessage(
      {
        app: document.body.dataset.app,
        transport: document.body.dataset.transport,
        whoami: $("whoami").textContent,
        whoamiStatus: $("whoami").dataset.status || "",
        answer: $("answer").textContent.split("\n")[0],
        ...extra,
      },
      parentOrigin,
    );
  window.addEventListener("message", async (event) => {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    const { action, email, password } = event.data || {};
    if (typeof email === "string") $("email").value = email;
    if (typeof password === "string") $("password").value = password;
    const run = actions[action];
    if (!run) {
      report({ action, done: false, error: "this page has no such action" });
      return;
    }
    await run();
    report({ action, done: true });
  });
  asked.then(() => report({ action: "load", done: true }));
}

function largeType(on) {
  document.body.classList.toggle("large", on);
  $("large-type").setAttribute("aria-pressed", String(on));
  if (on) localStorage.setItem(LARGE_TYPE_KEY, "on");
  else localStorage.removeItem(LARGE_TYPE_KEY);
  app.render();
}

// Clears what a script of this origin can reach, and says what it cannot.
async function forget() {
  const keys = Object.keys(localStorage)
    .filter((k) => !SETTINGS_KEYS.includes(k))
    .sort();
  for (const key of keys) localStorage.removeItem(key);
  const cookies = readableCookieNames().sort();
  for (const name of cookies) {
    document.cookie = `${name}=; Max-Age=0; Path=/`;
    document.cookie = `${name}=; Max-Age=0`;
  }
  const stuck = readableCookieNames();
  app.loggedOut();
  app.render();
  show(
    "forget-result",
    `Cleared: ${keys.length ? `localStorage ${keys.join(", ")}` : "nothing in localStorage"}; ` +
      `${cookies.length ? `cookies ${cookies.join(", ")}` : "no cookie a script can reach"}` +
      (stuck.length ? ` (still there, set for another path: ${stuck.join(", ")})` : "") +
      ". Not cleared: the HttpOnly cookie(s) of this origin, if the browser holds any " +
      `(${app.cookieHint("/")}): no script can see or delete them. Log out does that (the server ` +
      "clears them), or DevTools → Application → Cookies. Kept: the large-type setting.",
  );
}

// --- The injected script ----------------------------------------------------

// What an XSS payload does. It runs with the page's rights: whatever the
// page's scripts can read, it reads, and sends out. Here it replays each
// stolen value from the page, as the attacker would from elsewhere: without
// the browser's cookies (credentials: "omit"), with the stolen value only.
// The verdict follows the statuses measured, not what was found.
async function injectedScript() {
  const loot = { "document.cookie": document.cookie, localStorage: {} };
  for (const [key, value] of Object.entries(localStorage)) {
    if (!SETTINGS_KEYS.includes(key)) loot.localStorage[key] = value;
  }
  show("loot", JSON.stringify(loot, null, 2));
  const found = findings(loot);
  for (const f of found) {
    if (!f.replay) continue;
    const { status } = await api(f.replay.method, f.replay.path, {
      body: f.replay.body,
      headers: f.replay.headers || {},
      credentials: "omit",
      by: "the injected script: the stolen value",
      panel: null,
    });
    f.status = status;
  }
  let bare = null;
  if (!found.length) {
    // The curl with nothing in it, replayed the same way.
    bare = (await api("GET", "/protected", { credentials: "omit", by: "the injected script", panel: null })).status;
  }
  show(
    "replays",
    found.length
      ? found.map((f) => `${f.label}: ${f.replay ? `replayed from the page → ${f.status}` : `not replayed (${f.why})`}`).join("\n")
      : `nothing found; GET /protected without cookies, replayed from the page → ${bare}`,
  );
  show("curl", found.length ? found.map((f) => f.curl).join("\n\n") : `curl -i ${location.origin}/protected`);
  const { text, usable } = verdict(found, bare);
  show("verdict", text);
  $("verdict").className = `verdict ${usable === "true" ? "bad" : usable === "false" ? "good" : "warn"}`;
  $("xss").dataset.usable = usable;

  // Even with nothing to steal, the payload can act as the user while the
  // page is open: the browser adds the cookies to its requests too, and it
  // can add whatever header the page's code adds.
  const res = await api("GET", "/profile", {
    headers: app.headers(),
    by: "the injected script, as the page's code does",
    panel: null,
  });
  show(
    "in-page",
    `And from inside the page, while it stays open, the payload itself calls GET /profile with what ` +
      `the page sends (see the Exchanges): ${res.status}. ` +
      (res.status === 200
        ? "Whatever keeps a credential from being stolen, a script on the page can still use it."
        : "Not signed in, so there is nothing to act with."),
  );
}

// Each stolen value: whose it is, how the attacker replays it (the curl),
// and the request the page replays it with (null: cannot or must not).
function findings(loot) {
  const origin = location.origin;
  const out = [];
  for (const [key, value] of Object.entries(loot.localStorage)) {
    const own = app.storageKeys.includes(key);
    const label = own ? `${key} (this page's, in localStorage)` : `${key}, left over from ${app.leftoverFrom}`;
    if (/refresh/.test(key)) {
      const body = { refresh_token: value };
      out.push({
        key,
        own,
        label,
        kind: "refresh",
        curl: `curl -i -X POST ${origin}/refresh -H 'content-type: application/json' -d ${shellQuote(JSON.stringify(body))}`,
        // Replaying this page's own refresh token spends it: the page's next
        // refresh would then look like a theft and end the login.
        replay: own ? null : { method: "POST", path: "/refresh", body },
        why: "POST /refresh spends it, and this page's next refresh would then end the login as a theft: the curl does it",
      });
    } else {
      out.push({
        key,
        own,
        label,
        kind: "bearer",
        value,
        curl: `curl -i -H ${shellQuote(`Authorization: Bearer ${value}`)} ${origin}/protected`,
        replay: { method: "GET", path: "/protected", headers: { authorization: `Bearer ${value}` } },
      });
    }
  }
  for (const pair of loot["document.cookie"].split(";").map((c) => c.trim()).filter(Boolean)) {
    out.push({
      key: pair.split("=")[0],
      own: false,
      label: `cookie ${pair.split("=")[0]} (readable by scripts)`,
      kind: "cookie",
      curl: `curl -i -H ${shellQuote(`Cookie: ${pair}`)} ${origin}/protected`,
      replay: null,
      why: "a page cannot set a Cookie header on a fetch: replaying it needs the attacker's own client, the curl",
    });
  }
  // This page's own values first, the bearer token before the refresh token.
  const rank = (f) => (f.own ? 0 : 2) + (f.kind === "bearer" ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b));
}

function verdict(found, bare) {
  if (!found.length) {
    return {
      usable: "false",
      text: `${app.nothingStolen} Replayed from the page without cookies, the curl gets ${bare}.`,
    };
  }
  const ok = (f) => typeof f.status === "number" && f.status >= 200 && f.status < 300;
  const working = found.filter(ok);
  if (working.length) {
    const lines = working.map((f) => {
      if (f.own && f.kind === "bearer") {
        const exp = app.expiryOf && app.expiryOf(f.value);
        const refresh = found.find((g) => g.own && g.kind === "refresh");
        return (
          `A working bearer token: replayed from the page with no cookie, GET /protected → ${f.status}. ` +
          `From any machine this curl gets the same until ${exp ? when(exp) : "it expires"}, ` +
          "logout or not (unless a denylist is on)" +
          (refresh ? "; and the refresh token mints new ones." : ".")
        );
      }
      return `${f.label}, and it still works: replayed → ${f.status}.`;
    });
    return { usable: "true", text: lines.join(" ") };
  }
  const replayed = found.filter((f) => f.replay);
  const unmeasured = found.filter((f) => !f.replay);
  const text =
    (replayed.length
      ? `Nothing usable: ${replayed.map((f) => `${f.label}: replayed → ${f.status}`).join("; ")}.`
      : "") +
    (unmeasured.length
      ? ` Not measured from the page: ${unmeasured.map((f) => f.label).join(", ")}; the curl from another machine tells.`
      : "");
  return { usable: unmeasured.length ? "unmeasured" : "false", text: text.trim() };
}
