"""The sandbox's sign-in and consent page on /oauth/authorize (``config.consent_page``).

Zoom's authorize endpoint, as FACTS §1.1 has it: "Authorize:
``https://zoom.us/oauth/authorize?response_type=code&client_id=…&redirect_uri=…[&state=…]``";
after the person signs in and allows, Zoom redirects back to the redirect URI with ``code`` and
``state``, and the code, exchanged at ``/oauth/token``, authorizes as the user who signed in,
of that user's account (``GET /users/me`` → ``account_id``, FACTS §1.6: "``account_id`` here is
the tenant key to store per connection"). A person who declines is sent back with
``error=access_denied`` (RFC 6749 §4.1.2.1: "The resource owner or authorization server
denied the request"). Auto-consent stays for tests and scripts (``?sandbox_user=``, the default
config).
"""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import requests
from django.core.management import call_command

from tests.sandbox.test_oauth import REDIRECT_URI, authorize, code_from, exchange_code, me
from zoomadmin.sandbox import DEFAULT_CLIENT_ID, SandboxServer, seed_account


class FormReader(HTMLParser):
    """The consent page's form: its hidden fields and the options of its user select."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.options: list[str] = []
        self.groups: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.hidden[attributes["name"]] = attributes["value"]
        elif tag == "option" and "value" in attributes:
            self.options.append(attributes["value"])
        elif tag == "optgroup":
            self.groups.append(attributes["label"])


def read_form(response: requests.Response) -> FormReader:
    reader = FormReader()
    reader.feed(response.text)
    return reader


def answer(sandbox, hidden: dict[str, str], **fields: str) -> requests.Response:
    return requests.post(
        f"{sandbox.url}/oauth/authorize",
        data={**hidden, **fields},
        allow_redirects=False,
        timeout=10,
    )


def test_the_page_lists_every_account_and_signing_in_as_a_user_authorizes_their_account(
    sandbox,
) -> None:
    first = sandbox.state.default_account
    second = seed_account(sandbox.state, users=6, seed=2)
    sandbox.config.update(consent_page=True)

    page = authorize(sandbox)

    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    form = read_form(page)
    assert form.groups == [f"{a.name} (account {a.id})" for a in (first, second)]
    # Each account's owner first, then its other active users; nobody inactive or pending.
    owner_email = second.users[second.owner_id]["email"]
    assert owner_email in form.options
    for account in (first, second):
        for user in account.users.values():
            assert (user["email"] in form.options) == (user["status"] == "active")
    # The authorize request's parameters travel through the form unchanged.
    assert form.hidden == {
        "response_type": "code",
        "client_id": DEFAULT_CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "state": "xyz",
    }

    allowed = answer(sandbox, form.hidden, sandbox_user=owner_email, decision="allow")

    assert allowed.status_code == 302
    location = urlsplit(allowed.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    assert parse_qs(location.query)["state"] == ["xyz"]
    tokens = exchange_code(sandbox, code_from(allowed)).json()
    profile = me(sandbox, tokens["access_token"]).json()
    assert (profile["account_id"], profile["email"]) == (second.id, owner_email)


def test_an_address_typed_on_the_page_wins_and_an_unknown_one_shows_the_page_again(
    sandbox,
) -> None:
    account = sandbox.state.default_account
    sandbox.config.update(consent_page=True)
    hidden = read_form(authorize(sandbox)).hidden
    member = next(
        u for u in account.users.values() if u["status"] == "active" and u["id"] != account.owner_id
    )

    unknown = answer(sandbox, hidden, sandbox_email="nobody@example.com", decision="allow")
    typed = answer(
        sandbox,
        hidden,
        sandbox_user=account.users[account.owner_id]["email"],
        sandbox_email=member["email"].upper(),
        decision="allow",
    )

    assert unknown.status_code == 200
    assert "No active user" in unknown.text and "nobody@example.com" in unknown.text
    profile = me(sandbox, exchange_code(sandbox, code_from(typed)).json()["access_token"]).json()
    assert profile["id"] == member["id"]


def test_declining_sends_the_person_back_with_access_denied_and_no_code(sandbox) -> None:
    sandbox.config.update(consent_page=True)
    hidden = read_form(authorize(sandbox)).hidden
    codes_before = dict(sandbox.state.codes)

    declined = answer(sandbox, hidden, decision="decline")

    assert declined.status_code == 302
    query = parse_qs(urlsplit(declined.headers["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["xyz"]}
    assert sandbox.state.codes == codes_before


def test_tests_and_scripts_still_consent_at_once(sandbox) -> None:
    second = seed_account(sandbox.state, users=3, seed=2)

    # The default config: no page, the first account's owner consents.
    default = authorize(sandbox)
    # With the page on, ?sandbox_user= still consents at once, as the user named.
    sandbox.config.update(consent_page=True)
    named = authorize(sandbox, sandbox_user=second.users[second.owner_id]["email"])

    assert default.status_code == 302 and "code=" in default.headers["Location"]
    assert named.status_code == 302
    profile = me(sandbox, exchange_code(sandbox, code_from(named)).json()["access_token"]).json()
    assert profile["account_id"] == second.id


def test_the_page_escapes_what_it_is_given(sandbox) -> None:
    sandbox.config.update(consent_page=True)

    page = authorize(sandbox, state='"><script>alert(1)</script>')

    assert "<script>" not in page.text
    assert read_form(page).hidden["state"] == '"><script>alert(1)</script>'


def test_the_command_shows_the_page_unless_asked_to_consent_at_once(monkeypatch) -> None:
    served: list[SandboxServer] = []

    def serve_until_ctrl_c(server: SandboxServer) -> None:
        served.append(server)
        server._httpd.server_close()
        raise KeyboardInterrupt

    monkeypatch.setattr(SandboxServer, "serve_forever", serve_until_ctrl_c)

    call_command("zoom_sandbox", port=0, users=2, stdout=StringIO())
    call_command("zoom_sandbox", port=0, users=2, auto_consent=True, stdout=StringIO())

    assert [server.config.consent_page for server in served] == [True, False]
