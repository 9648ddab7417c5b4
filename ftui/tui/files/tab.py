"""The Files tab: every file of the provider (upload, download, delete, open a copy in the Data
tab, duplicates marked); on `m`, the fine-tuned models and checkpoints it keeps (delete); on Azure,
`m` again, the resource's deployments (delete).

Workers talk to the provider and post messages (``ftui.tui.files.messages``); the handlers
here own the lists. Server text (file names, status details, model names) is hostile: it is
shown through ``safe`` in rich ``Text``, never as markup.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input, Static

from ftui import state
from ftui.session import Session
from ftui.textsafe import safe
from ftui.tui.app_messages import DeploymentsChanged, Notice, OpenDataset, RefreshDeployments
from ftui.tui.files.details import deployment_detail, file_detail, model_detail
from ftui.tui.files.dialogs import DuplicateScreen, UploadScreen
from ftui.tui.files.export import ExportWork
from ftui.tui.files.listing import (
    DEPLOYMENT_COLUMNS,
    DEPLOYMENT_SORTS,
    FILE_COLUMNS,
    MODEL_COLUMNS,
    MODEL_SORTS,
    Listing,
    deployment_key,
    deployment_row,
    deployment_words,
    file_key,
    file_row,
    file_words,
    header,
    human_size,
    model_key,
    model_row,
    model_words,
)
from ftui.tui.files.messages import (
    Deleted,
    Downloaded,
    FilesListed,
    ListFailed,
    ModelsListed,
    UploadChecked,
    UploadEnded,
    UploadProgress,
)
from ftui.tui.files.widgets import FilterBar, RowList
from ftui.tui.files.work import FilesWork
from ftui.tui.save_path import ask_save_path
from ftui.tui.widgets.dialogs import ConfirmScreen
from ftui.tui.widgets.virtual_list import VirtualList

PROBLEM_QUIET_SECONDS = 60.0
TITLES = {"files": "Files", "models": "Fine-tuned models and checkpoints", "deployments": "Azure deployments"}


def not_for_data(f: Any) -> str | None:
    """Why the Data tab cannot open a provider file (None: it can): only JSONL training files."""
    name = str(f.filename or f.id)
    if f.purpose == "fine-tune-results" or name.lower().endswith(".csv"):
        return (
            f"{name} is a job's results (metrics per step), not a training file: open its job in the Jobs tab "
            "to see the curves (s there saves the CSV), or d saves it here."
        )
    if not name.lower().endswith(".jsonl"):
        return f"{name} is not a JSONL training file, so the Data tab cannot open it; d saves it."
    return None


class FilesTab(FilesWork, ExportWork, can_focus=False):
    """The provider's files, and (``m``) its fine-tuned models and checkpoints."""

    HELP = """
## Files
Every file of the provider, newest first: name, purpose, size, created, status and how many
jobs use it (the line under the list names them, and says why a file failed processing).
`≡` marks a file with the same content as an older one ftui uploaded.

`u` uploads a file (a JSONL fine-tune file is checked first; a file already uploaded with the
same content is offered for reuse), `d` downloads the selected file (asks where; written
atomically), `x` deletes it (asks first, and warns when a job still uses it), `o` opens a
local copy in the Data tab, `y` copies its id.
`/` filters, `s` sorts by created, size or name, `ctrl+r` lists again.

`m` switches to the fine-tuned models and checkpoints (with their job, base model, created and
shutdown date; `(base)` means the date is the base model's): `x` deletes one (asks first; on
Azure it names the deployment that must go first), `y` copies its name.
On Azure (a profile that names its resource), `m` again shows the deployments: the model each
serves, SKU × capacity and provisioning state; `x` deletes one (asks first: the hourly charge
stops, and chat through it stops at once). `m` goes back to the files.

The palette (ctrl+p) offers "Export everything…": every file, job (events, checkpoints), model
and deployment into a folder with manifest.json, as `ftui export DIR` does, with its progress here.
"""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("u", "upload", "Upload", id="files.upload"),
        Binding("d", "download", "Save", id="files.download"),
        Binding("x", "delete", "Delete", id="files.delete"),
        Binding("y", "copy", "Copy", id="files.copy"),
        Binding("m", "show_list('models')", "Models", id="files.models"),
        Binding("m", "show_list('deployments')", "Deploys", id="files.deployments"),
        Binding("m", "show_list('files')", "Files", id="files.files"),
        Binding("o", "open_local", "Open in Data", show=False, id="files.open"),
        Binding("slash", "filter", "Filter", show=False, id="files.filter"),
        Binding("s", "sort", "Sort", show=False, id="files.sort"),
        Binding("ctrl+r", "refresh", "Refresh", id="files.refresh"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="files.clear"),
    ]

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.files = Listing(file_key, file_words)
        self.models = Listing(model_key, model_words, MODEL_SORTS)
        self.deployments = Listing(deployment_key, deployment_words, DEPLOYMENT_SORTS, sort="name")
        self.mode = "files"
        self.jobs: list[Any] = []
        self.uses: dict[str, list[Any]] = {}
        self.dupes: dict[str, str] = {}
        self.uploaded: dict[str, str] = {}
        self.files_loaded = False
        self.models_loaded = False
        self.busy: str | None = None  # what runs now (an upload, a download), for the status line
        self._files_worker: Any = None
        self._models_worker: Any = None
        self._problem_text: str | None = None

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="files-title")
        yield Static(header(FILE_COLUMNS), id="files-columns")
        yield RowList(self._file_row, id="file-list")
        yield RowList(self._model_row, id="model-list")
        yield RowList(self._deployment_row, id="deployment-list")
        yield Static("", id="files-detail")
        yield FilterBar(placeholder="filter: any part of the name, id, purpose or status", id="files-filter")
        yield Static("Connecting to the provider…", id="files-status")

    def on_mount(self) -> None:
        self.query_one("#model-list").display = False
        self.query_one("#deployment-list").display = False
        self.query_one("#files-filter").display = False
        self._draw()

    @property
    def file_list(self) -> RowList:
        return self.query_one("#file-list", RowList)

    @property
    def model_list(self) -> RowList:
        return self.query_one("#model-list", RowList)

    @property
    def deployment_list(self) -> RowList:
        return self.query_one("#deployment-list", RowList)

    @property
    def listing(self) -> Listing:
        return {"files": self.files, "models": self.models, "deployments": self.deployments}[self.mode]

    @property
    def current_list(self) -> RowList:
        return {"files": self.file_list, "models": self.model_list, "deployments": self.deployment_list}[self.mode]

    @property
    def loaded(self) -> bool:
        """Whether the open list has been listed once."""
        if self.mode == "files":
            return self.files_loaded
        if self.mode == "models":
            return self.models_loaded
        return self.session.deployments is not None

    def _next_mode(self) -> str:
        if self.mode == "files":
            return "models"
        if self.mode == "models" and self.session.manages_deployments:
            return "deployments"
        return "files"

    def focus_default(self) -> None:
        self.current_list.focus()

    # -- rows --------------------------------------------------------------------------------
    def _file_row(self, index: int) -> Text:
        f = self.files.visible[index]
        return file_row(f, self.uses.get(f.id, []), self.dupes.get(f.id))

    def _model_row(self, index: int) -> Text:
        return model_row(self.models.visible[index])

    def _deployment_row(self, index: int) -> Text:
        return deployment_row(self.deployments.visible[index])

    @property
    def selected(self) -> Any | None:
        """The file (or model) under the cursor."""
        visible = self.listing.visible
        cursor = self.current_list.cursor
        return visible[cursor] if 0 <= cursor < len(visible) else None

    # -- drawing -----------------------------------------------------------------------------
    def _draw(self, keep: str | None = None) -> None:
        """Redraw the open list (the cursor stays on ``keep`` or the selected item), title and detail."""
        listing, rows = self.listing, self.current_list
        ident = keep or (self.selected.id if self.selected is not None else None)
        listing.update()
        index = listing.index_of(ident)
        rows.set_count(len(listing.visible), keep=index if index is not None else rows.cursor)
        self._draw_title()
        self._draw_detail()
        self.refresh_bindings()

    def _draw_title(self) -> None:
        listing = self.listing
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(TITLES[self.mode], "bold")
        if self.loaded:
            shown = len(listing.visible)
            count = f"{shown:,}" if not listing.query else f"{shown:,} of {len(listing.items):,}"
            text.append(f" ({count})")
        text.append(f" · sorted by {listing.sort} (s)", "dim")
        if listing.query:
            text.append(" · filter: ", "dim")
            text.append(safe(listing.query, one_line=True), "yellow")
        text.append(" · m: " + self._next_mode(), "dim")
        self.query_one("#files-title", Static).update(text)
        columns = {"files": FILE_COLUMNS, "models": MODEL_COLUMNS, "deployments": DEPLOYMENT_COLUMNS}[self.mode]
        self.query_one("#files-columns", Static).update(header(columns))

    def _draw_detail(self) -> None:
        item = self.selected
        detail = self.query_one("#files-detail", Static)
        if item is None:
            if self.mode == "deployments" and self.session.deployments_error:
                why = safe(self.session.deployments_error)
                detail.update(Text.assemble(("✗ ", "red"), why, "  (ctrl+r tries again)"))
            elif not self.loaded:
                detail.update("Listing the deployments…" if self.mode == "deployments" else "")
            elif self.listing.query:
                detail.update("Nothing matches the filter (Esc clears it).")
            elif self.mode == "files":
                detail.update("No files yet: u uploads one.")
            elif self.mode == "models":
                detail.update("No fine-tuned models yet: they appear here when a job succeeds.")
            else:
                detail.update("No deployments: D in the Jobs tab deploys a succeeded job's model.")
            return
        if self.mode == "files":
            detail.update(self._file_detail(item))
        elif self.mode == "models":
            detail.update(model_detail(item, self.session.deployment_of(item.id)))
        else:
            detail.update(deployment_detail(item))

    def _file_detail(self, f: Any) -> Text:
        return file_detail(f, self.uses.get(f.id, []), self.dupes.get(f.id), self.files_loaded)

    def _showing_problem(self) -> bool:
        status = self.query_one("#files-status", Static)
        return bool(status.display) and status.has_class("problem")

    def _set_status(self, text: str | Text, *, problem: bool = False) -> None:
        status = self.query_one("#files-status", Static)
        status.update(text)
        status.display = bool(text)
        status.set_class(problem, "problem")

    # -- the provider ------------------------------------------------------------------------
    def deployments_changed(self) -> None:
        """The session's Azure deployments changed (the app calls this): the list follows."""
        self.deployments.set_items(self.session.deployments or [])
        if self.mode in ("models", "deployments"):
            self._draw()

    def provider_ready(self) -> None:
        """Called by the app once the provider is connected."""
        self._set_status("")
        if self.display and self.is_attached and self._shown():
            self.refresh_files()

    def provider_failed(self, reason: str) -> None:
        self._set_status(
            Text.assemble(("Not connected to a provider. ", "bold"), safe(reason)),
            problem=True,
        )

    def _shown(self) -> bool:
        return all(node.display and node.visible for node in self.ancestors_with_self if isinstance(node, Widget))

    def visited(self) -> None:
        """The tab was opened: the list shown is read again (an upload from the new-job form or
        another shell shows without ctrl+r)."""
        if self.session.provider is None:
            return
        self.refresh_files()
        if self.mode == "models":
            self.refresh_models()

    def _say(self, text: str, severity: str = "information", *, quiet: float = 0.0) -> None:
        self.post_message(Notice(text, title="Files", severity=severity, quiet=quiet))

    def refresh_files(self) -> None:
        if self.session.provider is None:
            return
        if self._files_worker is not None and not self._files_worker.is_finished:
            return
        if not self.files_loaded:
            self._set_status("Loading files…")
        self._files_worker = self._load_files()

    def refresh_models(self) -> None:
        if self.session.provider is None:
            return
        if self._models_worker is not None and not self._models_worker.is_finished:
            return
        if not self.models_loaded:
            self._set_status("Loading fine-tuned models…")
        self._models_worker = self._load_models()

    # -- handlers ----------------------------------------------------------------------------
    @on(FilesListed)
    def _files_listed(self, message: FilesListed) -> None:
        from ftui.provider.files import duplicates, uses_by_file

        self.files_loaded = True
        self.jobs = message.jobs
        self.uses = uses_by_file(message.jobs)
        self.dupes = duplicates(message.files, self.uploaded)
        self.files.set_items(message.files)
        if not self.busy and not self._showing_problem():  # a failed upload's sentence stays up
            self._set_status(Text(safe(message.jobs_error), style="yellow") if message.jobs_error else "")
        self._draw()

    @on(ModelsListed)
    def _models_listed(self, message: ModelsListed) -> None:
        self.models_loaded = True
        self.models.set_items(message.models)
        if not self.busy:
            self._set_status("")
        self._draw()

    @on(ListFailed)
    def _list_failed(self, message: ListFailed) -> None:
        if (message.what == "files" and not self.files_loaded) or (message.what == "models" and not self.models_loaded):
            self._set_status(Text.assemble(safe(message.text), "  (ctrl+r tries again)"), problem=True)
        else:
            self._say(message.text, "error", quiet=PROBLEM_QUIET_SECONDS)

    @on(UploadChecked)
    def _upload_checked(self, message: UploadChecked) -> None:
        if message.problem:
            self.busy = None
            self._set_status(Text("✗ " + safe(message.problem), style="red"), problem=True)
            return
        if message.note:
            self._say(message.note, "warning")
        if message.duplicate is not None:
            existing = message.duplicate

            def answered(choice: str | None) -> None:
                if choice == "reuse":
                    self.busy = None
                    self._set_status("")
                    self._reuse(existing.id)
                elif choice == "upload" and message.sha256:
                    self._start_upload(message.path, message.purpose, message.sha256)
                else:
                    self.busy = None
                    self._set_status("Nothing uploaded.")

            self.app.push_screen(DuplicateScreen(message.path, existing), answered)
            return
        if message.sha256:
            self._start_upload(message.path, message.purpose, message.sha256)

    def _reuse(self, file_id: str) -> None:
        """Use the file already there: select it and copy its id."""
        if self.mode != "files":
            self.action_toggle_models()
        if self.files.query and self.files.index_of(file_id) is None:
            self._set_filter("")
        self._draw(keep=file_id)
        self.app.copy_to_clipboard(file_id)
        self._say(f"Reusing {file_id} (its id is copied); nothing was uploaded.")

    def _start_upload(self, path: Path, purpose: str, sha256: str) -> None:
        self.busy = f"Uploading {path.name}"
        self._set_status(Text(safe(f"Uploading {path.name}…")))
        self._upload(path, purpose, sha256)

    @on(UploadProgress)
    def _upload_progress(self, message: UploadProgress) -> None:
        pct = message.done / message.total if message.total else 1.0
        line = f"Uploading {message.name}: {human_size(message.done)} of {human_size(message.total)} ({pct:.0%})" + (
            " · waiting for the provider to process it" if message.done >= message.total else ""
        )
        self._set_status(Text(safe(line), style="yellow"))

    @on(UploadEnded)
    def _upload_ended(self, message: UploadEnded) -> None:
        self.busy = None
        if message.file is None:
            self._set_status(
                Text("✗ " + safe(message.error or "The upload did not finish."), style="red"), problem=True
            )
            self.refresh_files()
            return
        f = message.file
        self._set_status(Text(safe(f"Uploaded {message.path.name} as {f.id} ({human_size(f.bytes)})."), style="green"))
        with contextlib.suppress(OSError):
            self.uploaded = state.uploaded_files()
        self.files.set_items([f, *[x for x in self.files.items if x.id != f.id]])
        self.files_loaded = True
        from ftui.provider.files import duplicates

        self.dupes = duplicates(self.files.items, self.uploaded)
        if self.mode == "files":
            self._draw(keep=f.id)

    @on(Downloaded)
    def _downloaded(self, message: Downloaded) -> None:
        self.busy = None
        if message.error:
            self._set_status(Text("✗ " + safe(message.error), style="red"), problem=True)
            return
        self._set_status(
            Text(safe(f"Saved {message.file_id} to {message.path} ({human_size(message.size)})."), style="green")
        )
        if message.open_after:
            self.post_message(OpenDataset(message.path))

    @on(Deleted)
    def _deleted(self, message: Deleted) -> None:
        self.busy = None
        if message.error:
            self._set_status(Text("✗ " + safe(message.error), style="red"), problem=True)
            return
        if message.what == "deployment":
            provider = self.session.provider
            directory = provider.deployment_directory() if provider is not None else None
            if directory is not None:
                directory.forget(message.ident)
                self.post_message(DeploymentsChanged(directory.items))
        listing = {"file": self.files, "model": self.models, "deployment": self.deployments}[message.what]
        listing.set_items([x for x in listing.items if x.id != message.ident])
        if message.what == "file":
            self.dupes = {k: v for k, v in self.dupes.items() if k != message.ident and v != message.ident}
            self.uploaded.pop(message.ident, None)
        self._set_status(Text(safe(f"Deleted {message.ident}."), style="green"))
        self._draw()

    # -- list events -------------------------------------------------------------------------
    @on(VirtualList.Highlighted)
    def _highlighted(self) -> None:
        self._draw_detail()
        self.refresh_bindings()

    @on(Input.Changed, "#files-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.listing.query = event.value.strip()
        self._draw()

    @on(Input.Submitted, "#files-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        event.stop()
        self._set_filter(event.value.strip())
        self.query_one("#files-filter").display = False
        self.current_list.focus()

    def _set_filter(self, query: str) -> None:
        self.listing.query = query
        bar = self.query_one("#files-filter", Input)
        if bar.value != query:
            with bar.prevent(Input.Changed):
                bar.value = query
        self._draw()

    # -- actions -----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        connected = self.session.provider is not None
        files = self.mode == "files"
        item = self.selected
        if action == "upload":
            return connected and files
        if action in ("download", "open_local"):
            return connected and files and item is not None
        if action == "delete":
            return connected and item is not None
        if action == "copy":
            return item is not None
        if action == "clear_filter":
            return bool(self.listing.query)
        if action == "show_list":
            return connected and parameters[0] == self._next_mode()
        if action == "refresh":
            return connected
        return True

    def action_upload(self) -> None:
        if self.busy:
            self._say(f"{self.busy} is still running; wait for it to end.", "warning")
            return
        start = str(self.session.dataset_path) if self.session.dataset_path else ""

        def chosen(answer: tuple[Path, str] | None) -> None:
            if answer is None:
                return
            path, purpose = answer
            self.busy = f"Checking {path.name}"
            self._set_status(Text(safe(f"Checking {path.name} before uploading…"), style="yellow"))
            self._check_upload(path, purpose, list(self.files.items), dict(self.uploaded))

        self.app.push_screen(UploadScreen(start), chosen)

    def _ask_path(self, f: Any, title: str, then: Any) -> None:
        from ftui.data.atomic import NAME_MAX, fit_name
        from ftui.provider.files import local_name

        suggested = Path.cwd() / local_name(f.filename, f.id)
        if suggested.exists():  # never offer to overwrite a file by default
            tail = f".{f.id}{suggested.suffix}"
            suggested = suggested.with_name(fit_name(suggested.stem, NAME_MAX - len(tail.encode())) + tail)

        def problem(why: str) -> None:
            self._set_status(Text("✗ " + safe(f"Cannot save there: {why}"), style="red"), problem=True)

        self._set_status("")  # the last download's "Saved …" is not this one's
        prompt = f"Where to save {f.id} ({f.filename})?"
        ask_save_path(self.app, title, prompt, str(suggested), then, problem)

    def action_download(self, open_after: bool = False) -> None:
        f = self.selected
        if f is None or self.mode != "files":
            return

        def go(dest: Path) -> None:
            self.busy = f"Downloading {f.id}"
            self._set_status(Text(safe(f"Downloading {f.id} to {dest}…"), style="yellow"))
            self._download(f.id, dest, open_after)

        self._ask_path(f, "Download a file" if not open_after else "Download, then open in the Data tab", go)

    def action_open_local(self) -> None:
        """Open the file in the Data tab: the local file ftui uploaded it from, else a downloaded copy."""
        f = self.selected
        if f is None or self.mode != "files":
            return
        if (why := not_for_data(f)) is not None:  # the Data tab reads training files only
            self._set_status(Text(safe(why), style="yellow"))
            return
        local = None
        with contextlib.suppress(OSError):
            local = state.uploaded_path(f.id)
        if local is not None:
            self.post_message(OpenDataset(local))
            return
        self.action_download(open_after=True)

    def action_delete(self) -> None:
        item = self.selected
        if item is None:
            return
        if self.mode == "deployments":
            what, title = "deployment", "Delete this deployment?"
            body = Text()
            body.append(safe(f"{item.name}  serving {item.model}", one_line=True), "bold")
            body.append("\n\nChat through it stops at once; the hourly charge stops. The model stays.")
        elif self.mode == "files":
            what, title = "file", "Delete this file?"
            body = Text()
            body.append(safe(f"{item.id}  {item.filename} · {human_size(item.bytes)}", one_line=True), "bold")
            uses = self.uses.get(item.id, [])
            active = [u for u in uses if u.active]
            if active:
                body.append("\n\n⚠ Still used by ", "bold red")
                body.append(
                    safe(", ".join(f"{u.job_id} ({u.role}, {u.status})" for u in active), one_line=True), "bold red"
                )
                body.append(": deleting it may make that job fail.", "bold red")
            elif uses:
                body.append(f"\n\nUsed by {len(uses)} job(s) that ended; they keep their results.")
            if item.id in self.dupes:
                body.append("\n\nSame content as ")
                body.append(safe(self.dupes[item.id], one_line=True))
                body.append(", which stays.")
            body.append("\n\nThe provider deletes it for good.")
        else:
            what, title = "model", "Delete this fine-tuned model?"
            body = Text()
            body.append(safe(item.id, one_line=True), "bold")
            body.append("\n\nIt can no longer be used for chat or further training. This cannot be undone.")
            provider = self.session.provider
            deployed = [d.name for d in self.session.deployments or [] if d.model == item.id]
            if deployed:
                names = safe(", ".join(deployed), one_line=True)
                body.append(f"\n\n⚠ Deployed as {names}: Azure refuses to delete a deployed model. ")
                body.append("Delete the deployment first (m shows the deployments).")
            elif provider is not None and provider.profile.provider == "azure":
                body.append("\nOn Azure a deployed model cannot be deleted: delete its deployment first.")
                body.append("\nAzure deletes a model with the fine-tuning job that made it (the job goes too).")

        def answered(ok: bool | None) -> None:
            if ok:
                self.busy = f"Deleting {item.id}"
                self._set_status(Text(safe(f"Deleting {item.id}…"), style="yellow"))
                self._delete(what, item.id)

        self.app.push_screen(ConfirmScreen(title, body.plain, "Delete", danger=True), answered)

    def action_copy(self) -> None:
        item = self.selected
        if item is None:
            return
        self.app.copy_to_clipboard(item.id)
        self._say(f"Copied {item.id}.")

    def action_show_list(self, mode: str) -> None:
        if mode != self.mode:
            self.show(mode)

    def action_toggle_models(self) -> None:
        """`m`: files, then the fine-tuned models, then (on Azure) the deployments, then files."""
        self.show(self._next_mode())

    def show(self, mode: str) -> None:
        """Show one of the lists: "files", "models" or "deployments"."""
        self.mode = mode
        self.file_list.display = mode == "files"
        self.model_list.display = mode == "models"
        self.deployment_list.display = mode == "deployments"
        bar = self.query_one("#files-filter", Input)
        with bar.prevent(Input.Changed):
            bar.value = self.listing.query
        if self.mode == "models" and not self.models_loaded:
            self.refresh_models()
        if self.mode == "deployments":
            self.deployments.set_items(self.session.deployments or [])
        self._draw()
        self.current_list.focus()

    def action_filter(self) -> None:
        bar = self.query_one("#files-filter", Input)
        bar.display = True
        bar.focus()

    def action_clear_filter(self) -> None:
        self._set_filter("")
        self.query_one("#files-filter").display = False
        self.current_list.focus()

    def action_sort(self) -> None:
        self.listing.next_sort()
        self._draw()

    def action_refresh(self) -> None:
        if self.mode == "deployments":
            self.post_message(RefreshDeployments())
            return
        self.refresh_files()
        if self.mode == "models" or self.models_loaded:
            self.refresh_models()
