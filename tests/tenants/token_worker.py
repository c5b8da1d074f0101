"""A second process asking for a tenant's token (tests/tenants/test_tokens.py).

    python -m tests.tenants.token_worker TENANT_ID GO_FILE

Sets Django up, prints "ready", waits for GO_FILE, then asks for the token from four threads at
once and prints them as a JSON list.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import django


def main() -> None:
    django.setup()
    from django.db import connection

    from zoomadmin.tenants.models import Tenant
    from zoomadmin.tenants.tokens import token_provider_for

    tenant = Tenant.objects.get(pk=int(sys.argv[1]))
    connection.close()
    go = Path(sys.argv[2])
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    tokens: list[str] = []

    def ask() -> None:
        try:
            tokens.append(token_provider_for(tenant).get_token())
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(tokens), flush=True)


if __name__ == "__main__":
    main()
