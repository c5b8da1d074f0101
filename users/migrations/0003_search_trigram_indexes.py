# Trigram indexes under the users list's word search (issue 10): on PostgreSQL, with pg_trgm
# (created here when missing; skipped, with a warning, when it cannot be), a GIN index of each
# searched text column as Django's icontains sends it. Nothing on SQLite; no model state.

from django.db import migrations

from zoomadmin.records.trigram import TrigramIndexes


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0002_list_indexes"),
    ]

    operations = [
        TrigramIndexes(
            [
                ("zoomuser", "email"),
                ("zoomuser", "first_name"),
                ("zoomuser", "last_name"),
                ("zoomuser", "display_name"),
            ]
        ),
    ]
