# Indexes in the users list's order (issue 10): email, then Django's "-pk" tie-break, with the
# tenant first (a staff member's list) and without (a superuser's), holding the searched
# columns (INCLUDE, PostgreSQL only) so that a page, a count and a search read the index alone.
# The one on (tenant, email) is a prefix of the first, so it goes.

from django.db import migrations, models

SEARCHED = ["first_name", "last_name", "display_name", "zoom_id"]


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="zoomuser", name="users_tenant_email"),
        migrations.AddIndex(
            model_name="zoomuser",
            index=models.Index(
                fields=["tenant", "email", "-id"], name="users_tenant_list", include=SEARCHED
            ),
        ),
        migrations.AddIndex(
            model_name="zoomuser",
            index=models.Index(
                fields=["email", "-id"], name="users_list", include=["tenant", *SEARCHED]
            ),
        ),
    ]
