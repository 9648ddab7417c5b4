"""A job's W&B integration and user metadata: parsed and checked the same way by the CLI
(`jobs create --wandb-project ... --metadata k=v`), the new-job form and the sandbox.

The API's limits: metadata holds at most 16 pairs, keys of at most 64 characters, values of at
most 512 (ftui's create-once tag takes one of the 16); the only integration type is ``wandb``,
whose ``project`` is required and ``entity``, ``name``, ``tags`` optional.
Plain Python: no Textual, no network, no SDK.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

METADATA_MAX_PAIRS = 16
METADATA_KEY_MAX = 64
METADATA_VALUE_MAX = 512
RESERVED_KEYS = frozenset({"ftui_request"})  # ftui's create-once tag (ftui.provider.jobs.TAG_KEY)
USER_METADATA_MAX = METADATA_MAX_PAIRS - len(RESERVED_KEYS)
WANDB_TEXT_MAX = 128  # project, entity, name: W&B's own limit on names
WANDB_TAG_MAX = 64  # W&B refuses longer tags
WANDB_TAGS_MAX = 50


class JobOptionError(ValueError):
    """A metadata pair or W&B setting the API would refuse; the message names the field."""


def parse_metadata(pairs: Iterable[str], *, label: str = "Metadata") -> dict[str, str]:
    """``["team=nlp", "run=3"]`` -> ``{"team": "nlp", "run": "3"}``, checked against the API's limits."""
    out: dict[str, str] = {}
    for raw in pairs:
        key, sep, value = raw.partition("=")
        key = key.strip()
        if not sep or not key:
            raise JobOptionError(f"{label}: {raw!r} is not key=value.")
        if key in out:
            raise JobOptionError(f"{label}: the key {key!r} is given twice.")
        out[key] = value
    return check_metadata(out, label=label)


def check_metadata(metadata: dict[str, Any], *, label: str = "Metadata") -> dict[str, str]:
    """The metadata when the API would take it (besides ftui's own tag); JobOptionError otherwise."""
    if len(metadata) > USER_METADATA_MAX:
        raise JobOptionError(
            f"{label}: {len(metadata)} pairs; at most {USER_METADATA_MAX} are allowed "
            f"(the API keeps {METADATA_MAX_PAIRS} and ftui uses one to find its job after a lost answer)."
        )
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise JobOptionError(f"{label}: keys must be non-empty text.")
        if key in RESERVED_KEYS:
            raise JobOptionError(f"{label}: the key {key!r} is ftui's own; use another name.")
        if len(key) > METADATA_KEY_MAX:
            raise JobOptionError(f"{label}: the key {key[:20]!r}… has {len(key)} characters; at most 64.")
        if not isinstance(value, str):
            raise JobOptionError(f"{label}: the value of {key!r} must be text.")
        if len(value) > METADATA_VALUE_MAX:
            raise JobOptionError(f"{label}: the value of {key!r} has {len(value)} characters; at most 512.")
    return dict(metadata)


def _text(value: str | None, what: str, limit: int) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > limit:
        raise JobOptionError(f"{what}: {len(value)} characters; at most {limit}.")
    if any(ch.isspace() and ch != " " for ch in value) or any(ord(ch) < 32 for ch in value):
        raise JobOptionError(f"{what}: it must be one line of text.")
    return value


def wandb_integration(
    project: str | None,
    entity: str | None = None,
    name: str | None = None,
    tags: Iterable[str] = (),
    *,
    label: str = "W&B",
) -> list[dict[str, Any]]:
    """The ``integrations`` list for a job: empty without a project; JobOptionError when the
    settings are incomplete or too long (an entity, name or tags without a project)."""
    tag_list = [t.strip() for t in tags if t.strip()]
    project = _text(project, f"{label} project", WANDB_TEXT_MAX)
    entity = _text(entity, f"{label} entity", WANDB_TEXT_MAX)
    name = _text(name, f"{label} run name", WANDB_TEXT_MAX)
    if project is None:
        if entity or name or tag_list:
            raise JobOptionError(f"{label}: an entity, run name or tags need a project too.")
        return []
    if len(tag_list) > WANDB_TAGS_MAX:
        raise JobOptionError(f"{label} tags: {len(tag_list)} tags; at most {WANDB_TAGS_MAX}.")
    for tag in tag_list:
        _text(tag, f"{label} tag {tag[:20]!r}", WANDB_TAG_MAX)
    wandb: dict[str, Any] = {"project": project}
    if entity:
        wandb["entity"] = entity
    if name:
        wandb["name"] = name
    if tag_list:
        wandb["tags"] = tag_list
    return [{"type": "wandb", "wandb": wandb}]


def check_integrations(raw: Any) -> list[dict[str, Any]]:
    """An ``integrations`` value as a server receives it: the checked list; JobOptionError naming
    the field otherwise (what the sandbox answers with a 400)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise JobOptionError("integrations must be an array.")
    out = []
    for i, item in enumerate(raw):
        where = f"integrations[{i}]"
        if not isinstance(item, dict) or item.get("type") != "wandb":
            raise JobOptionError(f"{where}.type must be 'wandb' (the only integration).")
        wandb = item.get("wandb")
        if not isinstance(wandb, dict) or not isinstance(wandb.get("project"), str) or not wandb["project"]:
            raise JobOptionError(f"{where}.wandb.project is required.")
        for key in ("entity", "name"):
            if wandb.get(key) is not None and not isinstance(wandb[key], str):
                raise JobOptionError(f"{where}.wandb.{key} must be a string.")
        tags = wandb.get("tags") or []
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise JobOptionError(f"{where}.wandb.tags must be an array of strings.")
        out.append(
            wandb_integration(wandb["project"], wandb.get("entity"), wandb.get("name"), tags, label=f"{where}.wandb")[0]
        )
    return out


def describe_integrations(integrations: Any) -> list[str]:
    """One line per integration, e.g. 'W&B project weather (entity acme, run r1, tags a, b)'."""
    lines = []
    for item in integrations or []:
        wandb = item.get("wandb") if isinstance(item, dict) else getattr(item, "wandb", None)
        if wandb is None:
            continue
        get = wandb.get if isinstance(wandb, dict) else lambda k, w=wandb: getattr(w, k, None)
        extra = []
        if get("entity"):
            extra.append(f"entity {get('entity')}")
        if get("name"):
            extra.append(f"run {get('name')}")
        if tags := get("tags"):
            extra.append("tags " + ", ".join(tags))
        lines.append(f"W&B project {get('project')}" + (f" ({'; '.join(extra)})" if extra else ""))
    return lines


def describe_metadata(metadata: dict[str, str] | None) -> str:
    """'team=nlp, run=3' without ftui's own tag; '' when there is none."""
    return ", ".join(f"{k}={v}" for k, v in (metadata or {}).items() if k not in RESERVED_KEYS)
