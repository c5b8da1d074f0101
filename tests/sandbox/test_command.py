"""`manage.py zoom_sandbox` seeds the sandbox and prints what to configure."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from zoomadmin.sandbox import SandboxServer


def test_command_prints_the_urls_and_oauth_app_and_serves(monkeypatch) -> None:
    served: list[SandboxServer] = []

    def serve_until_ctrl_c(server: SandboxServer) -> None:
        served.append(server)
        server._httpd.server_close()
        raise KeyboardInterrupt

    monkeypatch.setattr(SandboxServer, "serve_forever", serve_until_ctrl_c)
    out = StringIO()

    call_command("zoom_sandbox", port=0, users=5, accounts=2, latency_ms=20, stdout=out)

    text = out.getvalue()
    server = served[0]
    assert f"ZOOM_API_BASE_URL={server.api_base_url}" in text
    assert f"ZOOM_OAUTH_BASE_URL={server.url}" in text
    assert "ZOOM_CLIENT_ID=sandbox-client-id" in text
    assert "ZOOM_CLIENT_SECRET=sandbox-client-secret" in text
    assert len(server.state.accounts) == 2
    assert server.config.latency_seconds == 0.02
    assert text.rstrip().endswith("Stopped.")
