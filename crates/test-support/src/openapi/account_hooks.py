"""schemathesis hooks for the routes that ask for the password again.

`PUT /account/password`, `POST /account/logout-everywhere` and
`DELETE /account/logins/{id}` check the caller's password before they act.
A fuzzer can only guess it, so without help they would answer 401 to every
case and nothing past the password check would be tested. Here:

- the real password (`FUZZ_PASSWORD`) takes the place of a schema-valid
  generated one in about two cases of three, chosen by the generated value
  itself so that Hypothesis' replays and shrinking see the same request; the
  other third, and every schema-invalid or missing password, is sent as
  generated;
- a schema-valid new password becomes the real one: the run logs in with it,
  so a change to anything else would lock it out for the rest of the run;
- each case of these routes is sent with a login of its own, made just
  before it. The run's cached one may have been ended by the case before
  (signing out everywhere, ending a login, a password change, which gives a
  session a new id, or `POST /logout`), and once a wrong password got a 401
  on a route, the run no longer logs in again after that route's 401s: every
  later case of it would be refused without its password being read;
- checks of their own: a wrong password never succeeds, a new login is not
  refused as logged out (or the case tested nothing), and by the end
  each route has answered 2xx, refused a wrong password and refused a bad
  body (and `DELETE` an unknown login with 404), so a run that only ever got
  401 fails rather than passing untested.

Loaded by `test_support::openapi` through the `hooks` key of the run's
configuration, for the runs that log in as a registered user.
"""

import json
import os
import zlib

import schemathesis
from schemathesis.auths import AuthContext, CachingAuthProvider, set_on_case

PASSWORD = os.environ["FUZZ_PASSWORD"]

PASSWORD_CHANGE = "PUT /account/password"
LOGOUT_EVERYWHERE = "POST /account/logout-everywhere"
END_LOGIN = "DELETE /account/logins/{id}"
ROUTES = (PASSWORD_CHANGE, LOGOUT_EVERYWHERE, END_LOGIN)

# The field each route reads the caller's password from.
CHECKED_FIELD = {
    PASSWORD_CHANGE: "current_password",
    LOGOUT_EVERYWHERE: "password",
    END_LOGIN: "password",
}

# The schemas' limits, in characters as JSON Schema counts them (the runs
# generate ASCII for these routes, where characters are bytes).
PASSWORD_LENGTHS = (1, 72)
NEW_PASSWORD_LENGTHS = (8, 72)


def _schema_valid(value, lengths):
    low, high = lengths
    return isinstance(value, str) and low <= len(value) <= high


def _gets_the_real_one(generated):
    # Two of three, decided by the value: the same case always gets the same.
    return zlib.crc32(generated.encode("utf-8", "replace")) % 3 != 0


def _sent_body(response):
    body = response.request.body
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _error_code(response):
    try:
        return json.loads(response.content).get("error")
    except (ValueError, AttributeError):
        return None


def _log_in_anew(case):
    # As schemathesis' own re-login does (pinned 4.32.5), and only for a case
    # that carries the credential: one sent without it on purpose stays so.
    schema = case.operation.schema
    if not case._has_explicit_auth or schema.is_security_param_negated(case):
        return
    for provider in schema.security_auth_providers():
        if isinstance(provider, CachingAuthProvider):
            provider.invalidate()
    set_on_case(case, AuthContext(operation=case.operation, app=case.operation.app), None)


@schemathesis.hook
def before_call(context, case, kwargs):
    label = case.operation.label
    if label not in ROUTES:
        return
    _log_in_anew(case)
    if not isinstance(case.body, dict):
        return
    field = CHECKED_FIELD[label]
    generated = case.body.get(field)
    # Only a schema-valid value is replaced, by another schema-valid one: a
    # case meant to be refused for its password stays so.
    if _schema_valid(generated, PASSWORD_LENGTHS) and _gets_the_real_one(generated):
        case.body[field] = PASSWORD
    if label == PASSWORD_CHANGE and _schema_valid(
        case.body.get("new_password"), NEW_PASSWORD_LENGTHS
    ):
        case.body["new_password"] = PASSWORD


@schemathesis.check
def wrong_password_never_passes(ctx, response, case):
    """A route that asks for the password again never succeeds without it."""
    label = case.operation.label
    if label not in ROUTES or not 200 <= response.status_code < 300:
        return None
    body = _sent_body(response)
    given = body.get(CHECKED_FIELD[label]) if isinstance(body, dict) else None
    if given != PASSWORD:
        raise AssertionError(
            f"{label} answered {response.status_code} to the password {given!r}, "
            "which is not the account's"
        )
    return None


@schemathesis.check
def new_login_is_accepted(ctx, response, case):
    """A case sent with the login made just before it is never told to log in."""
    if case.operation.label not in ROUTES or response.status_code != 401:
        return None
    if not case._has_explicit_auth or case.operation.schema.is_security_param_negated(case):
        return None
    if _error_code(response) == "unauthorized":
        raise AssertionError(
            f"{case.operation.label} refused the login made just before it: "
            f"{response.content[:200]!r}"
        )
    return None


@schemathesis.check
class account_routes_reached:
    """Each route past its password check, and refusing what it must.

    Sets, not counters: shrinking and replays call `after_response` again.
    """

    def __init__(self):
        self.seen = {label: set() for label in ROUTES}

    def after_response(self, ctx, response, case):
        label = case.operation.label
        if label not in ROUTES:
            return None
        status = response.status_code
        if 200 <= status < 300:
            self.seen[label].add("2xx")
        elif status in (400, 401, 404):
            self.seen[label].add(f"{status} {_error_code(response)}")
        return None

    def after_run(self, ctx):
        wanted = ["2xx", "400 invalid_input", "401 invalid_credentials"]
        missing = []
        for label in ROUTES:
            expected = wanted + (["404 not_found"] if label == END_LOGIN else [])
            absent = [outcome for outcome in expected if outcome not in self.seen[label]]
            if absent:
                missing.append(
                    f"{label}: never {', '.join(absent)} (saw {sorted(self.seen[label])})"
                )
        if missing:
            raise AssertionError(
                "the routes that ask for the password again were not exercised:\n"
                + "\n".join(missing)
            )
