"""The sandbox's Azure surfaces: the control plane's deployments and the data plane's paths.

Control plane (Azure Resource Manager), under ``/management``::

    PUT|GET|DELETE /management/subscriptions/{sub}/resourceGroups/{rg}/providers/
                   Microsoft.CognitiveServices/accounts/{account}/deployments/{name}?api-version=...
    GET            .../accounts/{account}/deployments?api-version=...

The bearer token is the sandbox's key (checked with every request's key, in the server's
front middleware; 401 otherwise), and ``api-version`` is required.
A deployment is ``Creating`` for ``PROVISION_SECONDS`` of simulated time (the sandbox's
injectable clock, scaled by its speed), then ``Succeeded``; ``Failed`` when its model was
deleted meanwhile. Only the fine-tuned models and checkpoints the sandbox made can be
deployed. Deployments live in the sandbox's SQLite database, beside its jobs.

Data plane: ``/openai/deployments/{name}/chat/completions`` answers as the deployed model, and
every other ``/openai/...?api-version=`` path as Azure's spec has it (``ftui.sandbox.azure_data``);
``/openai/v1/...`` is the OpenAI-shaped v1 surface. Both planes see the Azure face's files, jobs
and models only (the OpenAI face's do not show here).
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ftui.sandbox.azure_data import AzureDataPlane, azure_errors
from ftui.sandbox.server import DEPLOYED_MODEL, ApiError
from ftui.sandbox.store import face

if TYPE_CHECKING:
    from ftui.sandbox.server import SandboxServer

PROVISION_SECONDS = 60.0  # simulated seconds a deployment stays Creating
SKUS = ("Standard", "GlobalStandard", "Developer")
MAX_CAPACITY = 1000
RESOURCE = (
    "/management/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts/{account}"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$")
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS azure_deployments (
    sub TEXT NOT NULL, rg TEXT NOT NULL, account TEXT NOT NULL, name TEXT NOT NULL,
    model TEXT NOT NULL, version TEXT NOT NULL, sku TEXT NOT NULL, capacity INTEGER NOT NULL,
    created_at REAL NOT NULL, modified_at REAL NOT NULL, ready_at REAL NOT NULL, state TEXT NOT NULL,
    PRIMARY KEY (sub, rg, account, name)
);
"""


class ArmError(Exception):
    """Becomes Azure Resource Manager's error body: ``{"error": {"code", "message"}}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> web.Response:
        headers = {"WWW-Authenticate": 'Bearer authorization_uri="sandbox"'} if self.status == 401 else None
        body = {"error": {"code": self.code, "message": self.message}}
        return web.json_response(body, status=self.status, headers=headers)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AzureSurface:
    """The Azure routes of one SandboxServer; state in its store's database."""

    def __init__(self, server: SandboxServer) -> None:
        self.server = server
        self.store = server.store
        self.store.db.executescript(SCHEMA)
        self.data = AzureDataPlane(server)

    # -- registration ------------------------------------------------------------------
    def register(self, app: web.Application) -> None:
        app.middlewares.insert(0, azure_errors)  # outermost: every /openai error in Azure's shape
        r = app.router
        r.add_get(RESOURCE + "/deployments", self._arm(self.list_deployments))
        r.add_put(RESOURCE + "/deployments/{name}", self._arm(self.put_deployment))
        r.add_get(RESOURCE + "/deployments/{name}", self._arm(self.get_deployment))
        r.add_delete(RESOURCE + "/deployments/{name}", self._arm(self.delete_deployment))
        r.add_post("/openai/deployments/{name}/chat/completions", self.deployment_chat)
        r.add_route("*", "/openai/{tail:.*}", self.data.handle)

    def _arm(self, handler: Handler) -> Handler:
        """Wrap a control-plane handler: bearer token and api-version first, Azure's error body."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                auth = request.headers.get("Authorization", "")
                scheme, _, token = auth.partition(" ")
                if scheme.lower() != "bearer" or not token.strip():
                    raise ArmError(
                        401,
                        "AuthenticationFailed",
                        "Authentication failed: the request has no 'Authorization: Bearer <token>' header.",
                    )
                version = request.query.get("api-version")
                if not version:
                    raise ArmError(
                        400,
                        "MissingApiVersionParameter",
                        "The api-version query parameter (?api-version=) is required for all requests.",
                    )
                if not _API_VERSION.match(version):
                    raise ArmError(
                        400,
                        "InvalidApiVersionParameter",
                        f"The api-version '{version[:40]}' is invalid: use a date such as 2024-10-01.",
                    )
                with face("azure"):  # the resource's models are the Azure face's
                    return await handler(request)
            except ArmError as exc:
                return exc.response()

        return wrapped

    # -- control plane -----------------------------------------------------------------
    @staticmethod
    def _where(request: web.Request) -> tuple[str, str, str]:
        m = request.match_info
        return m["sub"], m["rg"], m["account"]

    def _obj(self, row: sqlite3.Row) -> dict[str, Any]:
        path = RESOURCE.removeprefix("/management").format(sub=row["sub"], rg=row["rg"], account=row["account"])
        return {
            "id": f"{path}/deployments/{row['name']}",
            "type": "Microsoft.CognitiveServices/accounts/deployments",
            "name": row["name"],
            "sku": {"name": row["sku"], "capacity": row["capacity"]},
            "properties": {
                "model": {"format": "OpenAI", "name": row["model"], "version": row["version"]},
                "provisioningState": row["state"],
                "capabilities": {"chatCompletion": "true"},
                "rateLimits": [{"key": "request", "renewalPeriod": 10, "count": row["capacity"]}],
            },
            "systemData": {
                "createdAt": _iso(row["created_at"]),
                "createdBy": "sandbox",
                "createdByType": "User",
                "lastModifiedAt": _iso(row["modified_at"]),
                "lastModifiedBy": "sandbox",
                "lastModifiedByType": "User",
            },
        }

    def _deployable(self) -> set[str]:
        """Fine-tuned models and checkpoints (by model name or checkpoint id) that exist now."""
        names = {model for model, (_, job) in self.server.models.with_jobs().items() if job is not None}
        rows = self.store.db.execute("SELECT id, model FROM checkpoints").fetchall()
        names |= {r["id"] for r in rows if r["model"] in names}
        return names

    def _settle(self, rows: list[sqlite3.Row]) -> list[sqlite3.Row]:
        """Move deployments whose provisioning time has passed to Succeeded (or Failed) and re-read them."""
        now = self.store.clock()
        due = [r for r in rows if r["state"] in ("Creating", "Accepted") and r["ready_at"] <= now]
        if not due:
            return rows
        deployable = self._deployable()
        with self.store.tx() as db:
            for r in due:
                state = "Succeeded" if r["model"] in deployable else "Failed"
                db.execute(
                    "UPDATE azure_deployments SET state=?, modified_at=? WHERE sub=? AND rg=? AND account=? "
                    "AND name=? AND state IN ('Creating', 'Accepted')",
                    (state, r["ready_at"], r["sub"], r["rg"], r["account"], r["name"]),
                )
        fresh = [self._row(r["sub"], r["rg"], r["account"], r["name"]) for r in rows]
        return [r for r in fresh if r is not None]

    def _row(self, sub: str, rg: str, account: str, name: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.store.db.execute(
            "SELECT * FROM azure_deployments WHERE sub=? AND rg=? AND account=? AND name=?", (sub, rg, account, name)
        ).fetchone()
        return row

    def _not_found(self, name: str) -> ArmError:
        return ArmError(404, "DeploymentNotFound", f"Deployment '{name[:64]}' does not exist in this resource.")

    async def list_deployments(self, request: web.Request) -> web.Response:
        sub, rg, account = self._where(request)
        rows = self.store.db.execute(
            "SELECT * FROM azure_deployments WHERE sub=? AND rg=? AND account=? ORDER BY created_at, name",
            (sub, rg, account),
        ).fetchall()
        return web.json_response({"value": [self._obj(r) for r in self._settle(rows)]})

    async def get_deployment(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        row = self._row(*self._where(request), name)
        if row is None:
            raise self._not_found(name)
        return web.json_response(self._obj(self._settle([row])[0]))

    async def delete_deployment(self, request: web.Request) -> web.Response:
        key = (*self._where(request), request.match_info["name"])
        with self.store.tx() as db:
            gone = db.execute(
                "DELETE FROM azure_deployments WHERE sub=? AND rg=? AND account=? AND name=?", key
            ).rowcount
        return web.Response(status=200 if gone else 204)

    async def put_deployment(self, request: web.Request) -> web.Response:
        sub, rg, account = self._where(request)
        name = request.match_info["name"]
        if not _NAME.match(name):
            raise ArmError(
                400,
                "InvalidResourceName",
                f"Deployment name '{name[:80]}' is invalid: use 2 to 64 letters, digits, '_', '.' or '-', "
                "starting with a letter or digit.",
            )
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError, RecursionError):
            body = None
        if not isinstance(body, dict):
            raise ArmError(400, "InvalidRequestContent", "The request content is not a JSON object.")
        sku_name, capacity = self._sku(body.get("sku"))
        model, version = self._model(body.get("properties"))
        if model not in self._deployable():
            raise ArmError(
                400,
                "DeploymentModelNotSupported",
                f"The model '{model[:200]}' (format OpenAI, version {version[:20]}) does not exist in this resource "
                "or cannot be deployed: deploy a fine-tuned model or a checkpoint of a succeeded job.",
            )
        now = self.store.clock()
        ready = now + PROVISION_SECONDS / self.server.speed
        with self.store.tx() as db:
            old = db.execute(
                "SELECT created_at FROM azure_deployments WHERE sub=? AND rg=? AND account=? AND name=?",
                (sub, rg, account, name),
            ).fetchone()
            created = old["created_at"] if old else now
            db.execute(
                "INSERT OR REPLACE INTO azure_deployments VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (sub, rg, account, name, model, version, sku_name, capacity, created, now, ready,
                 "Accepted" if old else "Creating"),
            )  # fmt: skip
        row = self._row(sub, rg, account, name)
        assert row is not None
        return web.json_response(self._obj(row), status=200 if old else 201)

    @staticmethod
    def _sku(sku: Any) -> tuple[str, int]:
        if not isinstance(sku, dict) or not isinstance(sku.get("name"), str):
            raise ArmError(400, "InvalidResourceProperties", "The deployment needs sku.name (and sku.capacity).")
        if sku["name"] not in SKUS:
            raise ArmError(
                400,
                "InvalidSkuName",
                f"SKU '{sku['name'][:40]}' is not supported for fine-tuned models: use {', '.join(SKUS)}.",
            )
        capacity = sku.get("capacity", 1)
        if isinstance(capacity, bool) or not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
            raise ArmError(400, "InvalidCapacity", f"sku.capacity must be a whole number from 1 to {MAX_CAPACITY}.")
        return sku["name"], capacity

    @staticmethod
    def _model(properties: Any) -> tuple[str, str]:
        model = properties.get("model") if isinstance(properties, dict) else None
        if not isinstance(model, dict) or not isinstance(model.get("name"), str) or not model["name"]:
            raise ArmError(
                400, "InvalidResourceProperties", "The deployment needs properties.model with its format and name."
            )
        if model.get("format") != "OpenAI":
            raise ArmError(400, "InvalidResourceProperties", "properties.model.format must be 'OpenAI'.")
        version = model.get("version", "1")
        if not isinstance(version, str):
            raise ArmError(400, "InvalidResourceProperties", "properties.model.version must be a string.")
        return model["name"], version

    # -- data plane --------------------------------------------------------------------
    def deployed_model(self, name: str) -> str | None:
        """The model a Succeeded deployment of this name serves (any account: the sandbox is one resource)."""
        rows = self.store.db.execute(
            "SELECT * FROM azure_deployments WHERE name=? ORDER BY modified_at DESC", (name,)
        ).fetchall()
        for row in self._settle(rows):
            if row["state"] == "Succeeded":
                model: str = row["model"]
                return model
        return None

    async def deployment_chat(self, request: web.Request) -> web.StreamResponse:
        return await self.data.run_as_azure(request, self._deployment_chat)

    async def _deployment_chat(self, request: web.Request) -> web.StreamResponse:
        if not request.query.get("api-version"):
            raise ApiError(400, "Missing required query parameter 'api-version'.", param="api-version")
        name = request.match_info["name"]
        model = self.deployed_model(name)
        if model is None:
            raise ApiError(
                404,
                f"The API deployment '{name[:64]}' does not exist in this resource (or is still being created): "
                "wait until its provisioning state is Succeeded.",
                code="DeploymentNotFound",
            )
        if model.startswith("ftckpt"):  # a checkpoint id: chat as the checkpoint's model
            row = self.store.db.execute("SELECT model FROM checkpoints WHERE id=?", (model,)).fetchone()
            model = row["model"] if row else model
        request[DEPLOYED_MODEL] = model
        return await self.server.chat.chat(request)
