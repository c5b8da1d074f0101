"""Recording downloads: a file's ``download_url`` on Zoom's web host, and the storage it
redirects to.

What Zoom publishes (Meetings OpenAPI, ``recording_files[].download_url`` of "Get meeting
recordings" and "List all recordings"): "If a user has authorized and installed your OAuth app
that contains recording scopes, use the ``download_access_token`` or the user's OAuth access
token to download the file. Set the ``access_token`` as a Bearer token in the Authorization
header. For example: ``curl -H 'Authorization: Bearer <ACCESS_TOKEN>'
https://{{base-domain}}/rec/archive/download/xyz`` […] The URL may be a redirect. In that
case, use ``curl --location`` to follow redirects". Read here as:

* ``GET /rec/download/{fileId}`` on the sandbox's own address (Zoom's download URLs are on its
  web host, ``zoom.us``, which the sandbox also stands for as ``ZOOM_OAUTH_BASE_URL``) takes
  ``Authorization: Bearer <access token>``; without a valid one it answers 401 code 124, as
  the API does. A file the token's account does not hold (another account's, one in the
  trash, one deleted) answers 404 code 3301, as "Get meeting recordings" does.
* It answers 302 to the storage: ``/rec/storage/{fileId}?expires=…&signature=…`` on the other
  loopback name (``127.0.0.1`` and ``localhost`` swap, same port), so a client that follows
  the redirect reaches another host, as Zoom's storage is. The URL is signed and lives five
  minutes; it needs no token.
* The storage serves the file's bytes: ``file_size`` of them (:func:`file_bytes`, the same
  for the same file every time), more or fewer by the knob ``download_size_delta``, at most
  ``download_bytes_per_second`` when that is set.

The API's answers carry download URLs on the sandbox's address (:func:`with_own_links`); the
stored records keep the reserved placeholder host of ``records.WEB_BASE``. Every request to
either path is logged in ``state.stats.download_requests`` (host, path, query, whether an
Authorization header came), so that a test sees where a token travelled.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator

from . import records
from .api.routing import _authenticate
from .config import SandboxConfig
from .state import Account, SandboxState
from .web import ApiError, Request, Response

PREFIX = "/rec/"
DOWNLOAD_PATH = "/rec/download/"
STORAGE_PATH = "/rec/storage/"
PLACEHOLDER = f"{records.WEB_BASE}{DOWNLOAD_PATH}"
STORAGE_URL_SECONDS = 300
BLOCK = 64 * 1024
LOG_LIMIT = 1000
CONTENT_TYPES = {
    "MP4": "video/mp4",
    "M4A": "audio/mp4",
    "TXT": "text/plain",
    "VTT": "text/vtt",
    "JSON": "application/json",
    "CSV": "text/csv",
}
# The other loopback name: a redirect there leaves the host, as Zoom's to its storage does.
OTHER_NAME = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}


def file_bytes(file_id: str, size: int) -> Iterator[bytes]:
    """The content of recording file ``file_id`` with ``size`` bytes, in blocks of 64 KiB:
    block *k* is SHA-256 of ``"{file_id}:{k}"`` repeated. Nothing is stored, and a test
    compares what it received with this."""
    for index in range(-(-size // BLOCK)):
        seed = hashlib.sha256(f"{file_id}:{index}".encode()).digest()
        yield (seed * (BLOCK // len(seed)))[: min(BLOCK, size - index * BLOCK)]


def with_own_links(response: Response, request: Request, default_base: str) -> Response:
    """``response`` with its download URLs on the address the request reached."""
    marker = PLACEHOLDER.encode()
    if marker in response.body:
        own = f"{_base(request, default_base)}{DOWNLOAD_PATH}".encode()
        response.body = response.body.replace(marker, own)
    return response


def handle(
    state: SandboxState, config: SandboxConfig, request: Request, *, default_base: str
) -> Response:
    if request.method != "GET":
        response = _not_recognized()
    elif request.path.startswith(DOWNLOAD_PATH):
        response = _download(state, request, request.path[len(DOWNLOAD_PATH) :], default_base)
    elif request.path.startswith(STORAGE_PATH):
        response = _storage(state, config, request, request.path[len(STORAGE_PATH) :])
    else:
        response = _not_recognized()
    with state.lock:
        log = state.stats.download_requests
        log.append(
            {
                "host": request.headers.get("Host", ""),
                "path": request.path,
                "query": dict(request.query),
                "authorization": "Authorization" in request.headers,
                "status": response.status,
            }
        )
        del log[:-LOG_LIMIT]
    return response


def _download(state: SandboxState, request: Request, file_id: str, default_base: str) -> Response:
    with state.lock:
        try:
            token = _authenticate(state, request)
        except ApiError as error:
            return error.response()
        account = state.accounts[token.account_id]
        if _find_file(account, file_id) is None:
            return ApiError(404, 3301, "There is no recording for this meeting.").response()
        expires = int(state.now()) + STORAGE_URL_SECONDS
        signature = _signature(state, account.id, file_id, expires)
    scheme_host = _base(request, default_base)
    scheme, _, host = scheme_host.partition("://")
    name, colon, port = host.rpartition(":") if ":" in host else (host, "", "")
    storage = f"{scheme}://{OTHER_NAME.get(name, name)}{colon}{port}"
    return Response.redirect(
        f"{storage}{STORAGE_PATH}{file_id}?expires={expires}&signature={signature}"
    )


def _storage(
    state: SandboxState, config: SandboxConfig, request: Request, file_id: str
) -> Response:
    with state.lock:
        found = None
        for account in state.accounts.values():
            recording_file = _find_file(account, file_id)
            if recording_file is not None:
                found = account, recording_file
                break
        try:
            expires = int(request.query.get("expires", ""))
        except ValueError:
            expires = 0
        given = request.query.get("signature", "")
        valid = (
            found is not None
            and expires >= state.now()
            and hmac.compare_digest(given, _signature(state, found[0].id, file_id, expires))
        )
        if not valid:
            return ApiError(403, 403, "The link is invalid or has expired.").response()
        recording_file = dict(found[1])
    size = max(0, int(recording_file.get("file_size") or 0) + config.download_size_delta)
    extension = str(recording_file.get("file_extension") or "").upper()
    return Response(
        200,
        headers={
            "Content-Type": CONTENT_TYPES.get(extension, "application/octet-stream"),
            "Content-Length": str(size),
            "Content-Disposition": f'attachment; filename="{file_id}.{extension.lower()}"',
        },
        stream=_paced(file_bytes(file_id, size), config.download_bytes_per_second),
    )


def _paced(blocks: Iterator[bytes], per_second: float) -> Iterator[bytes]:
    """``blocks`` at ``per_second`` bytes a second (0: at once), in pieces of a twentieth of
    a second, so that a slow download is slow from its first byte to its last."""
    if per_second <= 0:
        yield from blocks
        return
    piece = max(1, int(per_second / 20))
    for block in blocks:
        for start in range(0, len(block), piece):
            time.sleep(min(piece, len(block) - start) / per_second)
            yield block[start : start + piece]


def _find_file(account: Account, file_id: str) -> dict | None:
    for recording in account.recordings.values():
        for recording_file in recording.get("recording_files") or ():
            if recording_file.get("id") == file_id:
                return recording_file
    return None


def _signature(state: SandboxState, account_id: str, file_id: str, expires: int) -> str:
    message = f"{account_id}|{file_id}|{expires}".encode()
    return hmac.new(state.download_secret, message, hashlib.sha256).hexdigest()


def _base(request: Request, default_base: str) -> str:
    host = request.headers.get("Host", "")
    return f"http://{host}" if host else default_base


def _not_recognized() -> Response:
    return ApiError(404, 2300, "This API endpoint is not recognized.").response()
