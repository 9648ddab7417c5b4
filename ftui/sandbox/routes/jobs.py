"""Fine-tuning jobs with their events and checkpoints: ``/v1/fine_tuning/jobs``.

Creating a job checks what is sent as the API does, validates the training file and hands
the job's plan to the store; reading a job catches it up to now first (see ``ftui.sandbox.store``).
"""

from __future__ import annotations

import asyncio
import math
import os
from pathlib import Path
from typing import Any

from aiohttp import web

from ftui.api_facts import HYPERPARAMETERS, SEED_MAX, HyperparameterError, check_suffix
from ftui.data.validate import validate_file
from ftui.job_options import JobOptionError, check_integrations
from ftui.sandbox.routes.common import (
    ApiError,
    Context,
    expect,
    json_body,
    kind_of,
    opt,
    page,
    query_limit,
    required_str,
)
from ftui.sandbox.simulate import JobPlan
from ftui.sandbox.store import FACE, face_id


def _auto_batch_size(n: int) -> int:
    return max(1, min(256, math.ceil(n * 0.002)))


def _hyperparameter(hp: dict[str, Any], name: str) -> Any:
    """'auto' or the value in range (the ranges live in ftui.api_facts); a 400 otherwise."""
    raw = hp.get(name)
    rule = HYPERPARAMETERS[name]
    if raw is None or raw == "auto":
        return "auto"
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ApiError(
            400,
            f"{name} must be {rule.describe()} or 'auto', not {kind_of(raw)}.",
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


class JobRoutes:
    """The job, event and checkpoint routes over a server's context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def register(self, app: web.Application) -> None:
        """Add the routes to ``app``."""
        r = app.router
        r.add_post("/v1/fine_tuning/jobs", self.create_job)
        r.add_get("/v1/fine_tuning/jobs", self.list_jobs)
        r.add_get("/v1/fine_tuning/jobs/{id}", self.get_job)
        r.add_post("/v1/fine_tuning/jobs/{id}/{action:cancel|pause|resume}", self.control_job)
        r.add_get("/v1/fine_tuning/jobs/{id}/events", self.list_events)
        r.add_get("/v1/fine_tuning/jobs/{id}/checkpoints", self.list_checkpoints)

    # -- jobs ------------------------------------------------------------------------------
    def _job_or_404(self, job_id: str) -> dict[str, Any]:
        job = self.ctx.store.advance(job_id)
        if job is None:
            raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id", code="fine_tune_not_found")
        return job

    def _base_model(self, model: Any) -> str:
        if model is None or model == "":
            raise ApiError(
                400, "Missing required parameter: 'model'.", param="model", code="missing_required_parameter"
            )
        expect(model, str, "model", "a string")
        if model.startswith("ft:") or ".ft-" in model:  # OpenAI's and Azure's fine-tuned names
            if any(m == model for m, _, _ in self.ctx.store.trained_models()):
                return str(model)
        else:
            info = self.ctx.catalog.lookup(model)
            if info.known:
                return str(model)
        raise ApiError(
            400,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )

    def _training_file(self, body: dict[str, Any], param: str) -> Path:
        file_id = required_str(body, param)
        obj = self.ctx.store.get_file(file_id)
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
        path = self.ctx.store.file_path(file_id)
        assert path is not None
        return path

    @staticmethod
    def _metadata(body: dict[str, Any]) -> dict[str, str]:
        metadata = opt(body, "metadata", dict, "an object") or {}
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
        body = await json_body(request)
        model = self._base_model(body.get("model"))
        train_path = self._training_file(body, "training_file")
        validation_file = body.get("validation_file")
        if validation_file is not None:
            self._training_file(body, "validation_file")
        suffix = opt(body, "suffix", str, "a string")
        try:
            suffix = check_suffix(suffix)
        except HyperparameterError as exc:
            raise ApiError(400, str(exc), param="suffix") from None
        seed = opt(body, "seed", int, "an integer")
        if seed is not None and not 0 <= seed <= SEED_MAX:
            raise ApiError(400, f"seed must be an integer between 0 and {SEED_MAX}.", param="seed")
        metadata = self._metadata(body)
        integrations = _integrations(body)
        method = opt(body, "method", dict, "an object") or {"type": "supervised"}
        mtype = method.get("type")
        if mtype not in ("supervised", "dpo", "reinforcement"):
            raise ApiError(400, "method.type must be supervised, dpo or reinforcement.", param="method.type")
        hp_in = dict(opt(body, "hyperparameters", dict, "an object") or {})
        settings = opt(method, mtype, dict, "an object", param=f"method.{mtype}") or {}
        hp_in.update(opt(settings, "hyperparameters", dict, "an object", f"method.{mtype}.hyperparameters") or {})
        n_epochs = _hyperparameter(hp_in, "n_epochs")
        batch_size = _hyperparameter(hp_in, "batch_size")
        lrm = _hyperparameter(hp_in, "learning_rate_multiplier")
        requested: dict[str, Any] = {"n_epochs": n_epochs, "batch_size": batch_size, "learning_rate_multiplier": lrm}
        if mtype == "dpo":
            requested["beta"] = _hyperparameter(hp_in, "beta")

        given_base = self.ctx.catalog.base_model_name(model)
        report = await asyncio.to_thread(validate_file, train_path, given_base, processes=1)
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
        base = self.ctx.catalog.base_model_name(model)
        if self.ctx.catalog.lookup(base).known:
            base = self.ctx.catalog.lookup(base).name
        trained = model.startswith("ft:") or ".ft-" in model
        resolved_model = model if trained else base  # gpt-3.5-turbo -> gpt-3.5-turbo-0125
        ft_model = f"ft:{base}:sandbox:{suffix or ''}:{job_id[-8:]}"
        if azure:  # Azure's spec (2024-10-21): "<base>.ft-<job hex>", numbers (never "auto"), no metadata
            given = self.ctx.catalog.base_model_name(model)
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
            "created_at": int(self.ctx.store.clock()),
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
        self.ctx.store.add_job(plan, static, self.ctx.speed)
        return web.json_response(self._job_or_404(job_id))

    async def list_jobs(self, request: web.Request) -> web.Response:
        limit = query_limit(request, 20)
        wanted = {k[9:-1]: v for k, v in request.query.items() if k.startswith("metadata[") and k.endswith("]")}
        jobs, more = self.ctx.store.list_jobs(request.query.get("after"), limit, wanted or None)
        return web.json_response({"object": "list", "data": jobs, "has_more": more})

    async def get_job(self, request: web.Request) -> web.Response:
        return web.json_response(self._job_or_404(request.match_info["id"]))

    async def control_job(self, request: web.Request) -> web.Response:
        job_id, action = request.match_info["id"], request.match_info["action"]
        job, problem = self.ctx.store.control(job_id, action)
        if job is None:
            raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id", code="fine_tune_not_found")
        if problem:
            raise ApiError(400, problem, param="fine_tune_id", code="invalid_job_state")
        return web.json_response(job)

    async def list_events(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        if not self.ctx.store.catch_up(job_id):
            raise ApiError(404, f"Could not find fine-tune: {job_id}", param="fine_tune_id", code="fine_tune_not_found")
        try:
            limit = max(1, min(int(request.query.get("limit", 20)), 10_000))
        except ValueError as exc:
            raise ApiError(400, "limit must be an integer.", param="limit") from exc
        body = self.ctx.store.events_page(job_id, request.query.get("after"), limit)
        return web.Response(body=body, content_type="application/json")

    async def list_checkpoints(self, request: web.Request) -> web.Response:
        job_id = request.match_info["id"]
        self._job_or_404(job_id)
        return web.json_response(page(self.ctx.store.checkpoints(job_id), request, 10))
