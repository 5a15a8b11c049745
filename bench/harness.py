"""What every benchmark shares: interleaved rounds, medians, ratios to Wirework, targets.

A benchmark hands `interleave` its contenders as functions that each measure one round and
return one figure. Rounds run A B C, B C A, C A B ...: on a shared, noisy machine a slow
spell then hits every contender alike instead of whichever happened to run during it.
Throughput rounds last a fixed time (`for_seconds`), so a slow machine or a slow server
makes a round no longer, only its figure smaller.
"""

import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

WIREWORK = "wirework"
"""Name prefix of Wirework's own contender in every benchmark: ratios are taken to it."""


@dataclass(frozen=True)
class Options:
    """What the command line chose."""

    quick: bool = False
    postgres_url: str | None = None
    redis_url: str | None = None
    load_generator: str = "auto"  # auto | wrk | python

    def pick(self, full: Any, quick: Any) -> Any:
        """`quick` under `--quick`, else `full`."""
        return quick if self.quick else full

    @property
    def throughput_rounds(self) -> tuple[float, int]:
        """Seconds per contender per round and measured rounds (after one warm-up round) of
        the in-process throughput benchmarks: pool, transactions, Redis."""
        return self.pick(0.5, 0.2), self.pick(7, 3)


@dataclass(frozen=True)
class Target:
    """One line of the target column, checked against a measured value."""

    description: str
    measured: str
    met: bool
    contender: str
    """The row the target is shown on: the peer a ratio is taken to, or Wirework's own."""
    cause: str = ""
    """Why it is missed, when the cause is known and kept on purpose (shown with a miss)."""


@dataclass
class Row:
    """One contender's figures: one per measured round."""

    contender: str
    samples: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median of the rounds: how much the machine moved under us."""
        middle = self.median
        return (max(self.samples) - min(self.samples)) / middle if middle else 0.0


@dataclass
class BenchmarkResult:
    """A benchmark's table section, its targets and anything a reader must know."""

    name: str
    unit: str
    higher_is_better: bool = True
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    seconds: float = 0.0
    compare: bool = True
    """False when the rows are phases of one measurement rather than contenders."""

    def row(self, contender: str) -> Row:
        for row in self.rows:
            if row.contender == contender:
                return row
        raise KeyError(contender)

    @property
    def wirework(self) -> Row | None:
        return next((row for row in self.rows if row.contender.startswith(WIREWORK)), None)

    def ratio(self, row: Row, to: Row | None = None) -> float | None:
        """How Wirework (or `to`) compares with `row`: above 1 means it is better."""
        reference = to if to is not None else self.wirework
        if not self.compare or reference is None or not row.median or not reference.median:
            return None
        if self.higher_is_better:
            return reference.median / row.median
        return row.median / reference.median

    def target(
        self,
        description: str,
        measured: float,
        met: bool,
        unit: str = "x",
        *,
        contender: str = "",
        cause: str = "",
    ) -> None:
        """Record a target with the figure it was judged on (shown on Wirework's row)."""
        figure = f"{measured:.2f}x" if unit == "x" else f"{measured:,.2f} {unit}"
        if not contender:
            contender = self.wirework.contender if self.wirework is not None else ""
        self.targets.append(Target(description, figure, met, contender, cause))

    def ratio_target(
        self,
        contender: str,
        at_least: float,
        to: str | None = None,
        description: str = "",
        cause: str = "",
    ) -> None:
        """`Wirework >= at_least x contender` (or `to >= ...`), judged on the medians."""
        reference = self.row(to) if to is not None else self.wirework
        ratio = self.ratio(self.row(contender), reference)
        who = to if to is not None else "wirework"
        description = description or f"{who} >= {at_least:g}x {contender}"
        met = ratio is not None and ratio >= at_least
        self.target(description, ratio or 0.0, met, contender=contender, cause=cause)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "skipped": self.skipped,
            "seconds": round(self.seconds, 1),
            "rows": [
                {
                    "contender": row.contender,
                    "median": row.median,
                    "ratio": self.ratio(row),
                    "spread": round(row.spread, 3),
                    "samples": row.samples,
                    "note": row.note,
                }
                for row in self.rows
            ],
            "targets": [
                {
                    "target": t.description,
                    "measured": t.measured,
                    "met": t.met,
                    "contender": t.contender,
                }
                for t in self.targets
            ],
            "notes": self.notes,
        }


def log(message: str) -> None:
    """Progress on stderr, so stdout carries only the table."""
    print(message, file=sys.stderr, flush=True)


def _rounds_table(
    names: Sequence[str], rounds: int, warmup: int
) -> Iterator[tuple[int, str, bool]]:
    """Each round in a rotated order (A B C, B C A, C A B, ...): every contender runs first,
    and right after each other one, equally often, so neither a cold start nor the garbage a
    heavy neighbour leaves behind falls on the same contender every round."""
    for round_number in range(warmup + rounds):
        shift = round_number % len(names) if names else 0
        for name in [*names[shift:], *names[:shift]]:
            yield round_number, name, round_number < warmup


def interleave(
    contenders: Sequence[tuple[str, Callable[[], float]]], *, rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run `warmup` discarded rounds, then `rounds` measured ones, contenders in turn."""
    measure = dict(contenders)
    samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _, name, discarded in _rounds_table(list(measure), rounds, warmup):
        figure = measure[name]()
        if not discarded:
            samples[name].append(figure)
    return samples


async def interleave_async(
    contenders: Sequence[tuple[str, Callable[[], Awaitable[float]]]],
    *,
    rounds: int,
    warmup: int = 1,
) -> dict[str, list[float]]:
    """`interleave` for contenders that measure a round on the running event loop."""
    measure = dict(contenders)
    samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
    for _, name, discarded in _rounds_table(list(measure), rounds, warmup):
        figure = await measure[name]()
        if not discarded:
            samples[name].append(figure)
    return samples


def for_seconds(
    operation: Callable[[], Awaitable[Any]], seconds: float, tasks: int = 1
) -> Callable[[], Awaitable[float]]:
    """One round: `tasks` concurrent workers repeat `operation` until `seconds` have passed
    (each finishes the operation it started); operations per second."""

    async def measure() -> float:
        done = 0
        clock = time.perf_counter
        started = clock()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal done
            while clock() < deadline:
                await operation()
                done += 1

        await asyncio.gather(*(worker() for _ in range(tasks)))
        return done / (clock() - started)

    return measure


Closer = Callable[[], Awaitable[None]]
Subject = TypeVar("Subject")


async def compare_async(
    result: BenchmarkResult,
    builders: dict[str, Callable[[], Awaitable[tuple[Subject, Closer]]]],
    measure: Callable[[Subject], Callable[[], Awaitable[float]]],
    rounds: int,
) -> None:
    """Build each contender (in order), measure them interleaved into `result`, close them all.

    A builder returns what `measure` turns into one round, and how to close it.
    """
    closers: list[Closer] = []
    contenders = []
    try:
        for name, build in builders.items():
            subject, close = await build()
            closers.append(close)
            contenders.append((name, measure(subject)))
        result.rows = rows_from(await interleave_async(contenders, rounds=rounds))
    finally:
        for close in closers:
            await close()


def rows_from(samples: dict[str, list[float]], notes: dict[str, str] | None = None) -> list[Row]:
    notes = notes or {}
    return [Row(name, figures, notes.get(name, "")) for name, figures in samples.items()]


def run_async(main: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a benchmark's coroutine on uvloop when installed (what uvicorn serves on)."""
    loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None
    with contextlib.suppress(ImportError):
        import uvloop  # noqa: PLC0415 (optional: uvicorn[standard] brings it)

        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(main())


@contextlib.contextmanager
def timed(result: BenchmarkResult) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        result.seconds = time.perf_counter() - started
