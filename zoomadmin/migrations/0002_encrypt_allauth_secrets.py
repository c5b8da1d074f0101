"""Encrypt OAuth tokens and app secrets that allauth stored in plaintext before zoomadmin's
pre_save hook existed (zoomadmin.crypto). Values already encrypted are left alone."""

from django.db import migrations

from zoomadmin.crypto import encrypt, is_encrypted

FIELDS = {"SocialToken": ("token", "token_secret"), "SocialApp": ("secret",)}


def encrypt_plaintext(apps, schema_editor):
    for model_name, names in FIELDS.items():
        model = apps.get_model("socialaccount", model_name)
        for obj in model.objects.only("pk", *names).iterator():
            values = {
                name: encrypt(getattr(obj, name))
                for name in names
                if getattr(obj, name) and not is_encrypted(getattr(obj, name))
            }
            if values:
                model.objects.filter(pk=obj.pk).update(**values)


class Migration(migrations.Migration):
    dependencies = [
        ("zoomadmin", "0001_initial"),
        ("socialaccount", "0006_alter_socialaccount_extra_data"),
    ]

    operations = [migrations.RunPython(encrypt_plaintext, migrations.RunPython.noop)]
