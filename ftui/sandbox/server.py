"""The sandbox: an OpenAI-compatible HTTP server on loopback (aiohttp), state in SQLite.

Runs standalone (``ftui sandbox serve``) or embedded on a thread of its own
(``ftui.sandbox.embedded``), on a free port. It trusts nothing it is sent: every request
must carry its key (``ftui.sandbox.key``; 401 otherwise), so another user of the host gets
nothing; bodies of the wrong shape get a 400 with OpenAI's error body, a body of another
content type than the route takes a 415, and requests addressed to another host (DNS
rebinding) or sent by a web page (any ``Origin`` header, ``null`` too) a 403.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import math
import os
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from ftui.api_facts import HYPERPARAMETERS, SEED_MAX, HyperparameterError, check_suffix
from ftui.config import SPEED_RULE, speed_ok
from ftui.credentials import remember
from ftui.data.catalog import load_catalog
from ftui.data.tokens import TokenCounter
from ftui.data.validate import validate_file
from ftui.job_options import JobOptionError, check_integrations
from ftui.sandbox.faults import Faults
from ftui.sandbox.key import HeldKey, claim_key, env_key
from ftui.sandbox.problems import db_problem, full_sentence, is_full
from ftui.sandbox.replies import Pair, best_reply, generic_reply, load_pairs
from ftui.sandbox.simulate import JobPlan
from ftui.sandbox.store import FACE, Store, face_id, new_id, private_open
from ftui.textsafe import safe

log = logging.getLogger("ftui.sandbox")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024
CHUNK_DELAY = 0.03
DROP = web.RequestKey("ftui_drop", bool)  # set when the fault injector drops this response
DEPLOYED_MODEL = web.RequestKey("ftui_deployed_model", str)  # an Azure deployment's model (ftui.sandbox.azure)


class ApiError(Exception):
    """Raised by handlers; becomes OpenAI's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code


def error_response(
    status: int, message: str, type_: str, param: str | None, code: str | None, **headers: str
) -> web.Response:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers or None)


def default_data_dir() -> Path:
    """The sandbox state shared by the TUI and the command line: $XDG_DATA_HOME/ftui/sandbox."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ftui" / "sandbox"


def _auto_batch_size(n: int) -> int:
    return max(1, min(256, math.ceil(n * 0.002)))


def _body_type(request: web.Request) -> str:
    """The one content type a route's body may have: multipart for file uploads, JSON elsewhere."""
    multipart = request.method == "POST" and request.path.rstrip("/").endswith(("/files", "/parts"))
    return "multipart/form-data" if multipart else "application/json"


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and ``localhost``: addresses only this machine can reach."""
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


# -- checking what a request sends (wrong types are a 400, never a 500) ---------------------
def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _expect(value: Any, types: type | tuple[type, ...], param: str, what: str) -> Any:
    """``value`` if it has one of ``types`` (booleans are never numbers), else a 400 naming ``param``."""
    ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in _as_tuple(types))
    if not ok:
        raise ApiError(400, f"Invalid type for '{param}': expected {what}, but got {_kind(value)}.", param=param)
    return value


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _opt(body: dict[str, Any], key: str, types: type | tuple[type, ...], what: str, param: str | None = None) -> Any:
    value = body.get(key)
    return None if value is None else _expect(value, types, param or key, what)


def _required_str(body: dict[str, Any], key: str, param: str | None = None) -> str:
    value = body.get(key)
    if value is None or value == "":
        raise ApiError(
            400, f"Missing required parameter: '{param or key}'.", param=param or key, code="missing_required_parameter"
        )
    text: str = _expect(value, str, param or key, "a string")
    return text


def _opt_number(body: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value: float | None = _opt(body, key, (int, float), "a number")
    if value is not None and not (math.isfinite(value) and lo <= value <= hi):
        raise ApiError(400, f"'{key}' must be a number from {lo:g} to {hi:g}.", param=key)
    return value


def _opt_count(body: dict[str, Any], key: str) -> int | None:
    value: int | None = _opt(body, key, int, "an integer")
    if value is not None and value < 1:
        raise ApiError(400, f"'{key}' must be at least 1.", param=key)
    return value


def _hyperparameter(hp: dict[str, Any], name: str) -> Any:
    """'auto' or the value in range (the ranges live in ftui.api_facts); a 400 otherwise."""
    raw = hp.get(name)
    rule = HYPERPARAMETERS[name]
    if raw is None or raw == "auto":
        return "auto"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ApiError(
            400,
            f"{name} must be {rule.describe()} or 'auto', not {_kind(raw)}.",
            param=name,
            code="invalid_hyperparameters",
        )
    try:
        return rule.check(raw)
    except HyperparameterError:
        shown = f"{raw:g}" if isinstance(raw, float) else (str(raw) if abs(raw) < 10**12 else "a huge number")
        raise ApiError(
            400,
            f"{name} must be {rule.describe()} or 'auto' (got {shown}).",
            param=name,
            code="invalid_hyperparameters",
        ) from None


def _check_messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty array.", param="messages")
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        _expect(m, dict, where, "an object")
        _expect(m.get("role"), str, f"{where}.role", "a string")
        content = m.get("content")
        if content is None or isinstance(content, str):
            continue
        _expect(content, list, f"{where}.content", "a string or an array of content parts")
        for j, part in enumerate(content):
            _expect(part, dict, f"{where}.content[{j}]", "an object")
            _expect(part.get("type"), str, f"{where}.content[{j}].type", "a string")
            if part["type"] == "text":
                _expect(part.get("text"), str, f"{where}.content[{j}].text", "a string")
    return messages


def _integrations(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's integrations as the API keeps them (W&B only; unset fields null), or a 400."""
    try:
        checked = check_integrations(body.get("integrations"))
    except JobOptionError as exc:
        raise ApiError(400, str(exc), param="integrations") from None
    return [
        {"type": "wandb", "wandb": {"project": None, "entity": None, "name": None, "tags": [], **item["wandb"]}}
        for item in checked
    ]


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer carries an ``x-request-id`` (``req_…``), as the API's do (the SDK logs it)."""
    response.headers["x-request-id"] = "req_" + os.urandom(12).hex()


def _response_format(body: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """``response_format`` as the API checks it: None for text, else the json_object / json_schema
    request (json_object needs the word "json" in the messages, as on the API)."""
    fmt: dict[str, Any] | None = _opt(body, "response_format", dict, "an object")
    if fmt is None:
        return None
    kind = fmt.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        said = json.dumps([m.get("content") for m in messages], ensure_ascii=False).lower()
        if "json" not in said:
            raise ApiError(
                400,
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                param="messages",
            )
        return fmt
    if kind == "json_schema":
        schema = _opt(fmt, "json_schema", dict, "an object", "response_format.json_schema")
        if schema is None or not isinstance(schema.get("name"), str):
            raise ApiError(400, "response_format.json_schema.name is required.", param="response_format.json_schema")
        return fmt
    raise ApiError(
        400,
        f"Invalid value for 'response_format.type': {kind!r}; use text, json_object or json_schema.",
        param="response_format.type",
    )


def _as_json_reply(reply: str, fmt: dict[str, Any]) -> str:
    """The reply as a JSON object: {"reply": text}, or for a schema each property filled by its type."""
    if fmt.get("type") != "json_schema":
        return json.dumps({"reply": reply}, ensure_ascii=False)
    schema = fmt["json_schema"].get("schema")
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or not props:
        return json.dumps({"reply": reply}, ensure_ascii=False)
    empty = {"number": 0, "integer": 0, "boolean": False, "array": [], "object": {}, "null": None}
    out = {}
    for key, spec in props.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        out[key] = reply if kind in (None, "string") or not isinstance(kind, str) else empty.get(kind)
    return json.dumps(out, ensure_ascii=False)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            return " ".join(p.get("text", "") for p in c or [] if p.get("type") == "text")
    return ""


class SandboxServer:
    """The provider ftui starts when nothing else is configured. ``await start()`` returns the base URL.

    ``start`` serves in the running event loop: embedded in ftui that is the sandbox's own
    thread (see ``ftui.sandbox.embedded``), never the UI's loop.
    """

    def __init__(
        self,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        speed: float = 1.0,
        faults: Faults | str | None = None,
        api_key: str | None = None,
        clock: Callable[[], float] = time.time,
        insecure: bool = False,
    ) -> None:
        if not speed_ok(speed):
            raise ValueError(f"The sandbox speed must be {SPEED_RULE}, not {speed!r}.")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"The sandbox port must be from 0 to 65535, not {port!r}.")
        if not is_loopback(host) and not api_key and not insecure:
            raise ValueError(
                f"The sandbox listens on {host} (not loopback) only with an API key or when told it is insecure."
            )
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()
        self.host, self.port, self.speed = host, port, float(speed)
        if not isinstance(faults, Faults):
            faults = Faults(faults) if faults is not None else Faults.from_env()
        self.faults = faults
        self.api_key = api_key  # None: $FTUI_SANDBOX_KEY, else a random one shared through the data dir
        self._held_key: HeldKey | None = None
        self.store = Store(self.data_dir, clock=clock)
        self.catalog = load_catalog()
        self._pairs: dict[str, list[Pair]] = {}
        self._shutdown: dict[str, str | None] = {}  # shutdown date by base model
        self._runner: web.AppRunner | None = None
        self._hosts: frozenset[str] | None = None  # Host headers accepted (None: any, for a wildcard bind)
        self.base_url = ""
        self.requests = 0

    # -- lifecycle -------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors, self._front])
        app.on_response_prepare.append(_add_request_id)
        r = app.router
        r.add_post("/v1/files", self.create_file)
        r.add_get("/v1/files", self.list_files)
        r.add_get("/v1/files/{id}", self.get_file)
        r.add_delete("/v1/files/{id}", self.delete_file)
        r.add_get("/v1/files/{id}/content", self.file_content)
        r.add_post("/v1/uploads", self.create_upload)
        r.add_post("/v1/uploads/{id}/parts", self.add_part)
        r.add_post("/v1/uploads/{id}/complete", self.complete_upload)
        r.add_post("/v1/uploads/{id}/cancel", self.cancel_upload)
        r.add_post("/v1/fine_tuning/jobs", self.create_job)
        r.add_get("/v1/fine_tuning/jobs", self.list_jobs)
        r.add_get("/v1/fine_tuning/jobs/{id}", self.get_job)
        r.add_post("/v1/fine_tuning/jobs/{id}/{action:cancel|pause|resume}", self.control_job)
        r.add_get("/v1/fine_tuning/jobs/{id}/events", self.list_events)
        r.add_get("/v1/fine_tuning/jobs/{id}/checkpoints", self.list_checkpoints)
        r.add_get("/v1/models", self.list_models)
        r.add_get("/v1/models/{model:.+}", self.get_model)
        r.add_delete("/v1/models/{model:.+}", self.delete_model)
        r.add_post("/v1/chat/completions", self.chat)
        from ftui.sandbox.azure import AzureSurface  # the Azure control and data planes

        AzureSurface(self).register(app)
        return app

    async def start(self) -> str:
        """Bind (port 0 picks a free one) and serve in the running event loop; ``api_key`` is
        the key every request must carry from then on."""
        if not self.api_key:
            self.api_key = env_key()
        if not self.api_key:
            self._held_key = claim_key(self.data_dir)
            self.api_key = self._held_key.value
        remember(self.api_key)  # this process never shows it (logs, errors) from now on
        try:
            return await self._listen()
        except BaseException:
            self._release_key()
            raise

    def _release_key(self) -> None:
        if self._held_key is not None:
            self._held_key.release()
            self._held_key = None

    async def _listen(self) -> str:
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except BaseException:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.base_url = f"http://{host}:{self.port}/v1"
        if self.host.strip("[]") in ("0.0.0.0", "::", ""):
            self._hosts = None  # every interface: any Host (the key, or --insecure, was asked for)
        else:
            names = {f"127.0.0.1:{self.port}", f"localhost:{self.port}", f"[::1]:{self.port}", f"{host}:{self.port}"}
            self._hosts = frozenset(n.lower() for n in names)
        log.info("sandbox listening on %s (data in %s)", self.base_url, self.data_dir)
        return self.base_url

    async def stop(self) -> None:
        try:
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
        finally:
            self._release_key()
            self.store.close()

    # -- middlewares -------------------------------------------------------------------------
    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.message, exc.type, exc.param, exc.code)
        except web.HTTPException as exc:
            if exc.status == 404:
                return error_response(
                    404,
                    f"Unknown request URL: {request.method} {request.path}.",
                    "invalid_request_error",
                    None,
                    "unknown_url",
                )
            if exc.status == 405:
                return error_response(
                    405,
                    f"Method {request.method} is not allowed for {request.path}.",
                    "invalid_request_error",
                    None,
                    None,
                )
            raise
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception as exc:
            refused = self._storage_refusal(request, exc)
            if refused is not None:
                return refused
            log.exception("sandbox handler failed")
            return error_response(500, "The sandbox hit an internal error.", "server_error", None, None)

    def _storage_refusal(self, request: web.Request, exc: Exception) -> web.Response | None:
        """A full disk (507) or a database that cannot be used (500), said as such and marked
        not worth retrying; None for any other error."""
        data_dir, no_retry = self.store.data_dir, {"x-should-retry": "false"}
        if is_full(exc, data_dir):
            needed = request.content_length if request.can_read_body else None
            sentence = full_sentence("The sandbox could not save this request's data", data_dir, needed)
            log.warning("%s", sentence)
            return error_response(507, sentence, "server_error", None, "disk_full", **no_retry)
        if type(exc) in (sqlite3.DatabaseError, sqlite3.OperationalError):
            kind, sentence = db_problem(exc, self.store.db_path, data_dir)  # type: ignore[arg-type]
            log.error("%s", sentence)
            if kind == "locked":  # another program holds it: a retry may well succeed
                return error_response(503, sentence, "server_error", None, "sandbox_busy")
            code = "sandbox_state_damaged" if kind == "damaged" else "sandbox_state_unusable"
            return error_response(500, sentence, "server_error", None, code, **no_retry)
        return None

    @web.middleware
    async def _front(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every request's checks in one middleware (each layer of aiohttp's chain costs a call):
        the caller (a web page? the key?), then the faults asked for."""
        refused = self._guard(request) or self._auth(request)
        if refused is not None:
            return refused
        return await self._fault(request, handler)

    def _guard(self, request: web.Request) -> web.Response | None:
        """Refuse requests a web page could make: another Host (DNS rebinding), or any Origin."""
        host = request.headers.get("Host")
        if host is not None and self._hosts is not None and host.strip().lower() not in self._hosts:
            return error_response(
                403,
                "The sandbox only answers requests addressed to its own address (the Host header names another).",
                "invalid_request_error",
                None,
                "forbidden_host",
            )
        if "Origin" in request.headers:  # any, even "null" (sandboxed frames, file:// pages) or empty
            return error_response(
                403,
                "The sandbox does not answer requests from web pages (the request has an Origin header).",
                "invalid_request_error",
                None,
                "forbidden_origin",
            )
        if request.body_exists:
            wanted = _body_type(request)
            if request.content_type != wanted:
                return error_response(
                    415,
                    f"This route takes a {wanted} body, not {safe(request.content_type, one_line=True)[:80]}.",
                    "invalid_request_error",
                    None,
                    "unsupported_media_type",
                )
        return None

    def _auth(self, request: web.Request) -> web.Response | None:
        """Every request carries the key: ``Authorization: Bearer KEY`` or ``api-key: KEY`` (Azure)."""
        self.requests += 1
        key = self.api_key
        if not key:  # start() has not run: nothing is served yet
            return None
        scheme, _, bearer = request.headers.get("Authorization", "").strip().partition(" ")
        given = [bearer.strip() if scheme.lower() == "bearer" else ""]
        control_plane = request.path.startswith("/management/")
        if not control_plane:  # Azure's data plane sends the key as api-key; its control plane as a bearer token
            given.append(request.headers.get("api-key", "").strip())
        if any(g and hmac.compare_digest(g.encode(), key.encode()) for g in given):
            return None
        if control_plane:  # Azure Resource Manager's answer
            return web.json_response(
                {
                    "error": {
                        "code": "AuthenticationFailed",
                        "message": "Authentication failed: the bearer token "
                        "is not this sandbox's key (ftui sandbox serve prints it as key: ...).",
                    }
                },
                status=401,
                headers={"WWW-Authenticate": 'Bearer authorization_uri="sandbox"'},
            )
        return error_response(
            401,
            "Incorrect API key provided: this sandbox takes the key that `ftui sandbox serve` prints "
            "(or $FTUI_SANDBOX_KEY).",
            "invalid_request_error",
            None,
            "invalid_api_key",
        )

    async def _fault(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        draw = self.faults.draw(f"{request.method} {resource.canonical if resource else request.path}")
        if draw.delay:
            await asyncio.sleep(draw.delay)
        if draw.kind == "429":
            return error_response(
                429,
                "Rate limit reached (injected by the sandbox).",
                "requests",
                None,
                "rate_limit_exceeded",
                **{"Retry-After": "1", "retry-after-ms": "50"},
            )
        if draw.kind == "500":
            return error_response(500, "The server had an error (injected by the sandbox).", "server_error", None, None)
        if draw.kind == "drop":
            request[DROP] = True
        response = await handler(request)
        if draw.kind == "drop" and isinstance(response, web.Response) and response.body is not None:
            return await self._drop(request, response)
        return response

    @staticmethod
    async def _drop(request: web.Request, response: web.Response) -> web.StreamResponse:
        body = bytes(response.body)  # type: ignore[arg-type]
        partial = web.StreamResponse(
            status=response.status,
            headers={"Content-Type": response.content_type or "application/json", "Content-Length": str(len(body))},
        )
        await partial.prepare(request)
        await partial.write(body[: max(1, len(body) // 2)])
        if request.transport is not None:
            request.transport.close()
        return partial

    # -- helpers -------------------------------------------------------------------------
    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise ApiError(400, "We could not parse the JSON body of your request.") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        return body

    @staticmethod
    def _limit(request: web.Request, default: int) -> int:
        raw = request.query.get("limit")
        if raw is None:
            return default
        try:
            limit = int(raw)
        except ValueError as exc:
            raise ApiError(400, "limit must be an integer.", param="limit") from exc
        if not 1 <= limit <= 10_000:
            raise ApiError(400, "limit must be between 1 and 10000.", param="limit")
        return limit

    @classmethod
    def _page(cls, items: list[dict[str, Any]], request: web.Request, default_limit: int) -> dict[str, Any]:
        after = request.query.get("after")
        limit = cls._limit(request, default_limit)
        if after:
            ids = [i["id"] for i in items]
            items = items[ids.index(after) + 1 :] if after in ids else []
        return {"object": "list", "data": items[:limit], "has_more": len(items) > limit}

    async def _save_multipart_file(self, request: web.Request, limit: int) -> tuple[Path, str, dict[str, str]]:
        """Stream the multipart "file" (or "data") field to a temp file; return it and the other fields."""
        try:
            reader = await request.multipart()
        except (AssertionError, ValueError) as exc:
            raise ApiError(400, "Expected a multipart/form-data body.") from exc
        tmp = self.store.temp_path("incoming")
        filename, fields, got_file = "upload.jsonl", {}, False
        try:
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader):
                    raise ValueError("a nested multipart body")  # not a form field: malformed (400)
                if part.name in ("file", "data"):
                    got_file = True
                    filename = part.filename or filename
                    size = 0
                    with private_open(tmp) as fh:
                        while chunk := await part.read_chunk(1 << 20):
                            size += len(chunk)
                            if size > limit:
                                raise ApiError(413, f"File is larger than {limit // (1 << 20)} MB.", param=part.name)
                            fh.write(chunk)
                elif part.name:
                    fields[part.name] = (await part.text()).strip()
        except (AssertionError, ValueError, UnicodeDecodeError, HttpProcessingError) as exc:  # a malformed body
            tmp.unlink(missing_ok=True)
            raise ApiError(400, "The multipart/form-data body is malformed.") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if not got_file:
            tmp.unlink(missing_ok=True)
            raise ApiError(400, "The request has no file.", param="file")
        return tmp, filename, fields

    # -- files -----------------------------------------------------------------------------
    async def create_file(self, request: web.Request) -> web.Response:
        tmp, filename, fields = await self._save_multipart_file(request, MAX_FILE_BYTES)
        purpose = fields.get("purpose")
        if not purpose:
            tmp.unlink(missing_ok=True)
            raise ApiError(
                400, "Missing required parameter: 'purpose'.", param="purpose", code="missing_required_parameter"
            )
        return web.json_response(self.store.add_file(filename, purpose, src=tmp))

    async def list_files(self, request: web.Request) -> web.Response:
        files = self.store.list_files(request.query.get("purpose"))
        if request.query.get("order") == "asc":
            files.reverse()
        page = self._page(files, request, 10_000)
        page["first_id"] = page["data"][0]["id"] if page["data"] else None  # as the API sends them
        page["last_id"] = page["data"][-1]["id"] if page["data"] else None
        return web.json_response(page)

    def _file_or_404(self, file_id: str) -> dict[str, Any]:
        obj = self.store.get_file(file_id)
        if obj is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return obj

    async def get_file(self, request: web.Request) -> web.Response:
        return web.json_response(self._file_or_404(request.match_info["id"]))

    async def delete_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        self._file_or_404(file_id)
        self.store.delete_file(file_id)
        return web.json_response({"id": file_id, "object": "file", "deleted": True})

    async def file_content(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["id"]
        self._file_or_404(file_id)
        path = self.store.file_path(file_id)
        assert path is not None
        return web.FileResponse(path, headers={"Content-Type": "application/octet-stream"})

    # -- uploads ---------------------------------------------------------------------------
    async def create_upload(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        for key in ("filename", "purpose", "bytes", "mime_type"):
            if key not in body:
                raise ApiError(
                    400, f"Missing required parameter: '{key}'.", param=key, code="missing_required_parameter"
                )
        filename = _required_str(body, "filename")
        purpose = _required_str(body, "purpose")
        mime_type = _opt(body, "mime_type", str, "a string")
        size = _expect(body["bytes"], int, "bytes", "an integer")
        if size < 0 or size > 8 * 1024**3:
            raise ApiError(400, "bytes must be between 0 and 8 GB.", param="bytes")
        return web.json_response(self.store.create_upload(filename, purpose, size, mime_type))

    def _pending_upload(self, upload_id: str) -> dict[str, Any]:
        upload = self.store.get_upload(upload_id)
        if upload is None:
            raise ApiError(404, f"No such Upload object: {upload_id}", param="upload_id")
        if upload["status"] != "pending":
            raise ApiError(400, f"Upload {upload_id} is already {upload['status']}.", param="upload_id")
        if upload["expires_at"] < self.store.clock():
            raise ApiError(400, f"Upload {upload_id} has expired.", param="upload_id")
        return upload

    async def add_part(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["id"]
        self._pending_upload(upload_id)
        tmp, _, _ = await self._save_multipart_file(request, MAX_PART_BYTES)
        return web.json_response(self.store.add_part(upload_id, tmp))

    async def complete_upload(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["id"]
        upload = self._pending_upload(upload_id)
        body = await self._json(request)
        part_ids = body.get("part_ids")
        parts = self.store.part_sizes(upload_id)
        if (
            not isinstance(part_ids, list)
            or not all(isinstance(p, str) for p in part_ids)
            or any(p not in parts for p in part_ids)
        ):
            raise ApiError(400, "part_ids must list the parts of this upload.", param="part_ids")
        _opt(body, "md5", str, "a string")
        total = sum(parts[p][1] for p in part_ids)
        if total != upload["bytes"]:
            raise ApiError(
                400, f"The parts add up to {total} bytes, but the upload expected {upload['bytes']}.", param="part_ids"
            )
        tmp = self.store.temp_path("assemble")

        def assemble() -> None:  # up to 8 GB of copying: not on the server's loop
            with private_open(tmp) as out:
                for p in part_ids:
                    with open(parts[p][0], "rb") as src:
                        while chunk := src.read(1 << 20):
                            out.write(chunk)

        try:
            await asyncio.to_thread(assemble)
        except FileNotFoundError as exc:
            tmp.unlink(missing_ok=True)
            raise ApiError(400, "A part of this upload is gone from the sandbox; upload the file again.") from exc
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        file_obj = self.store.add_file(upload["filename"], upload["purpose"], src=tmp)
        self.store.finish_upload(upload_id, "completed", file_obj["id"])
        return web.json_response(self.store.get_upload(upload_id))

    async def cancel_upload(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["id"]
        self._pending_upload(upload_id)
        self.store.finish_upload(upload_id, "cancelled")
        return web.json_response(self.store.get_upload(upload_id))

    # -- jobs ------------------------------------------------------------------------------
    def _job_or_404(self, job_id: str) -> dict[str, Any]:
        job = self.store.advance(job_id)
        if job is None:
            raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id", code="fine_tune_not_found")
        return job

    def _base_model(self, model: Any) -> str:
        if model is None or model == "":
            raise ApiError(
                400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
            )
        _expect(model, str, "model", "a string")
        if model.startswith("ft:") or ".ft-" in model:  # OpenAI's and Azure's fine-tuned names
            if any(m == model for m, _, _ in self.store.trained_models()):
                return str(model)
        else:
            info = self.catalog.lookup(model)
            if info.known:
                return str(model)
        raise ApiError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )

    def _training_file(self, body: dict[str, Any], param: str) -> Path:
        file_id = _required_str(body, param)
        obj = self.store.get_file(file_id)
        if obj is None:
            raise ApiError(
                400, f"Invalid file format: file {file_id} does not exist.", param=param, code="invalid_file"
            )
        if obj["purpose"] != "fine-tune":
            raise ApiError(
                400,
                f"File {file_id} has purpose {obj['purpose']!r}; fine-tuning needs 'fine-tune'.",
                param=param,
                code="invalid_file",
            )
        path = self.store.file_path(file_id)
        assert path is not None
        return path

    @staticmethod
    def _metadata(body: dict[str, Any]) -> dict[str, str]:
        metadata = _opt(body, "metadata", dict, "an object") or {}
        if len(metadata) > 16:
            raise ApiError(400, "metadata must be an object with at most 16 keys.", param="metadata")
        for key, value in metadata.items():
            if len(key) > 64 or not isinstance(value, str) or len(value) > 512:
                raise ApiError(
                    400,
                    "metadata keys must be at most 64 characters and its values strings of at most 512.",
                    param="metadata",
                )
        return metadata

    async def create_job(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        model = self._base_model(body.get("model"))
        train_path = self._training_file(body, "training_file")
        validation_file = body.get("validation_file")
        if validation_file is not None:
            self._training_file(body, "validation_file")
        suffix = _opt(body, "suffix", str, "a string")
        try:
            suffix = check_suffix(suffix)
        except HyperparameterError as exc:
            raise ApiError(400, str(exc), param="suffix") from None
        seed = _opt(body, "seed", int, "an integer")
        if seed is not None and not 0 <= seed <= SEED_MAX:
            raise ApiError(400, f"seed must be an integer between 0 and {SEED_MAX}.", param="seed")
        metadata = self._metadata(body)
        integrations = _integrations(body)
        method = _opt(body, "method", dict, "an object") or {"type": "supervised"}
        mtype = method.get("type")
        if mtype not in ("supervised", "dpo", "reinforcement"):
            raise ApiError(400, "method.type must be supervised, dpo or reinforcement.", param="method.type")
        hp_in = dict(_opt(body, "hyperparameters", dict, "an object") or {})
        settings = _opt(method, mtype, dict, "an object", param=f"method.{mtype}") or {}
        hp_in.update(_opt(settings, "hyperparameters", dict, "an object", f"method.{mtype}.hyperparameters") or {})
        n_epochs = _hyperparameter(hp_in, "n_epochs")
        batch_size = _hyperparameter(hp_in, "batch_size")
        lrm = _hyperparameter(hp_in, "learning_rate_multiplier")
        requested: dict[str, Any] = {"n_epochs": n_epochs, "batch_size": batch_size, "learning_rate_multiplier": lrm}
        if mtype == "dpo":
            requested["beta"] = _hyperparameter(hp_in, "beta")

        report = await asyncio.to_thread(validate_file, train_path, self.catalog.base_model_name(model), processes=1)
        invalid = report.error_summary()
        if invalid is None and mtype == "dpo" and report.format != "dpo":
            invalid = f"the file is in {report.format} format, but DPO needs preference pairs"
        if invalid is None and mtype == "supervised" and report.format not in ("chat", "completion"):
            invalid = f"the file is in {report.format} format, but supervised fine-tuning needs chat examples"

        n = max(1, report.parsed)
        epochs = n_epochs if n_epochs != "auto" else report.estimate.epochs
        bs = batch_size if batch_size != "auto" else _auto_batch_size(n)
        resolved: dict[str, Any] = {
            "n_epochs": epochs,
            "batch_size": bs,
            "learning_rate_multiplier": lrm if lrm != "auto" else 1.8,
        }
        if mtype == "dpo":
            resolved["beta"] = requested["beta"] if requested["beta"] != "auto" else 0.1
        azure = FACE.get() == "azure"
        job_id = face_id("ftjob-")
        seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big") % SEED_MAX
        base = self.catalog.base_model_name(model)
        if self.catalog.lookup(base).known:
            base = self.catalog.lookup(base).name
        trained = model.startswith("ft:") or ".ft-" in model
        resolved_model = model if trained else base  # gpt-3.5-turbo -> gpt-3.5-turbo-0125
        ft_model = f"ft:{base}:sandbox:{suffix or ''}:{job_id[-8:]}"
        if azure:  # Azure's spec (2024-10-21): "<base>.ft-<job hex>", numbers (never "auto"), no metadata
            given = self.catalog.base_model_name(model)
            if not base.startswith(given):  # Azure's own spelling (gpt-35-turbo-0125) is kept; aliases resolve
                base = given
                resolved_model = model if trained else base
            ft_model = f"{base}.ft-{job_id.removeprefix('ftjob-')}" + (f"-{suffix}" if suffix else "")
            requested = {k: resolved.get(k, v) for k, v in requested.items()}
            metadata = {}
        plan = JobPlan(
            job_id=job_id,
            training_file=body["training_file"],
            validation_file=validation_file,
            fine_tuned_model=ft_model,
            seed=seed,
            n_examples=n,
            batch_size=bs,
            epochs=epochs,
            invalid_reason=invalid,
        )
        static = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": int(self.store.clock()),
            "model": resolved_model,
            "training_file": body["training_file"],
            "validation_file": validation_file,
            "seed": seed,
            "hyperparameters": {k: v for k, v in resolved.items() if k != "beta"},
            "hyperparameters_requested": {k: v for k, v in requested.items() if k != "beta"},
            "method": {"type": mtype, mtype: {"hyperparameters": resolved}},
            "metadata": metadata or None,
            "organization_id": "org-sandbox",
            "integrations": integrations,
            "user_provided_suffix": suffix,
            "_method_requested": {"type": mtype, mtype: {"hyperparameters": requested}},
            "error": None,
            "_trained_tokens": epochs * report.estimate.billing_tokens,
        }
        self.store.add_job(plan, static, self.speed)
        return web.json_response(self._job_or_404(job_id))

    async def list_jobs(self, request: web.Request) -> web.Response:
        limit = self._limit(request, 20)
        wanted = {k[9:-1]: v for k, v in request.query.items() if k.startswith("metadata[") and k.endswith("]")}
        jobs, more = self.store.list_jobs(request.query.get("after"), limit, wanted or None)
        return web.json_response({"object": "list", "data": jobs, "has_more": more})

    async def get_job(self, request: web.Request) -> web.Response:
        return web.json_response(self._job_or_404(request.match_info["id"]))

    async def control_job(self, request: web.Request) -> web.Response:
        job_id, action = request.match_info["id"], request.match_info["action"]
        job, problem = self.store.control(job_id, action)
        if job is None:
            raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id", code="fine_tune_not_found")
        if problem:
            raise ApiError(400, problem, param="fine_tune_id", code="invalid_job_state")
        return web.json_response(job)

    async def list_events(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        if not self.store.catch_up(job_id):
            raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id", code="fine_tune_not_found")
        try:
            limit = max(1, min(int(request.query.get("limit", 20)), 10_000))
        except ValueError as exc:
            raise ApiError(400, "limit must be an integer.", param="limit") from exc
        body = self.store.events_page(job_id, request.query.get("after"), limit)
        return web.Response(body=body, content_type="application/json")

    async def list_checkpoints(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        self._job_or_404(job_id)
        return web.json_response(self._page(self.store.checkpoints(job_id), request, 10))

    # -- models ----------------------------------------------------------------------------
    def _models(self) -> dict[str, dict[str, Any]]:
        """Model objects by id (base models, aliases, fine-tunes and checkpoints)."""
        return {model_id: obj for model_id, (obj, _) in self._models_with_jobs().items()}

    def _models_with_jobs(self) -> dict[str, tuple[dict[str, Any], str | None]]:
        """Each model id with its object and, for trained models, the job that made it."""
        out: dict[str, tuple[dict[str, Any], str | None]] = {}
        for name, info in self.catalog.models.items():
            obj = {
                "id": name,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "system",
                "shutdown_date": info.shutdown_date,
            }
            out[name] = (obj, None)
        for alias, target in self.catalog.aliases.items():
            out[alias] = ({**out[target][0], "id": alias}, None)
        for model, created, job_id in self.store.trained_models():
            base = model.split(":", 2)[1] if model.startswith("ft:") and model.count(":") >= 2 else model
            base = base.split(".ft-", 1)[0]  # Azure's <base>.ft-<hex>
            if base not in self._shutdown:  # the catalogue lookup is the slow part: once per base model
                self._shutdown[base] = self.catalog.lookup(model).shutdown_date
            obj = {
                "id": model,
                "object": "model",
                "created": created,
                "owned_by": "user-sandbox",
                "shutdown_date": self._shutdown[base],
            }
            out[model] = (obj, job_id)
        return out

    async def list_models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": list(self._models().values())})

    def _model_or_404(self, model: str) -> tuple[dict[str, Any], str | None]:
        found = self._models_with_jobs().get(model)
        if found is None:
            raise ApiError(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
            )
        return found

    async def get_model(self, request: web.Request) -> web.Response:
        return web.json_response(self._model_or_404(request.match_info["model"])[0])

    async def delete_model(self, request: web.Request) -> web.Response:
        model = request.match_info["model"]
        found, _ = self._model_or_404(model)
        if found["owned_by"] == "system":
            raise ApiError(
                403,
                f"You cannot delete the base model {model}.",
                type_="invalid_request_error",
                param="model",
                code="model_not_deletable",
            )
        self.store.delete_model(model)
        return web.json_response({"id": model, "object": "model", "deleted": True})

    # -- chat ------------------------------------------------------------------------------
    async def _reply_for(self, model: str, job_id: str | None, prompt: str) -> str:
        if job_id is None:
            return generic_reply(model, prompt)
        if job_id not in self._pairs:
            plan = self.store.job_plan(job_id)
            path = self.store.file_path(plan.training_file) if plan else None
            self._pairs[job_id] = await asyncio.to_thread(load_pairs, path) if path else []
        return best_reply(self._pairs[job_id], prompt) or generic_reply(model, prompt)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._json(request)
        model = request.get(DEPLOYED_MODEL) or _required_str(body, "model")
        messages = _check_messages(body.get("messages"))
        stream = bool(_opt(body, "stream", bool, "a boolean"))
        stream_options = _opt(body, "stream_options", dict, "an object") or {}
        include_usage = bool(_opt(stream_options, "include_usage", bool, "a boolean", "stream_options.include_usage"))
        max_tokens = _opt_count(body, "max_completion_tokens") or _opt_count(body, "max_tokens")
        _opt_number(body, "temperature", 0, 2)
        _opt_number(body, "top_p", 0, 1)
        n = _opt_count(body, "n") or 1
        if n > 128:
            raise ApiError(400, "'n' must be at most 128.", param="n")
        response_format = _response_format(body, messages)
        _, job_id = self._model_or_404(model)
        prompt = _last_user_text(messages)
        reply = await self._reply_for(model, job_id, prompt)
        if response_format is not None:
            reply = _as_json_reply(reply, response_format)
        encoding = self.catalog.lookup(model).encoding
        finish = "stop"
        if max_tokens is not None:
            reply, cut = await asyncio.to_thread(TokenCounter(encoding).truncate, reply, max_tokens)
            if cut:
                finish = "length"

        def usage() -> dict[str, int]:  # tokenizing is blocking work: callers run it in a thread
            counter = TokenCounter(encoding)
            prompt_tokens = counter.count_messages(messages)[0]
            completion = counter.count(reply) * n
            return {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion,
                "total_tokens": prompt_tokens + completion,
            }

        cid = new_id("chatcmpl-")
        created = int(time.time())
        if not stream:
            return web.json_response(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": i,
                            "message": {"role": "assistant", "content": reply, "refusal": None},
                            "finish_reason": finish,
                            "logprobs": None,
                        }
                        for i in range(n)
                    ],
                    "usage": await asyncio.to_thread(usage),
                    "system_fingerprint": "fp_sandbox",
                }
            )
        return await self._stream(request, cid, created, model, reply, finish, usage if include_usage else None, n)

    async def _stream(
        self,
        request: web.Request,
        cid: str,
        created: int,
        model: str,
        reply: str,
        finish: str,
        usage: Callable[[], dict[str, Any]] | None,
        n: int = 1,
    ) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)

        def chunk(
            delta: dict[str, Any],
            finish_reason: str | None = None,
            with_usage: dict[str, Any] | None = None,
            index: int = 0,
        ) -> bytes:
            obj = {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": "fp_sandbox",
                "choices": []
                if with_usage
                else [{"index": index, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
            }
            if with_usage:
                obj["usage"] = with_usage
            return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n".encode()

        pieces = [p for p in _split_keep_spaces(reply)]
        drop_at = len(pieces) // 2 if request.get(DROP) else None
        choices = range(n)  # n > 1: each choice's chunks carry its index, interleaved
        await resp.write(b"".join(chunk({"role": "assistant", "content": ""}, index=c) for c in choices))
        for i, piece in enumerate(pieces):
            if drop_at is not None and i == drop_at:
                if request.transport is not None:
                    request.transport.close()
                return resp
            await resp.write(b"".join(chunk({"content": piece}, index=c) for c in choices))
            await asyncio.sleep(CHUNK_DELAY / self.speed)
        await resp.write(b"".join(chunk({}, finish, index=c) for c in choices))
        if usage:
            await resp.write(chunk({}, with_usage=await asyncio.to_thread(usage)))
        await resp.write(b"data: [DONE]\n\n")
        await resp.write_eof()
        return resp


def _split_keep_spaces(text: str) -> list[str]:
    """Split into word-ish pieces that join back to the text (CJK one character at a time)."""
    out: list[str] = []
    current = ""
    for ch in text:
        if "\u3400" <= ch <= "\u9fff":
            if current:
                out.append(current)
                current = ""
            out.append(ch)
        elif ch == " " and current.strip():
            out.append(current)
            current = ch
        else:
            current += ch
    if current:
        out.append(current)
    return out
