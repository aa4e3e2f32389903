"use strict";
// A single-page app's three requests to an API on another origin, and what
// the browser did with each. Strings go to the page with textContent only.
const params = new URLSearchParams(location.search);
const credential = ["session", "bearer", "cookie"].includes(params.get("credential"))
  ? params.get("credential")
  : "session";
const defaults = {
  session: "http://127.0.0.1:3001",
  bearer: "http://127.0.0.1:3000",
  cookie: "http://127.0.0.1:3000",
};
const api = new URL(params.get("api") || defaults[credential]).origin;
const names = {
  session: "session-app's sid cookie",
  bearer: "jwt-app's bearer token (Authorization header)",
  cookie: "jwt-app's token cookies (TOKEN_TRANSPORT=cookie)",
};
const $ = (id) => document.getElementById(id);
// A site is scheme + registrable domain; for an IP address or `localhost`
// that is the host itself, and the port does not count.
const apiUrl = new URL(api);
const sameSite = apiUrl.hostname === location.hostname && apiUrl.protocol === location.protocol;

$("origin").textContent = location.origin;
$("api").textContent = api;
$("credential").textContent = names[credential];
$("site").textContent = sameSite
  ? "Same site as the API (another port only): its cookies are first-party here."
  : "Another site than the API: its cookies are third-party here.";

const usesCookie = credential !== "bearer";
// What the page's script learns about each request, for the table and for tests.
window.spaResults = [];

function row(result) {
  window.spaResults.push(result);
  const tr = document.createElement("tr");
  for (const key of ["request", "preflight", "cookie", "status"]) {
    const td = document.createElement("td");
    td.textContent = result[key];
    td.className = result[key + "Ok"] === false ? "no" : result[key + "Ok"] ? "ok" : "";
    tr.appendChild(td);
  }
  $("rows").appendChild(tr);
}

// One request. `preflighted`: the browser asks first (a JSON body, an
// Authorization header). A fetch that rejects is the browser refusing:
// the preflight or the answer had no CORS header for this origin.
async function call(request, path, init, preflighted) {
  const options = { ...init, credentials: usesCookie ? "include" : "omit" };
  try {
    const res = await fetch(api + path, options);
    return { request, res, preflight: preflighted ? "passed" : "none needed", preflightOk: true,
             status: String(res.status), statusOk: res.ok };
  } catch (e) {
    return { request, res: null,
             preflight: preflighted ? "refused (no CORS answer for this origin)" : "none needed",
             preflightOk: preflighted ? false : undefined,
             status: "unreadable: the browser withheld the answer (CORS)", statusOk: false };
  }
}

async function run() {
  window.spaResults = [];
  $("rows").textContent = "";
  $("verdict").textContent = "";
  delete document.body.dataset.done;
  const email = `spa-${Date.now()}-${Math.random().toString(16).slice(2, 8)}@example.com`;
  const body = JSON.stringify({ email, password: "correct horse battery" });
  const json = { "Content-Type": "application/json" };

  const register = await call("POST /register", "/register",
    { method: "POST", headers: json, body }, true);
  register.cookie = "—";
  row(register);

  const login = await call("POST /login", "/login", { method: "POST", headers: json, body }, true);
  let token = null;
  if (credential === "bearer") {
    login.cookie = "none: the page keeps the token";
    if (login.res && login.res.ok) token = (await login.res.json()).access_token;
  } else {
    login.cookie = login.res && login.res.ok
      ? "set by the answer (HttpOnly: the next request tells whether it was stored)"
      : "none set";
  }
  row(login);

  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const protectedCall = await call("GET /protected", "/protected", { headers }, Boolean(token));
  if (credential === "bearer") {
    protectedCall.cookie = "none: the token went in Authorization";
  } else if (protectedCall.res && protectedCall.res.status === 200) {
    protectedCall.cookie = "stored and sent";
    protectedCall.cookieOk = true;
  } else if (protectedCall.res && protectedCall.res.status === 401) {
    protectedCall.cookie = "not sent: the browser did not store it, or withheld it";
    protectedCall.cookieOk = false;
  } else {
    protectedCall.cookie = "unknown: the answer was unreadable";
    protectedCall.cookieOk = false;
  }
  row(protectedCall);

  const worked = protectedCall.res !== null && protectedCall.res.status === 200;
  $("verdict").textContent = worked
    ? "Logged in across origins: /protected answered 200 to this page."
    : "Not logged in from this page: see the row that failed.";
  document.body.dataset.done = worked ? "worked" : "failed";
}

$("again").addEventListener("click", run);
run();
