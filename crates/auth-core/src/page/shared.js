"use strict";
// Shared by the session page and the jwt page. Every string from the server
// (or typed by a user) reaches the page through textContent, never innerHTML:
// an account named <img src=x onerror=…>@x.io must show as text, not run.

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

function logExchange(method, path, status, credential) {
  const row = el("tr");
  row.append(
    el("td", new Date().toLocaleTimeString()),
    el("td", `${method} ${path}`),
    el("td", status, `status s${String(status)[0]}`),
    el("td", credential),
  );
  $("log-body").prepend(row);
}

// One exchange with the server, logged with the credential that went along.
async function api(method, path, { body, headers = {}, credential = "none" } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let status;
  let data;
  try {
    const res = await fetch(path, init);
    status = res.status;
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
  logExchange(method, path, status, credential);
  show("answer", `${method} ${path} → ${status}\n${pretty(data)}`);
  return { status, data };
}

function typedAccount() {
  return { email: $("email").value, password: $("password").value };
}

// `app` is what differs between the pages: how the credential is kept and
// sent. It has: credential() (what goes with the next request, in words),
// headers() (what the page's code adds), loggedIn(body), loggedOut(),
// render() (the "what this browser holds" panel) and replay(loot) (what
// the stolen values let an attacker do: {curl, headers, credential, usable,
// verdict}, `headers` and `credential` being what the payload's own request
// carries).
function start(app) {
  const call = (method, path, body) =>
    api(method, path, { body, headers: app.headers(), credential: app.credential() });

  $("register").onclick = () => api("POST", "/register", { body: typedAccount() });
  $("login").onclick = async () => {
    const { status, data } = await call("POST", "/login", typedAccount());
    if (status === 200) {
      app.loggedIn(data);
      show("whoami", typedAccount().email.trim().toLowerCase());
      // The server's own spelling of the account, for the stored-XSS check.
      const profile = await call("GET", "/profile");
      if (profile.status === 200) show("whoami", profile.data.email);
    }
    app.render();
  };
  $("logout").onclick = async () => {
    const { status } = await call("POST", "/logout", app.logoutBody && app.logoutBody());
    if (status === 204 || status === 401) {
      app.loggedOut();
      show("whoami", "nobody");
    }
    app.render();
  };
  for (const button of document.querySelectorAll("button[data-path]")) {
    button.onclick = () => call(button.dataset.method, button.dataset.path);
  }
  $("inject").onclick = () => injectedScript(app);
  app.render();
  return call;
}

// What an XSS payload does. It runs with the page's rights: whatever the
// page's scripts can read, it reads; whatever the page can send, it sends.
async function injectedScript(app) {
  const loot = { "document.cookie": document.cookie, localStorage: { ...localStorage } };
  show("loot", JSON.stringify(loot, null, 2));
  const stolen = app.replay(loot);
  show("curl", stolen.curl);
  show("verdict", stolen.verdict);
  $("verdict").className = `verdict ${stolen.usable ? "bad" : "good"}`;
  $("xss").dataset.usable = String(stolen.usable);
  // Even with nothing to steal, the payload can act as the user while the
  // page is open: the browser adds the cookie to its requests too.
  const res = await api("GET", "/profile", {
    headers: stolen.headers,
    credential: stolen.credential,
  });
  show(
    "in-page",
    `And from inside the page, while it stays open, the payload itself calls GET /profile: ${res.status}. ` +
      (res.status === 200
        ? "Whatever keeps a credential from being stolen, a script on the page can still use it."
        : "Not signed in, so there is nothing to act with."),
  );
}
