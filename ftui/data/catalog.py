"""The model catalogue: tokenizer, token limit, prices and shutdown date per base model.

The numbers live in ``models.toml`` beside this module so they can be edited without code.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).with_name("models.toml")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What ftui knows about one base model."""

    name: str
    encoding: str
    token_limit: int
    training_price: float | None  # USD per 1M training tokens; None when billed otherwise
    input_price: float | None
    output_price: float | None
    shutdown_date: str | None = None
    training_per_hour: float | None = None
    known: bool = True
    formats: tuple[str, ...] | None = None  # training formats it accepts (None: not known, any)
    azure_name: str | None = None  # its name on Azure OpenAI (None: not offered there, or not known)

    def accepts(self, fmt: str) -> bool:
        """True when the model can train on a file in ``fmt`` (chat, dpo, rft, completion)."""
        return self.formats is None or fmt in self.formats


@dataclass(frozen=True, slots=True)
class Catalog:
    """All known base models plus the date their prices were captured."""

    models: dict[str, ModelInfo]
    aliases: dict[str, str]
    prices_captured: str
    default_model: str
    new_jobs_stop: dict[str, str] = field(default_factory=dict)  # provider kind -> ISO date
    provider_names: dict[str, str] = field(default_factory=dict)  # provider kind -> "OpenAI"

    def shutdown_of(self, model: str) -> str | None:
        """When ``model`` stops serving: its base model's shutdown date (a fine-tune follows its base)."""
        return self.lookup(model).shutdown_date

    def new_jobs_notice(
        self, provider: str, today: date | None = None, base_url: str | None = None
    ) -> SunsetNotice | None:
        """What to say about ``provider`` (a profile's kind) no longer taking new jobs; None when
        it has no such date (Azure, other servers, the sandbox) or ``base_url`` (the profile's)
        is a server on this machine, which is not the provider's service."""
        text = self.new_jobs_stop.get(provider)
        if not text or _local(base_url):
            return None
        stop = date.fromisoformat(text)
        return SunsetNotice(self.provider_names.get(provider, provider), stop, today or date.today())

    def base_model_name(self, model: str) -> str:
        """Strip fine-tune decorations: ``ft:<base>:org::id`` and Azure ``<base>.ft-<hex>``."""
        name = model.strip()
        if name.startswith("ft:"):
            parts = name.split(":")
            name = parts[1] if len(parts) > 1 and parts[1] else name
        if ".ft-" in name:
            name = name.split(".ft-", 1)[0]
        return name

    def lookup(self, model: str) -> ModelInfo:
        """Resolve a model name (alias, dated, fine-tuned or Azure) to its base model info.

        Unknown models get a best guess from the name, marked ``known=False``.
        """
        base = self.base_model_name(model)
        if base in self.models:
            return self.models[base]
        if base in self.aliases:
            return self.models[self.aliases[base]]
        # Longest known name that prefixes this one (e.g. a newer dated snapshot).
        candidates = [n for n in (*self.models, *self.aliases) if base.startswith(n)]
        if candidates:
            best = max(candidates, key=len)
            return self.models.get(best) or self.models[self.aliases[best]]
        return ModelInfo(
            name=base,
            encoding=encoding_for_name(base),
            token_limit=65536,
            training_price=None,
            input_price=None,
            output_price=None,
            known=False,
        )

    def name_on(self, model: str, provider: str) -> str | None:
        """``model`` (an OpenAI snapshot, an alias or an Azure name) as ``provider`` (a profile's
        kind) calls it: Azure's name on ``azure``, the dated OpenAI snapshot on ``openai`` and
        ``sandbox``; None when the catalogue has no such mapping (an unknown or fine-tuned model,
        or a ``compatible`` server, whose model names are its own)."""
        if model.startswith("ft:") or ".ft-" in model or provider == "compatible":
            return None
        info = self.lookup(model)
        if not info.known:
            return None
        return info.azure_name if provider == "azure" else info.name


def _local(url: str | None) -> bool:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower() if url else ""
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass(frozen=True, slots=True)
class SunsetNotice:
    """A provider's last day for new fine-tuning jobs, as of ``today``."""

    provider: str
    stop: date
    today: date

    @property
    def days_left(self) -> int:
        """Days until new jobs stop (0 on the day, negative after)."""
        return (self.stop - self.today).days

    def long(self) -> str:
        """'OpenAI stops new fine-tuning jobs on 2027-01-06: 29 days left.'"""
        days, stop = self.days_left, self.stop.isoformat()
        if days > 0:
            return f"{self.provider} stops new fine-tuning jobs on {stop}: {days} day{'s' if days != 1 else ''} left."
        if days == 0:
            return f"{self.provider} stops new fine-tuning jobs today ({stop}); jobs already started go on."
        return f"{self.provider} stopped new fine-tuning jobs on {stop}; a new job will be refused."

    def short(self) -> str:
        """'new jobs stop in 29 d' (for a narrow top bar)."""
        days = self.days_left
        if days > 0:
            return f"new jobs stop in {days} d"
        return "new jobs stop today" if days == 0 else f"no new jobs since {self.stop.isoformat()}"


def encoding_for_name(model: str) -> str:
    """The tokenizer a model name implies, by family (REFERENCE section 7)."""
    m = model.lower()
    if m.startswith(("gpt-3.5", "gpt-35", "gpt-4-", "babbage", "davinci")) or m == "gpt-4":
        return "cl100k_base"
    return "o200k_base"


def _parse(data: dict[str, Any]) -> Catalog:
    models: dict[str, ModelInfo] = {}
    aliases: dict[str, str] = {}
    for name, row in data.get("models", {}).items():
        models[name] = ModelInfo(
            name=name,
            encoding=row.get("encoding") or encoding_for_name(name),
            token_limit=int(row.get("token_limit", 65536)),
            training_price=row.get("training"),
            input_price=row.get("input"),
            output_price=row.get("output"),
            shutdown_date=row.get("shutdown_date"),
            training_per_hour=row.get("training_per_hour"),
            formats=tuple(row["formats"]) if "formats" in row else None,
            azure_name=row.get("azure"),
        )
        for alias in row.get("aliases", []):
            aliases[alias] = name
        if row.get("azure") and row["azure"] != name:
            aliases[row["azure"]] = name  # Azure's name finds the same model (gpt-35-turbo-1106)
    providers = {k: v for k, v in data.get("providers", {}).items() if isinstance(v, dict)}
    return Catalog(
        models=models,
        aliases=aliases,
        prices_captured=str(data.get("prices_captured", "unknown")),
        default_model=str(data.get("default_model", "gpt-4o-mini-2024-07-18")),
        new_jobs_stop={k: str(v["new_jobs_stop"]) for k, v in providers.items() if v.get("new_jobs_stop")},
        provider_names={k: str(v.get("name") or k) for k, v in providers.items()},
    )


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Read the catalogue file (cached per path)."""
    with open(path, "rb") as fh:
        return _parse(tomllib.load(fh))
