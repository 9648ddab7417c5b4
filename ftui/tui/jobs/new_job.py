"""The new-job form: files, base model, method and hyperparameters; checked and priced before confirm.

Nothing is uploaded or spent here: the form validates the files locally, shows the
result and the cost estimate, asks for an explicit confirm and returns a ``NewJob``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static
from textual.widgets.select import InvalidSelectValueError
from textual.worker import get_current_worker

from ftui.api_facts import (
    AZURE_SUFFIX_MAX,
    HYPERPARAMETERS,
    SUFFIX_MAX,
    HyperparameterError,
    check_seed,
    check_suffix,
)
from ftui.data.catalog import Catalog, load_catalog
from ftui.data.stats import job_cost
from ftui.data.validate import DatasetReadError, Report, Stopped, validate_file
from ftui.job_options import (
    JobOptionError,
    describe_integrations,
    describe_metadata,
    parse_metadata,
    wandb_integration,
)
from ftui.provider.jobs import JobRequest
from ftui.textsafe import safe
from ftui.tui.layout import fit
from ftui.tui.widgets.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from collections.abc import Awaitable


OPTION_WIDTH = 50  # cells a model entry may take: one line in the dropdown at 80 columns (scrollbar included)


class FormError(ValueError):
    """A field holds a value the API would refuse; the message names the field."""


# Which line formats each method trains on (REFERENCE section 3).
METHOD_FORMATS = {"supervised": frozenset({"chat", "completion"}), "dpo": frozenset({"dpo"})}
METHOD_NAMES = {"supervised": "supervised (SFT)", "dpo": "DPO"}
FORMAT_NAMES = {
    "chat": "chat examples (a messages list)",
    "dpo": "DPO preference pairs (input, preferred_output, non_preferred_output)",
    "rft": "reinforcement (RFT) examples",
    "completion": "prompt/completion examples",
}
METHOD_NEEDS = {"supervised": "chat examples", "dpo": "DPO preference pairs"}


def format_problem(kind: str, file_format: str | None, method: str) -> str | None:
    """A sentence naming the file's format and the method when the method cannot train on it."""
    allowed = METHOD_FORMATS.get(method)
    if file_format is None or allowed is None or file_format in allowed:
        return None
    holds = FORMAT_NAMES.get(file_format, f"{file_format} examples")
    needs = METHOD_NEEDS.get(method, "other examples")
    name = METHOD_NAMES.get(method, method)
    said = f"The {kind} file holds {holds}, but the method is {name}, which trains on {needs}."
    better = next((m for m, formats in METHOD_FORMATS.items() if file_format in formats), None)
    if better is not None:
        return f"{said} Choose the {METHOD_NAMES[better]} method or a file of {needs}; nothing was uploaded."
    return f"{said} This form starts supervised and DPO jobs only; nothing was uploaded."


def _hyper(name: str, raw: str) -> int | float | str:
    try:
        return HYPERPARAMETERS[name].check(raw)
    except HyperparameterError as exc:
        raise FormError(str(exc)) from None


def _whole(name: str, raw: str) -> int | str:
    """A whole-number hyperparameter (its range checks give an int, or 'auto')."""
    value = _hyper(name, raw)
    return int(value) if isinstance(value, float) else value


def _extras_fields(azure: bool) -> ComposeResult:
    """W&B integration and metadata rows of the form (checked by ``ftui.job_options``)."""
    for label, field_id, hint in (
        ("W&B project", "wandb-project", "optional: send metrics to this W&B project"),
        ("W&B entity", "wandb-entity", "optional: team or user"),
        ("W&B run name", "wandb-name", "optional: default the job id"),
        ("W&B tags", "wandb-tags", "optional: tag, tag"),
        ("Metadata", "metadata", "Azure keeps no metadata" if azure else "optional: key=value, key=value"),
    ):
        yield Label(label)
        yield Input(placeholder=hint, id=field_id, compact=True, disabled=azure and field_id == "metadata")


def _read_extras(value: Callable[[str], str], azure: bool) -> tuple[list[dict], dict[str, str]]:
    """(integrations, metadata) from the form's W&B and metadata rows; FormError naming the field."""
    tags = [t for t in value("wandb-tags").split(",") if t.strip()]
    pairs = [p for p in value("metadata").split(",") if p.strip()]
    try:
        integrations = wandb_integration(value("wandb-project"), value("wandb-entity"), value("wandb-name"), tags)
        metadata = parse_metadata(pairs) if not azure else {}
    except JobOptionError as exc:
        raise FormError(str(exc)) from None
    return integrations, metadata


@dataclass
class NewJob:
    """What the user confirmed: local files to upload (or file ids) and the job request."""

    training: Path | str
    validation: Path | str | None
    request: JobRequest
    summary: str


def _file_ref(raw: str, label: str, required: bool) -> Path | str | None:
    text = raw.strip()
    if not text:
        if required:
            raise FormError(f"{label}: give a JSONL file or an uploaded file id (file-…).")
        return None
    if text.startswith("file-") and not Path(text).exists():
        return text
    path = Path(text).expanduser()
    if not path.is_file():
        raise FormError(f"{label}: {path} is not a file (or an uploaded file id starting with file-).")
    return path


class Checked(Message):
    """The local check finished: reports per local file, or the reason it could not run."""

    def __init__(self, reports: dict[str, Report], error: str | None) -> None:
        super().__init__()
        self.reports, self.error = reports, error


class TrainedKnown(Message):
    """The provider's fine-tuned models and checkpoints (model -> 'fine-tuned' | 'checkpoint')."""

    def __init__(self, models: dict[str, str]) -> None:
        super().__init__()
        self.models = models


class NewJobScreen(ModalScreen[NewJob | None]):
    """Fill in the job; ctrl+s checks the files, shows the cost and asks to confirm."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="newjob.cancel"),
        Binding("ctrl+s", "review", "Check & start", id="newjob.review"),
    ]
    HELP = """
## New fine-tuning job
Fill in the fields (Tab moves on). Files can be local JSONL files (checked and uploaded)
or ids of files already uploaded (`file-…`). Hyperparameters take `auto` or a number.
A base model reads `name · 64k · $3/1M`: the tokens one example may hold, and the training
price per million tokens. The last form's values (closed or started) are offered again.
`ctrl+s` checks the files locally and shows the cost; nothing is spent before you confirm.
"""

    def __init__(
        self,
        training: Path | None,
        model: str,
        catalog: Catalog | None = None,
        *,
        method: str = "supervised",
        azure: bool = False,
        trained: dict[str, str] | None = None,
        more_trained: Callable[[], Awaitable[dict[str, str]]] | None = None,
        notice: str | None = None,
        draft: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.draft = dict(draft or {})  # the values of the last form (closed or started): offered again
        self.values: dict[str, str] = {}  # this form's values, read when it closes (see ``_close``)
        self.opened_with: dict[str, str] = {}
        self.notice = notice  # e.g. when the provider stops taking new jobs
        # Fine-tuned models and checkpoints to continue from: those known now, and more_trained
        # asks the provider for all of them while the form is open.
        self.trained = dict(trained or {})
        self.more_trained = more_trained
        self.method = method
        self.azure = azure
        self.catalog = catalog or load_catalog()
        self.training = training
        self.model = self.catalog.lookup(model).name if model else self.catalog.default_model
        self._pending: tuple[Path | str, Path | str | None, JobRequest] | None = None

    def _model_options(self) -> list[tuple[str | Text, str]]:
        out: list[tuple[str | Text, str]] = []
        for name, info in self.catalog.models.items():
            price = f"${info.training_price:g}/1M" if info.training_price is not None else "price n/a"
            # one line at 80 columns, price included: "gpt-4.1-nano-2025-04-14 · 32k · $1.5/1M"
            out.append((f"{name} · {info.token_limit // 1024}k · {price}", name))
        for name, group in sorted(self.trained.items(), key=lambda ng: (ng[1] != "fine-tuned", ng[0])):
            # continued fine-tuning: each with its base model's limits and prices
            info = self.catalog.lookup(name)
            price = f"${info.training_price:g}/1M" if info.training_price is not None else "price n/a"
            limit = f"{info.token_limit // 1024}k"
            # limits and price are the base model's, named unless the name holds it already
            of = "" if info.name in name else f" of {info.name}"
            rest = f" · {group}{of} · {limit} · {price}"
            # the name is cut in its middle (its end names the step) so the entry stays on one line
            label = fit(safe(name, one_line=True), max(12, OPTION_WIDTH - len(rest)), middle=True) + rest
            out.append((Text(label), name))  # a server's name: text, never markup
        return out

    def compose(self) -> ComposeResult:
        limit = AZURE_SUFFIX_MAX if self.azure else SUFFIX_MAX
        with Vertical(id="newjob-dialog", classes="dialog"):
            yield Label("[b]New fine-tuning job[/b]  ·  ctrl+s check & start  ·  Esc cancel")
            if self.notice:
                yield Static(Text(self.notice, style="bold yellow"), id="newjob-notice")
            with VerticalScroll(id="newjob-fields"), Grid(id="newjob-grid"):
                yield Label("Training file")
                yield Input(str(self.training or ""), placeholder="train.jsonl or file-…", id="training", compact=True)
                yield Label("Validation file")
                yield Input(placeholder="optional: valid.jsonl or file-…", id="validation", compact=True)
                yield Label("Base model")
                yield Select(self._model_options(), value=self.model, allow_blank=False, id="model", compact=True)
                yield Label("Method")
                yield Select(
                    [("supervised (SFT)", "supervised"), ("DPO (preference pairs)", "dpo")],
                    value=self.method,
                    allow_blank=False,
                    id="method",
                    compact=True,
                )
                yield Label("DPO beta", id="beta-label")
                yield Input("auto", placeholder="auto or 0 < beta ≤ 2", id="beta", compact=True)
                yield Label("Epochs")
                yield Input("auto", placeholder="auto or 1–50", id="epochs", compact=True)
                yield Label("Batch size")
                yield Input("auto", placeholder="auto or 1–256", id="batch", compact=True)
                yield Label("LR multiplier")
                yield Input("auto", placeholder="auto or a number > 0", id="lr", compact=True)
                yield Label("Suffix")
                yield Input(placeholder=f"optional: up to {limit} letters, digits, . _ -", id="suffix", compact=True)
                yield Label("Seed")
                yield Input(placeholder="optional: a whole number, 0–2147483647", id="seed", compact=True)
                yield from _extras_fields(self.azure)
            yield Static("", id="newjob-summary")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Check & start (ctrl+s)", variant="primary", id="review", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        if self.more_trained is not None:
            self._ask_trained()
        self._restore(self.draft)
        self._method_changed()
        self.opened_with = self._collect()
        self.query_one("#training", Input).focus()

    def _restore(self, draft: dict[str, str]) -> None:
        """Fill the fields from the last form's values (a model no longer offered is left as it is)."""
        for field, value in draft.items():
            for widget in self.query(f"#{field}"):
                if isinstance(widget, Input) and not widget.disabled:
                    widget.value = value
                elif isinstance(widget, Select):
                    with contextlib.suppress(InvalidSelectValueError):
                        widget.value = value

    def _collect(self) -> dict[str, str]:
        """Every field's value as typed (what the next form offers again)."""
        out = {str(w.id): w.value for w in self.query(Input) if w.id}
        out.update({str(w.id): str(w.value) for w in self.query(Select) if w.id})
        return out

    def _close(self, result: NewJob | None) -> None:
        """Close with ``result``; the values stay readable in ``values`` for the next form."""
        self.values = self._collect()
        self.dismiss(result)

    @work(group="newjob-models", exclusive=True, exit_on_error=False)
    async def _ask_trained(self) -> None:
        assert self.more_trained is not None
        try:
            models = await self.more_trained()
        except Exception:  # the models known already stay offered
            return
        self.post_message(TrainedKnown(models))

    @on(TrainedKnown)
    def _trained_known(self, message: TrainedKnown) -> None:
        if not set(message.models) - set(self.trained):
            return
        self.trained.update(message.models)
        select = self.query_one("#model", Select)
        value = select.value
        with select.prevent(Select.Changed):
            select.set_options(self._model_options())
            select.value = value

    @on(Select.Changed, "#method")
    def _method_changed(self) -> None:
        dpo = self.query_one("#method", Select).value == "dpo"
        self.query_one("#beta", Input).disabled = not dpo
        self.query_one("#beta-label", Label).set_class(not dpo, "muted")

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value

    def read_form(self) -> tuple[Path | str, Path | str | None, JobRequest]:
        """The form as a request (file ids not known yet); raises FormError naming the field.

        Every range is the API's (``ftui.api_facts``), so nothing the provider would refuse
        gets as far as an upload."""
        training = _file_ref(self._value("training"), "Training file", required=True)
        validation = _file_ref(self._value("validation"), "Validation file", required=False)
        assert training is not None
        method = str(self.query_one("#method", Select).value)
        try:
            suffix = check_suffix(self._value("suffix").strip(), azure=self.azure)
            seed = check_seed(self._value("seed"))
        except HyperparameterError as exc:
            raise FormError(str(exc)) from None
        request = JobRequest(
            model=str(self.query_one("#model", Select).value),
            training_file="",
            method=method,
            n_epochs=_whole("n_epochs", self._value("epochs")),
            batch_size=_whole("batch_size", self._value("batch")),
            learning_rate_multiplier=_hyper("learning_rate_multiplier", self._value("lr")),
            beta=_hyper("beta", self._value("beta")) if method == "dpo" else "auto",
            suffix=suffix,
            seed=seed,
        )
        request.integrations, request.metadata = _read_extras(self._value, self.azure)
        return training, validation, request

    def _say(self, text: str, style: str = "") -> None:
        """Show a sentence under the form; file names and findings in it are data, never markup."""
        said = self.query_one("#newjob-summary", Static)
        said.update(Text(safe(text), style=style))
        said.display = bool(text)  # no blank rows above the buttons while nothing is said
        self.query_one("#newjob-dialog").set_class(bool(text), "said")

    def action_review(self) -> None:
        try:
            self._pending = self.read_form()
        except FormError as exc:
            self._say(f"✗ {exc}", "red")
            return
        training, validation, request = self._pending
        self._say("Checking the files locally…", "yellow")
        self._check(training, validation, request.model)

    @work(thread=True, exclusive=True, group="newjob-check", exit_on_error=False)
    def _check(self, training: Path | str, validation: Path | str | None, model: str) -> None:
        """The same pipeline as the Data tab and `ftui validate`: every core, at low priority."""
        worker = get_current_worker()
        reports: dict[str, Report] = {}
        try:
            for kind, ref in (("training", training), ("validation", validation)):
                if isinstance(ref, Path):
                    reports[kind] = validate_file(ref, model, nice=True, cancelled=lambda: worker.is_cancelled)
        except Stopped:
            return
        except DatasetReadError as exc:
            self.post_message(Checked({}, str(exc)))
            return
        self.post_message(Checked(reports, None))

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.error:
            self._say(f"✗ {message.error}", "red")
            return
        if self._pending is None:
            return
        training, validation, request = self._pending
        for kind, report in message.reports.items():
            if summary := report.error_summary():
                self._say(
                    f"✗ The {kind} file has {summary}.\n"
                    "Fix it (the Data tab lists every finding); nothing was uploaded.",
                    "red",
                )
                return
        for kind, report in message.reports.items():
            if problem := format_problem(kind, report.format, request.method):
                self._say(f"✗ {problem}", "red")
                return
        lines = [self._describe_file("Training", training, message.reports.get("training"))]
        if validation is not None:
            lines.append(self._describe_file("Validation", validation, message.reports.get("validation")))
        lines.append(self._cost_line(request, message.reports.get("training")))
        hp = f"epochs {request.n_epochs}, batch {request.batch_size}, lr ×{request.learning_rate_multiplier}"
        if request.method == "dpo":
            hp += f", beta {request.beta}"
        lines.append(f"Job: {request.method} on {request.model}; {hp}")
        if request.suffix or request.seed is not None:
            lines.append(f"Suffix {request.suffix or '—'} · seed {request.seed if request.seed is not None else '—'}")
        lines += describe_integrations(request.integrations)
        if request.metadata:
            lines.append(f"Metadata: {describe_metadata(request.metadata)}")
        summary = safe("\n".join(lines))
        self._say(summary)

        def answered(ok: bool | None) -> None:
            if ok:
                self._close(NewJob(training, validation, request, summary))

        self.app.push_screen(ConfirmScreen("Start this fine-tuning job?", summary, "Upload and start"), answered)

    @staticmethod
    def _describe_file(label: str, ref: Path | str, report: Report | None) -> str:
        if report is None:
            return f"{label}: {ref} (already uploaded; not checked locally)"
        warn = len(report.warnings)
        size = ref.stat().st_size if isinstance(ref, Path) else 0
        return (
            f"{label}: {Path(ref).name} · {report.examples:,} examples · {size / 1024:,.0f} KB · "
            f"no errors · {warn} warning{'s' if warn != 1 else ''}"
        )

    def _cost_line(self, request: JobRequest, report: Report | None) -> str:
        """Tokens and price for the epochs asked for ('auto' means the provider's rule of thumb)."""
        if report is None:
            return "Cost: unknown until the provider counts the tokens."
        info = self.catalog.lookup(request.model)
        cost = job_cost(report.estimate, request.n_epochs, info.training_price)
        tokens = f"~{cost.charged_tokens:,} training tokens"
        if cost.usd is None:
            return f"Cost: {tokens} ({cost.epochs_text}); no price known for {request.model}."
        return (
            f"Cost: {tokens} = {cost.epochs_text} × {cost.billing_tokens:,} "
            f"≈ ${cost.usd:,.2f} at ${cost.price_per_1m:g}/1M (prices of {self.catalog.prices_captured})"
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "review":
            self.action_review()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self._close(None)


def describe_upload(kind: str, done: int, total: int) -> str:
    pct = done / total if total else 1.0
    return f"Uploading the {kind} file: {done / 1_048_576:,.1f} of {total / 1_048_576:,.1f} MB ({pct:.0%})"
