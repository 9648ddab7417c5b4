"""Fault injection for tests: ``429=0.2,500=0.1,drop=0.05,slow=0.1:2.0,streak=3,seed=7``.

Each request draws once: a 429 with Retry-After, a 500, a connection dropped mid-response,
or a response delayed by the given seconds, each with its probability. With ``streak=N`` a
drawn fault repeats on the next N-1 requests to the same route (an outage long enough to
outlast a client's retries). Each route draws from its own generator, seeded from ``seed``
and the route, so the k-th request to a route meets the same fault in every run, however
requests to other routes interleave.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass

ENV = "FTUI_SANDBOX_FAULTS"


class FaultSpecError(ValueError):
    """The fault spec string is malformed."""


@dataclass(frozen=True, slots=True)
class Draw:
    """What happens to one request."""

    kind: str | None = None  # "429", "500", "drop" or None
    delay: float = 0.0


def _probability(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise ValueError(text)
    return value


class Faults:
    """Parses a spec and draws a fault per request from a seeded generator."""

    def __init__(self, spec: str | None = None) -> None:
        self.p429 = self.p500 = self.pdrop = self.pslow = 0.0
        self.slow_seconds = 1.0
        self.streak = 1
        seed: int | None = None
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            key, _, value = part.partition("=")
            try:
                if key == "429":
                    self.p429 = _probability(value)
                elif key == "500":
                    self.p500 = _probability(value)
                elif key == "drop":
                    self.pdrop = _probability(value)
                elif key == "slow":
                    prob, _, secs = value.partition(":")
                    self.pslow = _probability(prob)
                    self.slow_seconds = float(secs) if secs else 1.0
                    if not 0 <= self.slow_seconds <= 600:
                        raise ValueError(secs)
                elif key == "streak":
                    self.streak = int(value)
                    if not 1 <= self.streak <= 100:
                        raise ValueError(value)
                elif key == "seed":
                    seed = int(value)
                else:
                    raise FaultSpecError(f"unknown fault {key!r} (use 429, 500, drop, slow, streak, seed)")
            except ValueError as exc:
                if isinstance(exc, FaultSpecError):
                    raise
                raise FaultSpecError(
                    f"bad value in fault spec part {part!r} (probabilities are numbers from 0 to 1, "
                    "slow seconds from 0 to 600, streak from 1 to 100)"
                ) from exc
        self.seed = seed
        self._rngs: dict[str, random.Random] = {}
        self._repeat: dict[str, tuple[str, int]] = {}  # route -> (fault kind, requests still to fail)

    @classmethod
    def from_env(cls) -> Faults:
        """The faults ``$FTUI_SANDBOX_FAULTS`` asks for; FaultSpecError naming the variable if malformed."""
        try:
            return cls(os.environ.get(ENV))
        except FaultSpecError as exc:
            raise FaultSpecError(f"${ENV}: {exc}") from exc

    @property
    def active(self) -> bool:
        return any((self.p429, self.p500, self.pdrop, self.pslow))

    def _rng(self, route: str) -> random.Random:
        rng = self._rngs.get(route)
        if rng is None:
            rng = self._rngs[route] = random.Random(None if self.seed is None else f"{self.seed}:{route}")
        return rng

    def draw(self, route: str = "") -> Draw:
        """What happens to the next request to ``route`` (e.g. ``GET /v1/models``)."""
        if not self.active:
            return Draw()
        rng = self._rng(route)
        delay = self.slow_seconds if rng.random() < self.pslow else 0.0
        repeat = self._repeat.pop(route, None)
        if repeat is not None:
            kind, left = repeat
            if left > 1:
                self._repeat[route] = (kind, left - 1)
            return Draw(kind, delay)
        r = rng.random()
        for kind, p in (("429", self.p429), ("500", self.p500), ("drop", self.pdrop)):
            if r < p:
                if self.streak > 1:
                    self._repeat[route] = (kind, self.streak - 1)
                return Draw(kind, delay)
            r -= p
        return Draw(None, delay)
