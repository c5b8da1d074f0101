"""The sandbox's sign-in and consent page on ``/oauth/authorize`` (``config.consent_page``).

At Zoom, the authorize URL (``/oauth/authorize?response_type=code&client_id=…&redirect_uri=…
&state=…``) shows a person Zoom's sign-in, where they sign in as any user of any Zoom account,
then the app's consent screen; allowing redirects back to ``redirect_uri`` with ``code`` and
``state``. The sandbox has no passwords: this page lists the active users of every account
(owners and admins first, since an app that manages an account takes one of them; members are
listed too, as Zoom lets them authorize) and the person picks whom to sign in as, or types an
e-mail address. **Allow** posts the choice (``sandbox_user``) back to ``/oauth/authorize`` with
the authorize parameters; **Decline** redirects with ``error=access_denied``, OAuth 2.0's answer
when the resource owner denies the request (RFC 6749 §4.1.2.1).

Tests and scripts skip the page: it is off unless ``config.consent_page``, and
``?sandbox_user=<email or id>`` (or ``config.consent_user``) consents at once.
"""

from __future__ import annotations

from html import escape

from .state import Account, SandboxState
from .web import Response

# The authorize request's parameters, carried through the page's form unchanged.
AUTHORIZE_PARAMETERS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "scope",
    "code_challenge",
    "code_challenge_method",
)
# Members listed per account (owners and admins always are); others by e-mail address.
MEMBERS_LISTED = 25
ROLE_ORDER = {"0": 0, "1": 1}
HTML_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def consent_page(state: SandboxState, params: dict[str, str], *, error: str = "") -> Response:
    """The page for this authorize request (call with ``state.lock`` held)."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(params[name])}">'
        for name in AUTHORIZE_PARAMETERS
        if params.get(name)
    )
    groups = "".join(_account_options(account) for account in state.accounts.values())
    notice = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Zoom (sandbox)</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 40em; margin: 3em auto; padding: 0 1em; }}
select, input[type=email] {{ width: 100%; font: inherit; padding: .3em; margin: .3em 0 1em; }}
button {{ font: inherit; padding: .4em 1.4em; margin-right: .5em; }}
.error {{ color: #b00020; }} .quiet {{ color: #666; font-size: 90%; }}
</style></head><body>
<h1>Sign in to Zoom <span class="quiet">(sandbox)</span></h1>
<p>The app <strong>{escape(params.get("client_id", ""))}</strong> asks to access a Zoom
account{_scope_text(params.get("scope", ""))}. Choose the account and the user to sign in as: the
account of the user you choose is the one connected.</p>
{notice}
<form method="post" action="/oauth/authorize">{hidden}
<label for="sandbox_user">Sign in as</label>
<select id="sandbox_user" name="sandbox_user">{groups}</select>
<label for="sandbox_email">or as the user with this e-mail address</label>
<input type="email" id="sandbox_email" name="sandbox_email" autocomplete="off">
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="decline">Decline</button></p>
</form>
<p class="quiet">Owners and admins can connect an account to an app that manages it; a member
can authorize too, and the app may then refuse.</p>
</body></html>"""
    return Response(200, body.encode(), dict(HTML_HEADERS))


def chosen_user(params: dict[str, str]) -> str:
    """Whom the page's form chose: the e-mail address typed, else the user selected."""
    return params.get("sandbox_email", "").strip() or params.get("sandbox_user", "").strip()


def _account_options(account: Account) -> str:
    active = [user for user in account.users.values() if user.get("status") == "active"]
    active.sort(key=lambda user: (ROLE_ORDER.get(str(user.get("role_id")), 2), user["email"]))
    admins = [user for user in active if str(user.get("role_id")) in ROLE_ORDER]
    members = [user for user in active if str(user.get("role_id")) not in ROLE_ORDER]
    shown = admins + members[:MEMBERS_LISTED]
    more = len(members) - MEMBERS_LISTED
    options = "".join(
        f'<option value="{escape(user["email"])}">{escape(_user_label(user))}</option>'
        for user in shown
    )
    if more > 0:
        options += f"<option disabled>… and {more} more members (type an address below)</option>"
    label = f"{account.name} (account {account.id})"
    return f'<optgroup label="{escape(label)}">{options}</optgroup>'


def _user_label(user: dict) -> str:
    name = f"{user.get('first_name', '')} {user.get('last_name', '')}".strip()
    return f"{name} <{user['email']}> · {user.get('role_name') or 'Member'}"


def _scope_text(scope: str) -> str:
    return f" with the scopes <code>{escape(scope)}</code>" if scope.strip() else ""
