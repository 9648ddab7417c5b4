"""The sandbox: an OpenAI-compatible HTTP server on loopback (aiohttp), state in SQLite.

Runs standalone (``ftui sandbox serve``) or embedded on a thread of its own
(``ftui.sandbox.embedded``), on a free port. It trusts nothing it is sent: every request
must carry its key (``ftui.sandbox.key``; 401 otherwise), so another user of the host gets
nothing; bodies of the wrong shape get a 400 with OpenAI's error body, a body of another
content type than the route takes a 415, and requests addressed to another host (DNS
rebinding) or sent by a web page (any ``Origin`` header, ``null`` too) a 403.

This class holds the server's lifecycle (start, stop, the key) and its middleware (errors,
the Host/Origin guard, the key check, injected faults); the routes are groups that register
themselves on the app over one shared ``Context`` (``ftui.sandbox.routes``: files and uploads,
jobs, models, chat; ``ftui.sandbox.azure``: the Azure face). What a model replies comes
from the chat engine it is given (``ftui.sandbox.chat_engine``; default: the canned replies),
and how jobs progress from the trainer it is given (``ftui.sandbox.trainer``; default: the
simulation), which the store asks whenever it catches a job up.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from ftui.config import SPEED_RULE, speed_ok
from ftui.credentials import remember
from ftui.data.catalog import load_catalog
from ftui.sandbox.chat_engine import ChatEngine, SandboxReplies
from ftui.sandbox.faults import Faults
from ftui.sandbox.key import HeldKey, claim_key, env_key
from ftui.sandbox.problems import db_problem, full_sentence, is_full
from ftui.sandbox.routes.chat import ChatRoutes
from ftui.sandbox.routes.common import DEPLOYED_MODEL, DROP, ApiError, Context, error_response
from ftui.sandbox.routes.files import FileRoutes
from ftui.sandbox.routes.jobs import JobRoutes
from ftui.sandbox.routes.models import ModelRoutes
from ftui.sandbox.store import Store
from ftui.sandbox.trainer import SimulatedTrainer, Trainer
from ftui.textsafe import safe

__all__ = ["DEPLOYED_MODEL", "DROP", "ApiError", "SandboxServer", "default_data_dir", "error_response", "is_loopback"]

log = logging.getLogger("ftui.sandbox")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def default_data_dir() -> Path:
    """The sandbox state shared by the TUI and the command line: $XDG_DATA_HOME/ftui/sandbox."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ftui" / "sandbox"


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


async def _add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer carries an ``x-request-id`` (``req_…``), as the API's do (the SDK logs it)."""
    response.headers["x-request-id"] = "req_" + os.urandom(12).hex()


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
        chat_engine: ChatEngine | None = None,
        trainer: Trainer | None = None,
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
        self.trainer: Trainer = trainer or SimulatedTrainer()
        self.store = Store(self.data_dir, clock=clock, trainer=self.trainer)
        self.catalog = load_catalog()
        self.chat_engine = chat_engine or SandboxReplies(self.catalog, self.speed)
        self.context = Context(self.store, self.catalog, self.speed, self.chat_engine)
        self.files = FileRoutes(self.context)
        self.jobs = JobRoutes(self.context)
        self.models = ModelRoutes(self.context)
        self.chat = ChatRoutes(self.context, self.models)
        self._runner: web.AppRunner | None = None
        self._hosts: frozenset[str] | None = None  # Host headers accepted (None: any, for a wildcard bind)
        self.base_url = ""
        self.requests = 0

    # -- lifecycle -------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The aiohttp app: the middleware, then each route group registering its routes."""
        app = web.Application(middlewares=[self._errors, self._front])
        app.on_response_prepare.append(_add_request_id)
        for group in (self.files, self.jobs, self.models, self.chat):
            group.register(app)
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
