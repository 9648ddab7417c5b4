"""Models: ``/v1/models`` (the catalogue's base models and aliases, and the fine-tuned models
and checkpoints the jobs have made)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ftui.sandbox.routes.common import ApiError, Context


class ModelRoutes:
    """The model routes over a server's context; the chat group asks it which models exist."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._shutdown: dict[str, str | None] = {}  # shutdown date by base model

    def register(self, app: web.Application) -> None:
        """Add the routes to ``app``."""
        r = app.router
        r.add_get("/v1/models", self.list_models)
        r.add_get("/v1/models/{model:.+}", self.get_model)
        r.add_delete("/v1/models/{model:.+}", self.delete_model)

    # -- models ----------------------------------------------------------------------------
    def _models(self) -> dict[str, dict[str, Any]]:
        """Model objects by id (base models, aliases, fine-tunes and checkpoints)."""
        return {model_id: obj for model_id, (obj, _) in self.with_jobs().items()}

    def with_jobs(self) -> dict[str, tuple[dict[str, Any], str | None]]:
        """Each model id with its object and, for trained models, the job that made it."""
        out: dict[str, tuple[dict[str, Any], str | None]] = {}
        for name, info in self.ctx.catalog.models.items():
            obj = {
                "id": name,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "system",
                "shutdown_date": info.shutdown_date,
            }
            out[name] = (obj, None)
        for alias, target in self.ctx.catalog.aliases.items():
            out[alias] = ({**out[target][0], "id": alias}, None)
        for model, created, job_id in self.ctx.store.trained_models():
            base = model.split(":", 2)[1] if model.startswith("ft:") and model.count(":") >= 2 else model
            base = base.split(".ft-", 1)[0]  # Azure's <base>.ft-<hex>
            if base not in self._shutdown:  # the catalogue lookup is the slow part: once per base model
                self._shutdown[base] = self.ctx.catalog.lookup(model).shutdown_date
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

    def model_or_404(self, model: str) -> tuple[dict[str, Any], str | None]:
        found = self.with_jobs().get(model)
        if found is None:
            raise ApiError(
                404,
                f"The model `{model}` does not exist or you do not have access to it.",
                param="model",
                code="model_not_found",
            )
        return found

    async def get_model(self, request: web.Request) -> web.Response:
        return web.json_response(self.model_or_404(request.match_info["model"])[0])

    async def delete_model(self, request: web.Request) -> web.Response:
        model = request.match_info["model"]
        found, _ = self.model_or_404(model)
        if found["owned_by"] == "system":
            raise ApiError(
                403,
                f"You cannot delete the base model {model}.",
                type_="invalid_request_error",
                param="model",
                code="model_not_deletable",
            )
        self.ctx.store.delete_model(model)
        return web.json_response({"id": model, "object": "model", "deleted": True})
