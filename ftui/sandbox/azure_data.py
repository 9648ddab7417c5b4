"""The sandbox's Azure data plane: ``/openai/...?api-version=`` as Azure's published spec has it.

The facts come from Azure's data-plane spec for fine-tuning, api-version 2024-10-21 (the newest
stable one with files, uploads, fine-tuning jobs, events, checkpoints and models; a trimmed copy
is tests/specs/azure/authoring-2024-10-21.json, checked by tests/sandbox/test_azure_spec.py):

- every request needs ``api-version``; query parameters (``limit``, ``after``, ``purpose``, ...)
  reach the handler;
- job statuses are FineTuningState: ``pending`` (validating and queued), ``running``,
  ``succeeded``, ``cancelled``, ``failed``;
- ids are ``file-``/``ftjob-``/``ftevent-`` + 32 hex digits, a fine-tuned model is
  ``<base>.ft-<job hex>`` and its checkpoints ``<model>:ckpt-step-<N>`` (the spec's examples);
- creates (files, jobs) answer 201 with a ``Location`` header; a job's DELETE answers 204;
- objects leave out what they do not have (the spec's types have no ``null``), hyperparameters
  are numbers, models carry ``capabilities``, ``lifecycle_status`` and ``deprecation``;
- errors are ``{"error": {"code", "message", "target"?}}`` with the spec's ErrorCode values;
- what the spec lacks (pausing and resuming a job, deleting a model) is a 404 ``notFound``.

The Azure face keeps its own files, uploads and jobs (``ftui.sandbox.store.FACE``); the handlers
are the sandbox's ``/v1`` ones, run as the Azure face, their answers reshaped here.
"""

from __future__ import annotations

import calendar
import json
import re
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ftui.sandbox.server import ApiError
from ftui.sandbox.store import face

if TYPE_CHECKING:
    from ftui.sandbox.server import SandboxServer

SPEC_VERSION = "2024-10-21"
YEAR = 365 * 24 * 3600

# FineTuningState; "created" is "not returned by Azure OpenAI" (the spec), and the spec has no
# pause, so a paused job (which cannot happen on this face) shows as running.
STATUS = {
    "validating_files": "pending",
    "queued": "pending",
    "running": "running",
    "paused": "running",
    "succeeded": "succeeded",
    "cancelled": "cancelled",
    "failed": "failed",
}

# ErrorCode by HTTP status (the spec lists the codes, not which status carries each).
CODES = {
    400: "invalidPayload",
    401: "unauthorized",
    403: "forbidden",
    404: "notFound",
    409: "conflict",
    413: "invalidPayload",
    429: "tooManyRequests",
    500: "internalFailure",
    503: "serviceUnavailable",
}
STATE_CODES = {"invalid_job_state": "unexpectedEntityState"}

# The spec's operations: (method, path under /openai) -> how the answer is shaped.
_ID = r"[^/]+"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), kind)
    for m, p, kind in (
        ("GET", r"files", "file_list"),
        ("POST", r"files", "file_created"),
        ("GET", rf"files/{_ID}", "file"),
        ("DELETE", rf"files/{_ID}", "plain"),
        ("GET", rf"files/{_ID}/content", "raw"),
        ("GET", r"fine_tuning/jobs", "job_list"),
        ("POST", r"fine_tuning/jobs", "job_created"),
        ("GET", rf"fine_tuning/jobs/{_ID}", "job"),
        ("DELETE", rf"fine_tuning/jobs/{_ID}", "job_delete"),
        ("GET", rf"fine_tuning/jobs/{_ID}/events", "event_list"),
        ("GET", rf"fine_tuning/jobs/{_ID}/checkpoints", "plain"),
        ("POST", rf"fine_tuning/jobs/{_ID}/cancel", "job"),
        ("GET", r"models", "model_list"),
        ("GET", r"models/.+", "model"),
        ("POST", r"uploads", "upload"),
        ("POST", rf"uploads/{_ID}/parts", "plain"),
        ("POST", rf"uploads/{_ID}/complete", "upload"),
        ("POST", rf"uploads/{_ID}/cancel", "upload"),
    )
]

JOB_FIELDS = (
    "object", "id", "created_at", "status", "model", "fine_tuned_model", "training_file", "validation_file",
    "result_files", "finished_at", "trained_tokens", "error", "estimated_finish", "hyperparameters", "suffix", "seed",
)  # fmt: skip
HYPERPARAMETERS = ("n_epochs", "batch_size", "learning_rate_multiplier")


def azure_error(status: int, message: str, code: str | None = None, target: str | None = None) -> web.Response:
    """Azure's error body: ``{"error": {"code", "message", "target"?}}``."""
    error: dict[str, Any] = {"code": STATE_CODES.get(code or "", CODES.get(status, "invalidPayload"))}
    error["message"] = message
    if target:
        error["target"] = target
    return web.json_response({"error": error}, status=status)


def present(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without its null fields (Azure leaves out what it does not have)."""
    return {k: v for k, v in obj.items() if v is not None}


def job(obj: dict[str, Any]) -> dict[str, Any]:
    """A sandbox job as Azure's FineTuningJob."""
    out = {k: obj.get(k) for k in JOB_FIELDS}
    out["suffix"] = obj.get("user_provided_suffix")
    out["status"] = STATUS.get(str(obj.get("status")), "failed")
    hp = obj.get("hyperparameters") or {}
    out["hyperparameters"] = {k: hp[k] for k in HYPERPARAMETERS if isinstance(hp.get(k), int | float)}
    if isinstance(obj.get("error"), dict):  # a training file that fails validation: the spec's jsonlValidationFailed
        code = obj["error"].get("code")
        code = "jsonlValidationFailed" if code == "invalid_training_file" else code
        out["error"] = present({**obj["error"], "code": code})
    return present(out)


def _date_ts(date: object) -> int | None:
    """A catalogue date (YYYY-MM-DD) as the unix time of that day's start, UTC."""
    try:
        return calendar.timegm(time.strptime(date, "%Y-%m-%d")) if isinstance(date, str) else None
    except ValueError:
        return None


def model(obj: dict[str, Any], job_id: str | None, now: float) -> dict[str, Any]:
    """A sandbox model as Azure's Model. The spec's Deprecation: base models "usually" can be
    fine-tuned for a year and answer for two; here counted from now (the sandbox's base models
    have no real creation date) unless the catalogue gives a shutdown date."""
    created = int(obj.get("created") or 0)
    since = max(created, int(now))
    trained = job_id is not None
    out: dict[str, Any] = {
        "object": "model",
        "id": obj["id"],
        "created_at": created,
        "status": "succeeded",
        "capabilities": {
            "fine_tune": not trained,
            "inference": True,
            "completion": False,
            "chat_completion": True,
            "embeddings": False,
        },
        "lifecycle_status": "generally-available",
        "deprecation": {"inference": _date_ts(obj.get("shutdown_date")) or since + 2 * YEAR},
    }
    if trained:
        out["model"] = str(obj["id"]).split(".ft-", 1)[0]
        out["fine_tune"] = job_id
    else:
        out["deprecation"]["fine_tune"] = min(out["deprecation"]["inference"], since + YEAR)
    return out


@web.middleware
async def azure_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: on ``/openai/...`` (not the OpenAI-shaped ``/openai/v1``), an
    error body in OpenAI's shape (from the sandbox's own checks: key, Host, injected faults,
    unknown routes) becomes Azure's, its headers (Retry-After, WWW-Authenticate) kept."""
    response = await handler(request)
    path = request.path
    if not path.startswith("/openai/") or path.startswith("/openai/v1/") or response.status < 400:
        return response
    if not isinstance(response, web.Response) or response.body is None:
        return response
    try:
        body = json.loads(bytes(response.body))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return response
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or "type" not in error:
        return response  # already Azure's
    out = azure_error(response.status, str(error.get("message") or ""), error.get("code"), error.get("param"))
    for key, value in response.headers.items():
        if key.lower() not in ("content-type", "content-length"):
            out.headers[key] = value
    return out


class AzureDataPlane:
    """The ``/openai/...`` routes of one SandboxServer (Azure's data plane)."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``/openai/X?api-version=`` (Azure shapes) and ``/openai/v1/X`` (OpenAI shapes), as the Azure face."""
        tail = request.match_info["tail"]
        with face("azure"):
            if tail.startswith("v1/"):
                return await self._inner(request, tail[3:])
            try:
                if not request.query.get("api-version"):
                    raise ApiError(
                        400,
                        f"Missing required query parameter 'api-version' (e.g. ?api-version={SPEC_VERSION}).",
                        param="api-version",
                    )
                kind = self._kind(request.method, tail)
                if kind == "job_delete":
                    return self._delete_job(tail.split("/")[2])
                if kind in ("model", "model_list"):
                    return self._models(tail)
                response = await self._inner(request, tail)
                return self._shape(request, kind, tail, response)
            except ApiError as exc:
                return azure_error(exc.status, exc.message, exc.code, exc.param)

    async def run_as_azure(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run another handler (deployment chat) as the Azure face, with Azure's error body."""
        with face("azure"):
            try:
                return await handler(request)
            except ApiError as exc:
                if exc.code and exc.code[:1].isupper():  # already an Azure code (DeploymentNotFound)
                    return web.json_response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)
                return azure_error(exc.status, exc.message, exc.code, exc.param)

    @staticmethod
    def _kind(method: str, tail: str) -> str:
        path = tail.strip("/")
        for m, pattern, kind in ROUTES:
            if m == method and pattern.fullmatch(path):
                return kind
        raise ApiError(
            404,
            f"Resource not found: {method} /openai/{path[:200]} is not part of the Azure OpenAI API "
            f"(api-version {SPEC_VERSION}).",
        )

    async def _inner(self, request: web.Request, tail: str) -> web.StreamResponse:
        """The sandbox's own ``/v1/<tail>`` handler, with the query string kept."""
        url = request.rel_url.with_path("/v1/" + tail).with_query(request.rel_url.query)
        inner = request.clone(rel_url=url)
        match = await request.app.router.resolve(inner)
        if match.http_exception is not None:
            if match.http_exception.status in (404, 405):
                raise ApiError(404, f"Resource not found: {request.method} {request.path[:200]}.")
            raise match.http_exception
        inner._match_info = match  # what aiohttp's own dispatch sets before calling a handler
        return await match.handler(inner)

    def _shape(self, request: web.Request, kind: str, tail: str, response: web.StreamResponse) -> web.StreamResponse:
        if kind == "raw" or not isinstance(response, web.Response) or response.body is None:
            return response
        body = json.loads(bytes(response.body))  # type: ignore[arg-type]
        status = response.status
        headers: dict[str, str] = {}
        if kind in ("file", "file_created"):
            body = present(body)
        elif kind == "file_list":
            body = {"object": "list", "data": [present(f) for f in body.get("data", [])]}
        elif kind in ("job", "job_created"):
            body = job(body)
        elif kind == "job_list":
            body = {"object": "list", "data": [job(j) for j in body.get("data", [])], "has_more": body["has_more"]}
        elif kind == "event_list":
            events = [present({**e, "data": e.get("data") or None}) for e in body.get("data", [])]
            body = {"object": "list", "data": events, "has_more": body["has_more"]}
        elif kind == "upload":
            body = present(body)
            if isinstance(body.get("file"), dict):
                body["file"] = present(body["file"])
        if kind in ("file_created", "job_created"):
            status = 201
            root = f"{request.scheme}://{request.host}/openai/{tail.strip('/')}"
            headers["Location"] = f"{root}/{body['id']}"
        return web.json_response(body, status=status, headers=headers or None)

    def _delete_job(self, job_id: str) -> web.Response:
        if not self.server.store.delete_job(job_id):
            raise ApiError(404, f"The fine-tuning job '{job_id[:80]}' does not exist.", param="fine-tuning-job-id")
        self.server.chat.forget_job(job_id)
        return web.Response(status=204)

    def _models(self, tail: str) -> web.Response:
        """``/models`` and ``/models/{id}``: base models (no aliases: Azure names models whole) and
        this face's fine-tuned models and checkpoints."""
        aliases = set(self.server.catalog.aliases)
        found = {k: v for k, v in self.server.models.with_jobs().items() if k not in aliases}
        wanted = tail.strip("/").partition("/")[2]
        now = self.server.store.clock()
        if not wanted:
            return web.json_response({"object": "list", "data": [model(o, j, now) for o, j in found.values()]})
        if wanted not in found:
            raise ApiError(404, f"The model '{wanted[:200]}' does not exist.", param="model-id")
        return web.json_response(model(*found[wanted], now))
