"""``ftui deployments create | list | delete``: Azure deployments through the control plane.

A deployment bills by the hour while it exists, so ``create`` checks everything it can first
(the name, the capacity, that the model exists, that the name is free), says what it will
cost in kind (SKU, capacity, hourly), asks, and then watches provisioning until Succeeded.
``--yes`` answers for scripts; with no terminal and no ``--yes`` it refuses (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

from ftui.commands.api import dump
from ftui.commands.next_step import ftui_command
from ftui.config import ConfigError
from ftui.provider.azure_deploy import SKUS, ControlPlane, DeployError, Deployment, check_name
from ftui.provider.client import Provider
from ftui.term import fail
from ftui.textsafe import safe

MAX_CAPACITY = 1000


def _say(text: str) -> None:
    print(safe(text, one_line=True), file=sys.stderr, flush=True)


def _confirm(question: str, yes: bool) -> bool | None:
    """True to go on, False when the user said no, None when nobody can be asked (no terminal, no --yes)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        return None
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _line(d: Deployment) -> str:
    sku = f"{d.sku} x{d.capacity}" if d.capacity is not None else d.sku
    return f"{d.name}  {d.state}  {sku}  {d.model}"


async def _with_plane(p: Provider, work: Callable[[ControlPlane], Awaitable[int]]) -> int:
    """Open the profile's control plane, run ``work``, close; its errors become one sentence."""
    try:
        plane = ControlPlane.for_provider(p)
    except ConfigError as exc:
        return fail(str(exc))
    try:
        return await work(plane)
    except ConfigError as exc:  # the token could not be had: what to install or set
        return fail(str(exc))
    except DeployError as exc:
        return fail(str(exc), exc.exit_code)
    finally:
        await plane.aclose()


async def _model_problem(p: Provider, model: str, args: argparse.Namespace | None = None) -> str | None:
    """Why ``model`` cannot be deployed, when the data plane can tell at once (None: go on)."""
    if model.startswith(("ftchkpt", "ftckpt")):
        return None  # checkpoint ids are not models the data plane lists; the control plane checks them
    from ftui.provider.errors import is_not_found, is_sdk_error

    try:
        await p.client.models.retrieve(model)
    except Exception as exc:
        if is_not_found(exc):
            listed = ftui_command(args, "models", "list")
            return f"{model} is not a model of this provider: `{listed}` shows yours. Nothing was deployed."
        if is_sdk_error(exc):
            return None  # cannot tell here: the control plane checks it
        raise
    return None


async def deployments_create(p: Provider, args: argparse.Namespace) -> int:
    if problem := check_name(args.name):
        return fail(problem)
    if not 1 <= args.capacity <= MAX_CAPACITY:
        return fail(f"--capacity must be a whole number from 1 to {MAX_CAPACITY}, not {args.capacity}.")
    sku = SKUS[args.sku]

    async def work(plane: ControlPlane) -> int:
        if problem := await _model_problem(p, args.model, args):
            return fail(problem)
        existing = await plane.get_deployment(args.name)
        if existing is not None:
            return fail(
                f"A deployment named {args.name} already exists (serving {existing.model}, {existing.state}): "
                f"choose another --name, or remove it with `{ftui_command(args, 'deployments', 'delete', args.name)}`."
            )
        _say(
            f"Deploying {args.model} as {args.name} on {plane.resource.account}: SKU {sku}, capacity {args.capacity}. "
            "A deployment bills by the hour for as long as it exists, used or not."
        )
        answer = _confirm("Deploy it?", args.yes)
        if answer is None:
            return fail("Deploying spends money: add --yes to confirm (there is no terminal to ask). Nothing was done.")
        if not answer:
            _say("Nothing was deployed.")
            return 1
        await plane.create_deployment(args.name, args.model, sku=sku, capacity=args.capacity)
        done = await plane.wait_until_provisioned(
            args.name, on_state=None if args.json else lambda d: _say(f"deployment {d.name}: {d.state}")
        )
        if args.json:
            dump(done.as_json())
        else:
            print(safe(_line(done), one_line=True))
            if p.profile.provider == "azure":
                _say(f"chat with it: {ftui_command(args, 'chat', '--model', done.name, 'Hello')}")
        return 0

    return await _with_plane(p, work)


async def deployments_list(p: Provider, args: argparse.Namespace) -> int:
    async def work(plane: ControlPlane) -> int:
        deployments = await plane.list_deployments()
        if args.json:
            dump([d.as_json() for d in deployments])
        elif not deployments:
            print("no deployments")
        else:
            for d in deployments:
                print(safe(_line(d), one_line=True))
        return 0

    return await _with_plane(p, work)


async def deployments_delete(p: Provider, args: argparse.Namespace) -> int:
    async def work(plane: ControlPlane) -> int:
        found = await plane.get_deployment(args.name)
        if found is None:
            return fail(f"There is no deployment named {args.name} on {plane.resource.account}.", 1)
        question = f"Delete deployment {args.name} (serving {found.model})? Chat through it stops at once."
        answer = _confirm(safe(question, one_line=True), args.yes)
        if answer is None:
            return fail("Deleting needs a confirmation: add --yes (there is no terminal to ask). Nothing was deleted.")
        if not answer:
            _say("Nothing was deleted.")
            return 1
        deleted = await plane.delete_deployment(args.name)
        if args.json:
            dump({"name": args.name, "deleted": deleted})
        else:
            print(safe(f"deleted {args.name}" if deleted else f"{args.name} was already gone", one_line=True))
        return 0

    return await _with_plane(p, work)


__all__ = ["deployments_create", "deployments_delete", "deployments_list"]
