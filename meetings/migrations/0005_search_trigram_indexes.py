# Trigram indexes under the word search of the meetings, webinars, registrants, recordings
# (and their files, searched by the recording's topic) and participants lists (issue 10): on
# PostgreSQL, with pg_trgm (created here when missing; skipped, with a warning, when it cannot
# be), a GIN index of each searched text column as Django's icontains sends it. Nothing on
# SQLite; no model state.

from django.db import migrations

from zoomadmin.records.trigram import TrigramIndexes

SCHEDULED = ["topic", "host_email", "host_zoom_id"]
REGISTRANT = ["email", "first_name", "last_name"]


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_webinar_participants_synced"),
    ]

    operations = [
        TrigramIndexes(
            [
                *(("meeting", name) for name in SCHEDULED),
                *(("webinar", name) for name in SCHEDULED),
                *(("meetingregistrant", name) for name in REGISTRANT),
                *(("webinarregistrant", name) for name in REGISTRANT),
                ("cloudrecording", "topic"),
                ("webinarparticipant", "name"),
                ("webinarparticipant", "email"),
            ]
        ),
    ]
