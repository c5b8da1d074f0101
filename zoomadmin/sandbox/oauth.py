"""Zoom's OAuth 2.0 endpoints: `/oauth/authorize`, `/oauth/token`, `/oauth/revoke`.

What Zoom documents and this module does:

* authorize (`response_type=code`) redirects back to `redirect_uri` with `code` and `state`.
  The consenting user is `?sandbox_user=<email or id>` (a sandbox-only parameter), else
  `config.consent_user`, else, with `config.consent_page` on (`manage.py zoom_sandbox`), whom
  a person picks on the sign-in and consent page (`consent.py`; Decline: `error=access_denied`),
  else the owner of the first account.
* token: the client authenticates with HTTP Basic or with `client_id`/`client_secret` form
  fields (django-allauth sends the latter); parameters come from the form body or the query.
  Grant types `authorization_code` (code single-use, valid 5 minutes, same `redirect_uri`,
  optional PKCE), `refresh_token` and `account_credentials` (Server-to-Server: no refresh token).
* refresh tokens rotate: each refresh returns a new one and the old one is dead. A dead or
  unknown refresh token gets 400 `{"reason": "Invalid Token!", "error": "invalid_grant"}`, as
  Zoom answers; a rotated one coming back is counted in `stats.refresh_token_reuses`.
* token response: `access_token`, `token_type` "bearer", `refresh_token`, `expires_in`, `scope`,
  `api_url`; revoke answers `{"status": "success"}` and kills the whole grant.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from . import consent
from .config import SandboxConfig
from .state import AuthorizationCode, SandboxState
from .web import Request, Response

INVALID_CLIENT = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
INVALID_TOKEN = {"reason": "Invalid Token!", "error": "invalid_grant"}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def handle(
    state: SandboxState, config: SandboxConfig, request: Request, *, api_url: str
) -> Response:
    if request.path == "/oauth/authorize" and request.method in ("GET", "POST"):
        return authorize(state, config, request)
    if request.path == "/oauth/token" and request.method == "POST":
        return token(state, config, request, api_url=api_url)
    if request.path == "/oauth/revoke" and request.method == "POST":
        return revoke(state, request)
    return Response.json(404, {"reason": "Not found", "error": "invalid_request"})


def authorize(state: SandboxState, config: SandboxConfig, request: Request) -> Response:
    # A POST is the consent page's answer (sandbox.consent), with the request's parameters.
    posted = request.method == "POST"
    query = request.form() if posted else request.query
    client_id = query.get("client_id", "")
    redirect_uri = query.get("redirect_uri", "")
    if client_id not in state.apps:
        return Response.json(
            400, {"reason": f"Invalid client_id: {client_id}", "error": "invalid_client"}
        )
    if not redirect_uri:
        return Response.json(400, {"reason": "Invalid redirect uri", "error": "invalid_request"})
    if query.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type", state=query.get("state"))
    if posted and query.get("decision") != "allow":
        return _redirect(redirect_uri, error="access_denied", state=query.get("state"))
    with state.lock:
        who = consent.chosen_user(query) if posted else query.get("sandbox_user", "")
        if not who and not posted and config.consent_page and not config.consent_user:
            return consent.consent_page(state, query)
        account, user = _find_consenting_user(state, who or config.consent_user)
        if posted and (user is None or user["status"] != "active"):
            error = f"No active user {who!r} in any account of the sandbox: choose another."
            return consent.consent_page(state, query, error=error)
        if user is None or user["status"] != "active":
            # The user could not sign in: Zoom's consent page never completes.
            return _redirect(redirect_uri, error="access_denied", state=query.get("state"))
        code = secrets.token_urlsafe(24)
        state.codes[code] = AuthorizationCode(
            client_id=client_id,
            account_id=account.id,
            user_id=user["id"],
            redirect_uri=redirect_uri,
            expires_at=state.now() + config.authorization_code_ttl_seconds,
            code_challenge=query.get("code_challenge", ""),
            code_challenge_method=query.get("code_challenge_method", "plain"),
        )
    return _redirect(redirect_uri, code=code, state=query.get("state"))


def token(
    state: SandboxState, config: SandboxConfig, request: Request, *, api_url: str
) -> Response:
    form = request.form()
    client_id = _authenticate_client(state, request, form)
    if client_id is None:
        return Response.json(401, INVALID_CLIENT, NO_STORE)
    grant_type = form.get("grant_type", "")
    ttl = config.access_token_ttl_seconds
    with state.lock:
        if grant_type == "authorization_code":
            code = state.codes.pop(form.get("code", ""), None)
            if (
                code is None
                or code.client_id != client_id
                or code.expires_at < state.now()
                or not _pkce_ok(code, form.get("code_verifier", ""))
            ):
                return Response.json(
                    400,
                    {"reason": "Invalid authorization code", "error": "invalid_grant"},
                    NO_STORE,
                )
            if form.get("redirect_uri", "") != code.redirect_uri:
                return Response.json(
                    400, {"reason": "Redirect URI mismatch.", "error": "invalid_grant"}, NO_STORE
                )
            issued = state.issue_tokens(
                account_id=code.account_id, user_id=code.user_id, client_id=client_id, ttl=ttl
            )
        elif grant_type == "refresh_token":
            refresh_token = form.get("refresh_token", "")
            grant = state.grants.get(state.refresh_tokens.get(refresh_token, -1))
            if grant is None or grant.client_id != client_id:
                if refresh_token in state.rotated_refresh_tokens:
                    state.stats.refresh_token_reuses += 1
                return Response.json(400, INVALID_TOKEN, NO_STORE)
            if config.refresh_refused(grant.account_id):
                return Response.json(400, INVALID_TOKEN, NO_STORE)
            issued = state.issue_tokens(
                account_id=grant.account_id, client_id=client_id, grant=grant, ttl=ttl
            )
            state.stats.token_refreshes += 1
        elif grant_type == "account_credentials":
            account_id = form.get("account_id", "")
            if account_id not in state.accounts:
                return Response.json(
                    400, {"reason": "Invalid account_id", "error": "invalid_request"}, NO_STORE
                )
            if config.refresh_refused(account_id):
                return Response.json(401, INVALID_CLIENT, NO_STORE)
            issued = state.issue_tokens(
                account_id=account_id, client_id=client_id, with_refresh_token=False, ttl=ttl
            )
        else:
            return Response.json(
                400,
                {"reason": "Unsupported grant type", "error": "unsupported_grant_type"},
                NO_STORE,
            )
        state.stats.tokens_issued[grant_type] += 1
    return Response.json(200, {**issued, "api_url": api_url}, NO_STORE)


def revoke(state: SandboxState, request: Request) -> Response:
    form = request.form()
    if _authenticate_client(state, request, form) is None:
        return Response.json(401, INVALID_CLIENT)
    token_value = form.get("token", "")
    with state.lock:
        access = state.access_tokens.pop(token_value, None)
        grant_id = access.grant_id if access else state.refresh_tokens.get(token_value)
        if grant_id is not None:
            state.revoke_grant(grant_id)
    return Response.json(200, {"status": "success"})


# --- helpers -------------------------------------------------------------------------------


def _authenticate_client(state: SandboxState, request: Request, form: dict[str, str]) -> str | None:
    """The client id if the request carries the app's credentials (Basic header or form)."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        client_id, _, secret = decoded.partition(":")
    app = state.apps.get(client_id)
    if app is None or not hmac.compare_digest(app.client_secret.encode(), secret.encode()):
        return None
    return client_id


def _find_consenting_user(state: SandboxState, who: str) -> tuple:
    if not who:
        account = state.default_account
        return account, account.users.get(account.owner_id) if account else None
    for account in state.accounts.values():
        user = account.find_user(who)
        if user is not None:
            return account, user
    return None, None


def _pkce_ok(code: AuthorizationCode, verifier: str) -> bool:
    if not code.code_challenge:
        return True
    if code.code_challenge_method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected, code.code_challenge)


def _redirect(redirect_uri: str, **params: str | None) -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if "?" in redirect_uri else "?"
    return Response.redirect(f"{redirect_uri}{separator}{query}")
