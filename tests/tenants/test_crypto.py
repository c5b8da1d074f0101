"""Secrets at rest: what the database holds is ciphertext, and keys can be rotated."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.management import call_command
from django.db import connection

from tests.tenants.factories import make_tenant
from zoomadmin.tenants import crypto
from zoomadmin.tenants.models import ServerToServerCredential
from zoomadmin.tenants.services import secrets_reencrypt

ACCESS = "eyJhbGciOiJIUzUxMiJ9.access-token-plaintext"
REFRESH = "eyJhbGciOiJIUzUxMiJ9.refresh-token-plaintext"


def _raw(table: str, columns: str, pk: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()


def _social_token(user) -> SocialToken:
    account = SocialAccount.objects.create(user=user, provider="zoom", uid="zoom-user-1")
    return SocialToken.objects.create(account=account, token=ACCESS, token_secret=REFRESH)


def test_oauth_tokens_are_stored_encrypted(db, django_user_model):
    token = _social_token(django_user_model.objects.create(username="u"))
    raw_access, raw_refresh = _raw("socialaccount_socialtoken", "token, token_secret", token.pk)
    for raw, plain in ((raw_access, ACCESS), (raw_refresh, REFRESH)):
        assert plain not in raw and raw.startswith(crypto.PREFIX)
        assert crypto.decrypt(raw) == plain


def test_a_stored_token_saved_again_is_not_encrypted_twice(db, django_user_model):
    token = _social_token(django_user_model.objects.create(username="u"))
    loaded = SocialToken.objects.get(pk=token.pk)
    loaded.token = "a-new-access-token"  # what allauth does on a re-authorization
    loaded.save()
    raw_access, raw_refresh = _raw("socialaccount_socialtoken", "token, token_secret", token.pk)
    assert crypto.decrypt(raw_access) == "a-new-access-token"
    assert crypto.decrypt(raw_refresh) == REFRESH


def test_server_to_server_secrets_and_app_secrets_are_stored_encrypted(db):
    tenant = make_tenant("s2s")
    credential = ServerToServerCredential.objects.create(
        tenant=tenant, client_id="cid", client_secret="s2s-client-secret", access_token=ACCESS
    )
    raw = _raw("tenants_servertoservercredential", "client_secret, access_token", credential.pk)
    assert "s2s-client-secret" not in raw[0] and ACCESS not in raw[1]
    app = SocialApp.objects.create(provider="zoom", name="Zoom", client_id="c", secret="app-secret")
    (raw_secret,) = _raw("socialaccount_socialapp", "secret", app.pk)
    assert raw_secret != "app-secret" and crypto.decrypt(raw_secret) == "app-secret"


def test_a_rotated_key_still_reads_old_values_and_reencrypt_retires_the_old_key(
    db, django_user_model, settings
):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ZOOM_ENCRYPTION_KEYS = [old]
    token = _social_token(django_user_model.objects.create(username="u"))

    settings.ZOOM_ENCRYPTION_KEYS = [new, old]
    (raw,) = _raw("socialaccount_socialtoken", "token", token.pk)
    assert crypto.decrypt(raw) == ACCESS
    assert secrets_reencrypt() >= 1

    settings.ZOOM_ENCRYPTION_KEYS = [new]
    (raw,) = _raw("socialaccount_socialtoken", "token", token.pk)
    assert crypto.decrypt(raw) == ACCESS


def test_a_value_encrypted_with_an_unknown_key_is_unavailable(settings):
    settings.ZOOM_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    value = crypto.encrypt("secret")
    settings.ZOOM_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.SecretUnavailable):
        crypto.decrypt(value)


def test_the_default_key_is_derived_from_the_secret_key(settings):
    settings.ZOOM_ENCRYPTION_KEYS = []
    value = crypto.encrypt("x")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-rotated-django-secret-key-of-some-length-0123456789"
    assert crypto.decrypt(value) == "x"


def test_a_malformed_key_is_a_system_check_error(settings):
    settings.ZOOM_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    assert "zoomadmin.E003" in [error.id for error in run_checks()]


def test_the_reencrypt_command_retires_the_old_key(db, django_user_model, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.ZOOM_ENCRYPTION_KEYS = [old]
    token = _social_token(django_user_model.objects.create(username="u"))
    settings.ZOOM_ENCRYPTION_KEYS = [new, old]
    out = StringIO()

    call_command("zoom_reencrypt", stdout=out)

    assert "Re-encrypted" in out.getvalue()
    settings.ZOOM_ENCRYPTION_KEYS = [new]
    (raw,) = _raw("socialaccount_socialtoken", "token", token.pk)
    assert crypto.decrypt(raw) == ACCESS


def _in_a_fresh_process(code: str, **environ: str) -> str:
    """Run ``code`` with the product's settings read from ``environ``, as a deployment would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ZOOM_"))}
    env.update(DJANGO_SETTINGS_MODULE="zoomadmin.settings", **environ)
    prelude = "import django, warnings; warnings.simplefilter('ignore'); django.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_rotating_the_django_secret_key_keeps_stored_tokens_readable_through_the_fallbacks():
    old_key, new_key = "an-old-django-secret-key-" + "o" * 30, "a-new-django-secret-key-" + "n" * 30
    stored = _in_a_fresh_process(
        "from zoomadmin.tenants.crypto import encrypt; print(encrypt('a-refresh-token'))",
        DJANGO_SECRET_KEY=old_key,
    )

    read = _in_a_fresh_process(
        f"from zoomadmin.tenants.crypto import decrypt; print(decrypt({stored!r}))",
        DJANGO_SECRET_KEY=new_key,
        DJANGO_SECRET_KEY_FALLBACKS=old_key,
    )

    assert read == "a-refresh-token"


def test_setting_encryption_keys_later_keeps_tokens_readable_and_reencrypt_moves_them(
    db, django_user_model, settings
):
    settings.ZOOM_ENCRYPTION_KEYS = []
    token = _social_token(django_user_model.objects.create(username="u"))
    settings.ZOOM_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    call_command("zoom_reencrypt", stdout=StringIO())

    settings.SECRET_KEY = "a-rotated-django-secret-key-of-some-length-0123456789"
    (raw,) = _raw("socialaccount_socialtoken", "token", token.pk)
    assert crypto.decrypt(raw) == ACCESS


def test_the_deploy_check_warns_while_tokens_hang_on_the_django_secret_key(settings):
    settings.ZOOM_ENCRYPTION_KEYS = []
    assert "zoomadmin.W001" in [e.id for e in run_checks(include_deployment_checks=True)]
    settings.ZOOM_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert "zoomadmin.W001" not in [e.id for e in run_checks(include_deployment_checks=True)]
