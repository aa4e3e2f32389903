#!/usr/bin/env python3
"""Bytes per signed-in user for each store, measured on the running servers.

Usage: cargo build --release -p compare && scripts/memory-per-user.py target/release/compare 100000

Starts the servers as `compare serve APP` (bcrypt cost 4, request log off), makes N logins of one
account (each one a new session, or a new refresh token), and reads: RSS growth (/proc/PID/status)
for the memory store, SQLite dbstat (table and its indexes, after a checkpoint) for the database
stores, and MEMORY USAGE for the Redis keys (a redis-server of its own on port 6399). Results in
docs/benchmarks.md. To become a section of `compare bench`."""
import http.client, json, os, re, sqlite3, subprocess, sys, tempfile, threading, time
BIN = sys.argv[1]; N = int(sys.argv[2]); REDIS_PORT = 6399
def start(app, *flags):
    d = tempfile.mkdtemp()
    hold_r, hold_w = os.pipe()
    p = subprocess.Popen([BIN, "serve", app, "--", "--port", "0", "--data-dir", d, "--bcrypt-cost", "4",
                          "--hash-concurrency", "2", "--store-stats", *flags],
                         stdin=hold_r, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"})
    for line in p.stdout:
        m = re.search(rb"listening on http://(\S+)", line)
        if m: return p, d, m.group(1).decode(), hold_w
def req(addr, method, path, body=None, headers={}):
    h, port = addr.split(":"); c = http.client.HTTPConnection(h, int(port))
    c.request(method, path, json.dumps(body) if body else None, {"content-type": "application/json", **headers})
    r = c.getresponse(); data = r.read(); return r, data
def rss(pid):
    return int(re.search(r"VmRSS:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1)) * 1024
def logins(addr, email, n, threads=4):
    def work(k):
        h, port = addr.split(":"); c = http.client.HTTPConnection(h, int(port))
        for _ in range(k):
            c.request("POST", "/login", json.dumps({"email": email, "password": "correct horse battery"}), {"content-type": "application/json"})
            r = c.getresponse(); r.read(); assert r.status == 200, r.status
    ts = [threading.Thread(target=work, args=(n // threads,)) for _ in range(threads)]
    [t.start() for t in ts]; [t.join() for t in ts]
def dbstat(path, table):
    c = sqlite3.connect(path); c.execute("pragma wal_checkpoint(truncate)")
    names = [table] + [r[0] for r in c.execute("select name from sqlite_master where type='index' and tbl_name=?", (table,))]
    rows = c.execute(f'select count(*) from "{table}"').fetchone()[0]
    size = sum(c.execute(f"select sum(pgsize) from dbstat where name=?", (n,)).fetchone()[0] or 0 for n in names)
    return rows, size, names
cred = {"email": "mem@example.com", "password": "correct horse battery"}
out = {}
# session/memory: RSS growth
p, d, addr, w = start("session-app", "--session-store", "memory")
req(addr, "POST", "/register", cred); logins(addr, cred["email"], 200); time.sleep(0.5)
before = rss(p.pid); logins(addr, cred["email"], N); time.sleep(0.5); after = rss(p.pid)
st = json.loads(req(addr, "GET", "/debug/store")[1])
out["session/memory RSS growth per session"] = (after - before) / N
out["session/memory /debug/store"] = st
p.kill()
# session/sqlite: bytes per row with its index
p, d, addr, w = start("session-app", "--session-store", "db")
req(addr, "POST", "/register", cred); logins(addr, cred["email"], N)
p.kill(); time.sleep(0.3)
rows, size, names = dbstat(os.path.join(d, "auth.db"), "tower_sessions")
out["session/sqlite bytes per session row (table+indexes)"] = (size / rows, rows, names)
# jwt refresh-token rows
p, d, addr, w = start("jwt-app", "--denylist", "memory")
req(addr, "POST", "/register", cred); logins(addr, cred["email"], N)
r, body = req(addr, "POST", "/login", cred); tok = json.loads(body)
req(addr, "POST", "/logout", {"refresh_token": tok["refresh_token"]}, {"authorization": "Bearer " + tok["access_token"]})
out["jwt+denylist (memory) /debug/store"] = json.loads(req(addr, "GET", "/debug/store")[1])
p.kill(); time.sleep(0.3)
con = sqlite3.connect(os.path.join(d, "auth.db"))
tables = [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
rt = [t for t in tables if "refresh" in t]
for t in rt:
    rows, size, names = dbstat(os.path.join(d, "auth.db"), t)
    out[f"jwt sqlite {t} bytes per row (table+indexes)"] = (size / max(rows, 1), rows, names)
# Redis: MEMORY USAGE of a session key, a denylist entry and refresh-token keys
rs = subprocess.Popen(["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
time.sleep(0.5)
def rcli(*a): return subprocess.run(["redis-cli", "-p", str(REDIS_PORT), *a], capture_output=True, text=True).stdout.strip()
try:
    p, d, addr, w = start("session-app", "--session-store", "redis", "--redis-url", f"redis://127.0.0.1:{REDIS_PORT}/3")
    req(addr, "POST", "/register", cred); logins(addr, cred["email"], 4, 1)
    keys = [k for k in rcli("-n", "3", "--scan").split() if "throttle" not in k]
    out["session/redis MEMORY USAGE per session key"] = [int(rcli("-n", "3", "memory", "usage", k, "samples", "0")) for k in keys]
    p.kill()
    p, d, addr, w = start("jwt-app", "--denylist", "redis", "--refresh-store", "redis", "--redis-url", f"redis://127.0.0.1:{REDIS_PORT}/4")
    req(addr, "POST", "/register", cred)
    r, body = req(addr, "POST", "/login", cred); tok = json.loads(body)
    before_keys = set(rcli("-n", "4", "--scan").split())
    out["jwt redis keys after one login"] = {k: int(rcli("-n", "4", "memory", "usage", k, "samples", "0")) for k in before_keys}
    req(addr, "POST", "/logout", {"refresh_token": tok["refresh_token"]}, {"authorization": "Bearer " + tok["access_token"]})
    after_keys = set(rcli("-n", "4", "--scan").split())
    out["jwt redis keys after its logout"] = {k: int(rcli("-n", "4", "memory", "usage", k, "samples", "0")) for k in after_keys}
    p.kill()
finally:
    rs.kill()
for k, v in out.items(): print(k, "=>", v)
