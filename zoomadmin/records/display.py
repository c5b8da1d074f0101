"""Readable values for the admin's lists and pages of Zoom records, and links between them.

Zoom keeps sizes in bytes, types as codes and times in UTC; an administrator reads megabytes,
names and the meeting's own clock. The names of Zoom's codes are Zoom's (Meetings API,
"Get meeting recordings": the recording's ``type`` and its files' ``file_type`` and
``recording_type``; copied from ``shared/zoom-api/meetings/Meetings.json``, and checked
against the trimmed copy in ``tests/contract/zoom-api``).

Links from one record to the lists of its related records carry their counts, counted by the
query that reads the record (``related_counts``), whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models
from django.db.models import Func, IntegerField, OuterRef, Subquery
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString

EMPTY = "-"

# A recording's ``type``: its enum and "x-enum-descriptions", in Zoom's words.
RECORDING_MEETING_TYPES = {
    "1": "Instant Meeting",
    "2": "Scheduled Meeting",
    "3": "Recurring Meeting with no fixed time",
    "4": "Meeting created using a Personal Meeting ID",
    "5": "A webinar",
    "6": "Recurring webinar without a fixed time",
    "7": "Personal Audio Conference",
    "8": "Recurring meeting with a fixed time",
    "9": "Recurring webinar with a fixed time",
    "99": "A recording uploaded",
}

# A recording file's ``file_type``, after its description ("`MP4` - Video file of the
# recording. `M4A` - Audio-only file of the recording. `TIMELINE` - Timestamp file …").
FILE_TYPES = {
    "MP4": "Video (MP4)",
    "M4A": "Audio only (M4A)",
    "TIMELINE": "Timestamps (JSON)",
    "TRANSCRIPT": "Transcript (VTT)",
    "CHAT": "Chat messages (TXT)",
    "CC": "Closed captions (VTT)",
    "CSV": "Poll results (CSV)",
    "SUMMARY": "Summary (JSON)",
}


# A recording file's ``recording_type``: its published enum.
RECORDING_TYPES = (
    "shared_screen_with_speaker_view(CC)",
    "shared_screen_with_speaker_view",
    "shared_screen_with_gallery_view",
    "active_speaker",
    "gallery_view",
    "shared_screen",
    "audio_only",
    "audio_transcript",
    "chat_file",
    "poll",
    "host_video",
    "closed_caption",
    "timeline",
    "thumbnail",
    "audio_interpretation",
    "summary",
    "summary_next_steps",
    "summary_smart_chapters",
    "sign_interpretation",
    "production_studio",
)

# A past webinar participant's ``status`` ("`in_meeting` - In a meeting. `in_waiting_room` - In
# a waiting room.").
PARTICIPANT_STATUSES = {"in_meeting": "In a meeting", "in_waiting_room": "In a waiting room"}


def file_type_name(code: str) -> str:
    return FILE_TYPES.get(code, code) or EMPTY


def recording_type_name(code: str) -> str:
    """A recording file's ``recording_type`` ("shared_screen_with_speaker_view(CC)") in words:
    "Shared screen with speaker view (CC)"."""
    if not code:
        return EMPTY
    words = code.replace("_", " ").replace("(", " (").strip()
    return words[0].upper() + words[1:]


def recording_meeting_type_name(code: str) -> str:
    return RECORDING_MEETING_TYPES.get(code, code) or EMPTY


def size(value: int | None) -> str:
    """Bytes in KB, MB or GB (of 1,024), as the Zoom web portal shows them."""
    if value is None:
        return EMPTY
    return str(filesizeformat(value)).replace("\xa0", " ")


def local_time(value: datetime | None, zone: str) -> str:
    """``value`` on the clock of the time zone ``zone`` (Zoom's name, e.g. "Europe/Berlin"),
    labelled with it; a zone Zoom did not give (or one unknown here) reads as UTC."""
    if value is None:
        return EMPTY
    try:
        tz = ZoneInfo(zone) if zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        tz, zone = ZoneInfo("UTC"), ""
    return f"{timezone.localtime(value, tz):%Y-%m-%d %H:%M} {zone or 'UTC'}"


def shows(column: str, *, description: str, sortable: bool = True) -> Any:
    """An admin display (``@shows("file_size", description="size")``) of the stored
    ``column``: the list sorts by it, and the CSV export holds the column itself."""

    def decorate(function: Any) -> Any:
        function.short_description = description
        if sortable:
            function.admin_order_field = column
        function.column = column
        return function

    return decorate


def link(url: str, text: str) -> str:
    """A link that opens Zoom's page in a new tab (only http and https: Zoom's data could
    carry anything)."""
    if not url or not url.startswith(("https://", "http://")):
        return EMPTY
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, text)


# --- links between records -----------------------------------------------------------------


@dataclass(frozen=True)
class RelatedList:
    """The changelist of ``model`` that shows the records related to one record (its anchor).

    ``refs`` maps each of the list's query parameters, which are also lookups of ``model``, to
    the anchor's attribute that gives its value: ``{"host__id__exact": "pk"}`` is "the meetings
    whose host is this user". A list whose value is empty (a user without an e-mail address)
    is not shown."""

    label: str
    model: type[models.Model]
    refs: Mapping[str, str] = field(default_factory=dict)

    def params(self, anchor: models.Model) -> dict[str, Any]:
        return {name: getattr(anchor, attribute) for name, attribute in self.refs.items()}

    def applies(self, anchor: models.Model) -> bool:
        return all(value not in ("", None) for value in self.params(anchor).values())

    def url(self, anchor: models.Model) -> str:
        opts = self.model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return f"{changelist}?{urlencode(self.params(anchor))}"

    def count(self) -> Subquery:
        """How many records the list of an anchor holds: a subquery correlated with the anchor's
        row (``OuterRef``), to annotate the query that reads the anchor."""
        rows = self.model._default_manager.filter(
            **{name: OuterRef(attribute) for name, attribute in self.refs.items()}
        )
        return Subquery(
            rows.order_by()
            .annotate(_count=Func(template="COUNT(*)", output_field=IntegerField()))
            .values("_count"),
            output_field=IntegerField(),
        )


def related_counts(lists: Sequence[RelatedList]) -> dict[str, Subquery]:
    """The annotations that count each of ``lists`` beside its anchor (``related_links`` reads
    them from the anchor when they are there)."""
    return {f"related_{n}": item.count() for n, item in enumerate(lists)}


def related_links(anchor: models.Model, lists: Sequence[RelatedList]) -> SafeString | str:
    """Links to ``lists``, each with how many records it holds ("meetings (12)"): counted by
    the query that read ``anchor`` (``related_counts``), or else all in one query."""
    counts = related_counts(lists)
    if not all(hasattr(anchor, name) for name in counts):
        row = type(anchor)._default_manager.filter(pk=anchor.pk).annotate(**counts)
        for name, value in row.values(*counts).get().items():
            setattr(anchor, name, value)
    shown = [
        (item.url(anchor), item.label, f"{getattr(anchor, name) or 0:,}")
        for name, item in zip(counts, lists, strict=True)
        if item.applies(anchor)
    ]
    if not shown:
        return EMPTY
    return format_html(
        '<ul class="related-lists">{}</ul>',
        format_html_join("", '<li><a href="{}">{} ({})</a></li>', shown),
    )
