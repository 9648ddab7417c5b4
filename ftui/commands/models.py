"""`ftui models ...`: list (with shutdown dates; --fine-tuned: trained models and checkpoints with
their job and base model), delete a fine-tuned model (asks first)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from ftui.commands.api import EXIT_MISUSE, EXIT_OK, dump, print_safe, print_table, when
from ftui.commands.files import confirm
from ftui.commands.next_step import ftui_command
from ftui.data.catalog import Catalog, load_catalog
from ftui.provider.models import delete_model, is_trained_model, list_fine_tuned_models
from ftui.term import fail
from ftui.textsafe import safe

if TYPE_CHECKING:
    from ftui.provider.client import Provider
    from ftui.provider.models import FineTunedModel


def _when_it_stops(m: Any, catalog: Catalog) -> str:
    """'DATE' from the server; for a fine-tuned model the server leaves it out of, 'DATE (its base
    model's)' from models.toml; '' when neither knows."""
    sent = getattr(m, "shutdown_date", None)
    if sent:
        return str(sent)
    if is_trained_model(m.id) and (base := catalog.shutdown_of(m.id)):
        return f"{base} (its base model's)"
    return ""


def _print_all(models: list) -> None:
    """One line per model under a header (grep and awk see whole records); a fine-tuned model the
    server gives no date stops serving with its base model (models.toml)."""
    catalog = load_catalog()
    rows = [(m.id, m.owned_by, _when_it_stops(m, catalog) or "—") for m in models]
    print_table(("ID", "OWNED BY", "STOPS SERVING"), rows)


def _trained_json(m: FineTunedModel) -> dict:
    return {**dataclasses.asdict(m), "kind": m.kind}


def _print_trained(models: list[FineTunedModel]) -> None:
    """One line per model under a header (grep and awk see whole records)."""
    if not models:
        print("no fine-tuned models")
        return
    rows = []
    for m in models:
        shutdown = m.shutdown_date or "—"
        if m.shutdown_date and m.shutdown_from_catalog:
            shutdown += " (its base model's)"
        rows.append((m.id, m.kind, m.base_model, m.job_id or "—", when(m.created), shutdown))
    print_table(("ID", "KIND", "BASE MODEL", "JOB", "CREATED", "STOPS SERVING"), rows)


async def models_list(p: Provider, args: argparse.Namespace) -> int:
    if getattr(args, "fine_tuned", False):
        trained = await list_fine_tuned_models(p.client)
        if args.json:
            dump([_trained_json(m) for m in trained])
        else:
            _print_trained(trained)
        return EXIT_OK
    page = await p.client.models.list()
    models = list(page.data)
    if args.json:
        dump(models)
        return EXIT_OK
    _print_all(models)
    return EXIT_OK


async def _deployed_as(p: Provider, model: str) -> list[str]:
    """The Azure deployments of ``model`` (none when the profile names no resource or they cannot be listed)."""
    directory = p.deployment_directory()
    if directory is None:
        return []
    from ftui.config import ConfigError
    from ftui.provider.azure_deploy import DeployError

    try:
        items = await directory.refresh()
    except (DeployError, ConfigError):
        return []  # Azure itself refuses the delete of a deployed model, and says so
    return sorted(d.name for d in items if d.model == model)


async def models_delete(p: Provider, args: argparse.Namespace) -> int:
    model = args.model
    shown = safe(model, one_line=True)
    if not is_trained_model(model):
        return fail(f"{shown} is not a fine-tuned model; only fine-tuned models (ft:… or <base>.ft-…) can be deleted.")
    if deployed := await _deployed_as(p, model):
        names = ", ".join(deployed)
        return fail(
            f"{shown} is deployed as {safe(names, one_line=True)}: Azure refuses to delete a deployed model. Delete "
            f"the deployment first: {ftui_command(args, 'deployments', 'delete', deployed[0])}. Nothing was deleted.",
            1,
        )
    azure = p.profile.provider == "azure"
    question = f"Delete {model}? Chats and deployments using it stop working."
    if azure:  # Azure has no model delete: the model goes with its fine-tuning job
        question = f"Delete {model} and the fine-tuning job that made it? Chats using it stop working."
    answer = confirm(question, args.yes)
    if answer is None:
        return fail(f"Deleting {shown} needs an answer: add --yes (there is no terminal to ask on).", EXIT_MISUSE)
    if not answer:
        print("nothing deleted", file=sys.stderr)
        return EXIT_OK
    deleted = await delete_model(p.client, model, azure=p.profile.provider == "azure")
    if args.json:
        dump({"id": model, "deleted": deleted})
    else:
        print_safe(f"{model} {'deleted' if deleted else 'not deleted (the provider said no)'}")
    return EXIT_OK if deleted else 1
