"""Files and uploads: ``/v1/files`` and ``/v1/uploads`` (multipart bodies streamed to disk)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from ftui.sandbox.routes.common import ApiError, Context, expect, json_body, opt, page, required_str
from ftui.sandbox.store import private_open

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024


class FileRoutes:
    """The file and upload routes over a server's context."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def register(self, app: web.Application) -> None:
        """Add the routes to ``app``."""
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

    async def _save_multipart_file(self, request: web.Request, limit: int) -> tuple[Path, str, dict[str, str]]:
        """Stream the multipart "file" (or "data") field to a temp file; return it and the other fields."""
        try:
            reader = await request.multipart()
        except (AssertionError, ValueError) as exc:
            raise ApiError(400, "Expected a multipart/form-data body.") from exc
        tmp = self.ctx.store.temp_path("incoming")
        filename, got_file = "upload.jsonl", False
        fields: dict[str, str] = {}
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
        return web.json_response(self.ctx.store.add_file(filename, purpose, src=tmp))

    async def list_files(self, request: web.Request) -> web.Response:
        files = self.ctx.store.list_files(request.query.get("purpose"))
        if request.query.get("order") == "asc":
            files.reverse()
        body = page(files, request, 10_000)
        body["first_id"] = body["data"][0]["id"] if body["data"] else None  # as the API sends them
        body["last_id"] = body["data"][-1]["id"] if body["data"] else None
        return web.json_response(body)

    def _file_or_404(self, file_id: str) -> dict[str, Any]:
        obj = self.ctx.store.get_file(file_id)
        if obj is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return obj

    async def get_file(self, request: web.Request) -> web.Response:
        return web.json_response(self._file_or_404(request.match_info["id"]))

    async def delete_file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["id"]
        self._file_or_404(file_id)
        self.ctx.store.delete_file(file_id)
        return web.json_response({"id": file_id, "object": "file", "deleted": True})

    async def file_content(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["id"]
        self._file_or_404(file_id)
        path = self.ctx.store.file_path(file_id)
        assert path is not None
        return web.FileResponse(path, headers={"Content-Type": "application/octet-stream"})

    # -- uploads ---------------------------------------------------------------------------
    async def create_upload(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        for key in ("filename", "purpose", "bytes", "mime_type"):
            if key not in body:
                raise ApiError(
                    400, f"Missing required parameter: '{key}'.", param=key, code="missing_required_parameter"
                )
        filename = required_str(body, "filename")
        purpose = required_str(body, "purpose")
        mime_type = opt(body, "mime_type", str, "a string")
        size = expect(body["bytes"], int, "bytes", "an integer")
        if size < 0 or size > 8 * 1024**3:
            raise ApiError(400, "bytes must be between 0 and 8 GB.", param="bytes")
        return web.json_response(self.ctx.store.create_upload(filename, purpose, size, mime_type))

    def _pending_upload(self, upload_id: str) -> dict[str, Any]:
        upload = self.ctx.store.get_upload(upload_id)
        if upload is None:
            raise ApiError(404, f"No such Upload object: {upload_id}", param="upload_id")
        if upload["status"] != "pending":
            raise ApiError(400, f"Upload {upload_id} is already {upload['status']}.", param="upload_id")
        if upload["expires_at"] < self.ctx.store.clock():
            raise ApiError(400, f"Upload {upload_id} has expired.", param="upload_id")
        return upload

    async def add_part(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["id"]
        self._pending_upload(upload_id)
        tmp, _, _ = await self._save_multipart_file(request, MAX_PART_BYTES)
        return web.json_response(self.ctx.store.add_part(upload_id, tmp))

    async def complete_upload(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["id"]
        upload = self._pending_upload(upload_id)
        body = await json_body(request)
        part_ids = body.get("part_ids")
        parts = self.ctx.store.part_sizes(upload_id)
        if (
            not isinstance(part_ids, list)
            or not all(isinstance(p, str) for p in part_ids)
            or any(p not in parts for p in part_ids)
        ):
            raise ApiError(400, "part_ids must list the parts of this upload.", param="part_ids")
        opt(body, "md5", str, "a string")
        total = sum(parts[p][1] for p in part_ids)
        if total != upload["bytes"]:
            raise ApiError(
                400, f"The parts add up to {total} bytes, but the upload expected {upload['bytes']}.", param="part_ids"
            )
        tmp = self.ctx.store.temp_path("assemble")

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
        file_obj = self.ctx.store.add_file(upload["filename"], upload["purpose"], src=tmp)
        self.ctx.store.finish_upload(upload_id, "completed", file_obj["id"])
        return web.json_response(self.ctx.store.get_upload(upload_id))

    async def cancel_upload(self, request: web.Request) -> web.Response:
        upload_id = request.match_info["id"]
        self._pending_upload(upload_id)
        self.ctx.store.finish_upload(upload_id, "cancelled")
        return web.json_response(self.ctx.store.get_upload(upload_id))
