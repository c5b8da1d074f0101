"""The abstract base of every record mirrored from a tenant's Zoom account.

A record is Zoom's JSON for one object (``zoom_data``) beside the typed columns an admin filters
and sorts on, keyed per tenant on Zoom's id (``zoom_key``; Django's ``id`` stays the local
primary key). Records are written only through ``zoomadmin.records.upsert``, which keeps these
promises:

- ``zoom_hash`` fingerprints the content (typed columns and ``zoom_data``), so "did Zoom change
  this?" is a comparison of two short strings and an unchanged record is never written;
- ``synced_at`` is when Zoom showed the stored content (a listing's or an event's time). It
  moves only when the content is written, and a payload older than the stored state never
  overwrites it, so a late webhook cannot undo a newer sync;
- ``deleted_at`` is set when a complete listing no longer contained the record (or Zoom said
  it was deleted) and cleared when Zoom shows it again; rows are kept so the admin can show
  what vanished.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class ZoomRecord(models.Model):
    #: The fields that identify a record within its tenant (the upsert's conflict target is
    #: ``("tenant", *zoom_key)``, which a unique constraint of the concrete model must cover).
    zoom_key: ClassVar[tuple[str, ...]] = ("zoom_id",)
    #: Columns the sync keeps about a record that are not Zoom's content (e.g. when Zoom last
    #: refused a listing under it): the upsert neither writes nor fingerprints them.
    sync_fields: ClassVar[tuple[str, ...]] = ()

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, editable=False)
    zoom_data = models.JSONField("Zoom data", default=dict, blank=True, editable=False)
    zoom_hash = models.CharField(max_length=32, blank=True, editable=False)
    synced_at = models.DateTimeField("synced", editable=False)
    deleted_at = models.DateTimeField("deleted in Zoom", null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
