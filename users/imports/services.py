"""From a checked file to a bulk job: the plan of an import, and starting it.

Between the dry run and the confirmation the rows that passed travel as a *sealed plan*: the
preview page holds it in a hidden field, encrypted with the keys of secrets at rest
(``zoomadmin.tenants.crypto``, Fernet: authenticated), so it can be neither read (an autoCreate
row carries a password) nor changed in the browser; nothing is stored for an import that is
never confirmed. A plan is good for ``PLAN_MAX_AGE`` and for the user who made it.

Confirming starts one job per plan: confirming the same plan again (a second click) finds the
job it started, so no row is sent twice. Passwords stay encrypted in the job's items and are
decrypted by the operation only for its request.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from users.imports.reading import ImportPreview
from zoomadmin.jobs.models import BulkJob
from zoomadmin.jobs.runner import job_create_for_rows
from zoomadmin.tenants.crypto import SecretUnavailable, decrypt, encrypt
from zoomadmin.tenants.models import Tenant

OPERATION = "users.import_create"
PLAN_MAX_AGE = timedelta(hours=1)


class PlanRefused(Exception):
    """The sealed plan cannot be used (too old, another user's, unreadable); the message says
    what to do."""


@dataclass(frozen=True)
class ImportPlan:
    import_id: str
    user_id: int
    tenant_id: int
    action: str
    filename: str
    made_at: float
    #: ``(label, payload)`` per row that passed: what the job's items are made of.
    rows: list[tuple[str, dict[str, Any]]]

    @classmethod
    def of(
        cls, preview: ImportPreview, *, user: Any, tenant: Tenant, action: str, filename: str
    ) -> ImportPlan:
        rows = []
        for row in preview.good:
            info = dict(row.user_info)
            if info.get("password"):
                info["password"] = encrypt(info["password"])
            payload = {"row": row.number, "user_info": info, "changes": row.changes}
            rows.append((f"Row {row.number}: {info['email']}", payload))
        return cls(
            import_id=uuid.uuid4().hex,
            user_id=user.pk,
            tenant_id=tenant.pk,
            action=action,
            filename=filename[:100],
            made_at=timezone.now().timestamp(),
            rows=rows,
        )

    def seal(self) -> str:
        plain = json.dumps(self.__dict__, separators=(",", ":")).encode()
        return encrypt(base64.b64encode(zlib.compress(plain, 6)).decode("ascii"))

    @classmethod
    def open(cls, sealed: str, *, user: Any) -> ImportPlan:
        try:
            fields = json.loads(zlib.decompress(base64.b64decode(decrypt(sealed))))
            plan = cls(**{**fields, "rows": [tuple(row) for row in fields["rows"]]})
        except (SecretUnavailable, ValueError, TypeError, KeyError, zlib.error):
            raise PlanRefused("This preview cannot be read: upload the file again.") from None
        if plan.user_id != user.pk:
            raise PlanRefused("This preview was made by another user: upload the file again.")
        if timezone.now().timestamp() - plan.made_at > PLAN_MAX_AGE.total_seconds():
            raise PlanRefused("This preview is more than an hour old: upload the file again.")
        return plan


def user_import_start(*, actor: Any, tenant: Tenant, plan: ImportPlan) -> tuple[BulkJob, bool]:
    """The queued job that creates the plan's rows in ``tenant`` (which the caller checked the
    actor may use), and whether it is new; the job this plan already started, if any."""
    if plan.tenant_id != tenant.pk:
        raise ValueError("the plan is for another tenant")
    with transaction.atomic():
        # Two confirmations of one plan at once (a double click): the second waits here, then
        # finds the first one's job.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        started = BulkJob.objects.filter(
            tenant=tenant, operation=OPERATION, params__import_id=plan.import_id
        ).first()
        if started is not None:
            return started, False
        count = len(plan.rows)
        job = job_create_for_rows(
            actor=actor,
            tenant=tenant,
            operation=OPERATION,
            rows=plan.rows,
            params={"action": plan.action, "import_id": plan.import_id},
            title=f"Import {count} {'user' if count == 1 else 'users'} from {plan.filename}",
        )
    return job, True
