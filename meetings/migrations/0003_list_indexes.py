# Indexes in each list's default order (issue 10), Django's "-pk" tie-break included, with the
# tenant first (a staff member's list) and without (a superuser's), holding the columns the list
# searches (INCLUDE, PostgreSQL only) so that a page, a count and a search read the index alone;
# and Zoom's id alone (a superuser's search by id). The (tenant, start_time) indexes are
# prefixes of the new ones, so they go.

from django.db import migrations, models

SCHEDULED = ["topic", "host_email", "host_zoom_id"]
REGISTRANT = ["first_name", "last_name", "zoom_id"]
RECORDING = ["topic", "meeting_zoom_id", "zoom_id"]


def index(model_name, fields, name, include=()):
    return migrations.AddIndex(
        model_name=model_name,
        index=models.Index(fields=fields, name=name, include=list(include)),
    )


def in_order(model_name, prefix, fields, searched):
    """The tenant's and the superuser's index in a list's order ``fields``."""
    return [
        index(model_name, ["tenant", *fields], f"{prefix}_tenant_list", searched),
        index(model_name, fields, f"{prefix}_list", ["tenant", *searched]),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0002_recording_trash_and_archive"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="meeting", name="meeting_tenant_start"),
        *in_order("meeting", "meeting", ["-start_time", "-zoom_id", "-id"], SCHEDULED),
        index("meeting", ["zoom_id"], "meeting_zoom_id"),
        migrations.RemoveIndex(model_name="webinar", name="webinar_tenant_start"),
        *in_order("webinar", "webinar", ["-start_time", "-zoom_id", "-id"], SCHEDULED),
        index("webinar", ["zoom_id"], "webinar_zoom_id"),
        *in_order(
            "meetingregistrant", "mregistrant", ["-registered_at", "email", "-id"], REGISTRANT
        ),
        *in_order(
            "webinarregistrant", "wregistrant", ["-registered_at", "email", "-id"], REGISTRANT
        ),
        migrations.RemoveIndex(model_name="cloudrecording", name="recording_tenant_start"),
        *in_order("cloudrecording", "recording", ["-start_time", "-id"], RECORDING),
        index("cloudrecording", ["meeting_zoom_id"], "recording_meeting_zoom_id"),
        *in_order("recordingfile", "recfile", ["recording_start", "file_type", "-id"], []),
        *in_order("webinarparticipant", "participant", ["join_time", "name", "-id"], ["email"]),
    ]
