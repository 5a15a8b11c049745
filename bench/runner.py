"""`python -m bench [--quick]`: run every benchmark, print one table, write latest.json."""

import argparse
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Final

from bench import (
    cache,
    http,
    injection,
    instructions,
    memory,
    pool,
    redis_cache,
    scheduler,
    startup,
    transactions,
)
from bench.harness import BenchmarkResult, Options, log
from bench.load import generator

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "latest.json"
README = HERE / "README.md"
TABLE_START = "<!-- latest table: start -->"
TABLE_END = "<!-- latest table: end -->"

BENCHMARKS: dict[str, Callable[[Options], BenchmarkResult | list[BenchmarkResult]]] = {
    "cache": cache.run,
    "cache-growth": cache.run_growth,
    "pool": pool.run_sqlite,
    "postgres": pool.run_postgres,
    "transactions": transactions.run,
    "redis": redis_cache.run,
    "http": http.run,
    "injection": injection.run,
    "instructions": instructions.run,
    "scheduler": scheduler.run,
    "startup": startup.run,
    "memory": memory.run,
}

LEFT_OUT_OF_QUICK: Final = ("cache-growth", "instructions")
"""What `--quick` runs only when named in `--only`: filling a cache with a million entries and
starting servers under valgrind take longer than the whole quick run may."""

PEERS = (
    "aiocache",
    "cashews",
    "cachetools",
    "sqlalchemy",
    "apscheduler",
    "aiosqlite",
    "asyncpg",
    "fastapi",
    "uvicorn",
    "dependency-injector",
    "redis",
)


def _figure(value: float, unit: str) -> str:
    if value >= 1_000:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def table(results: Sequence[BenchmarkResult]) -> str:
    """One Markdown table: every contender's median, Wirework vs it, and the targets."""
    lines = [
        "| benchmark | contender | median | Wirework vs this | spread | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for result in results:
        if result.skipped is not None:
            lines.append(f"| {result.name} | skipped: {result.skipped} | | | | | |")
            continue
        for index, row in enumerate(result.rows):
            ratio = result.ratio(row)
            shown_ratio = f"{ratio:.2f}x" if ratio is not None else ""
            targets = [t for t in result.targets if t.contender == row.contender]
            name = result.name if index == 0 else ""
            note = f" ({row.note})" if row.note else ""
            figure = _figure(row.median, result.unit)
            spread = f"{row.spread:.0%}"
            if not targets:
                lines.append(
                    f"| {name} | {row.contender}{note} | {figure} | {shown_ratio} | {spread} | | |"
                )
            for number, target in enumerate(targets):
                cells = (
                    (name, f"{row.contender}{note}", figure, shown_ratio, spread)
                    if number == 0
                    else ("", "", "", "", "")
                )
                verdict = (
                    f"yes ({target.measured})" if target.met else f"**no** ({target.measured})"
                )
                lines.append(f"| {' | '.join(cells)} | {target.description} | {verdict} |")
    return "\n".join(lines)


def notes(results: Sequence[BenchmarkResult]) -> str:
    """How each benchmark ran (rounds, seconds) and anything unexpected, one item each."""
    return "\n".join(
        f"- {result.name}: {'; '.join(result.notes)}" for result in results if result.notes
    )


def _load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _versions() -> dict[str, str]:
    found = {}
    for name in PEERS:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _write_readme(text: str, header: str) -> None:
    content = README.read_text()
    pattern = re.compile(re.escape(TABLE_START) + ".*?" + re.escape(TABLE_END), re.DOTALL)
    replacement = f"{TABLE_START}\n{header}\n\n{text}\n{TABLE_END}"
    README.write_text(pattern.sub(lambda _: replacement, content))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds (< 60 s)")
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="PostgreSQL for the pool benchmark (default: $APP_TEST_POSTGRES_URL; else skipped)",
    )
    parser.add_argument(
        "--redis-url",
        default=None,
        help="Redis for the Redis cache benchmark (default: $APP_TEST_REDIS_URL; else skipped)",
    )
    parser.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="HTTP load from wrk or the Python client (auto: wrk when installed)",
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}"
    )
    parser.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    parser.add_argument(
        "--write-readme", action="store_true", help="also put the table into bench/README.md"
    )
    arguments = parser.parse_args(argv)
    options = Options(
        quick=arguments.quick,
        postgres_url=arguments.postgres_url,
        redis_url=arguments.redis_url,
        load_generator=arguments.load_generator,
    )
    chosen = [name.strip() for name in arguments.only.split(",") if name.strip()] or [
        name for name in BENCHMARKS if not (options.quick and name in LEFT_OUT_OF_QUICK)
    ]
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")

    load_before = _load_average()
    started = time.perf_counter()
    results: list[BenchmarkResult] = []
    for name in chosen:
        log(f"{name} ...")
        outcome = BENCHMARKS[name](options)
        produced = outcome if isinstance(outcome, list) else [outcome]
        results.extend(produced)
        seconds = sum(result.seconds for result in produced)
        log(f"{name}: {seconds:.1f} s" + "".join(f" ({r.skipped})" for r in produced if r.skipped))
    elapsed = time.perf_counter() - started

    missed = [
        f"{result.name}: {t.description} ({t.measured})" + (f". Why: {t.cause}" if t.cause else "")
        for result in results
        for t in result.targets
        if not t.met
    ]
    text = table(results)
    how = notes(results)
    if how:
        text += "\n\nHow each ran:\n\n" + how
    if missed:
        text += "\n\nTargets missed:\n\n" + "\n".join(f"- {line}" for line in missed)
    mode = "quick" if options.quick else "full"
    header = (
        f"{mode} run, {datetime.now(UTC):%Y-%m-%d}, {elapsed:.0f} s, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average {load_before:.1f} before and {_load_average():.1f} after, "
        f"HTTP load from {generator(options.load_generator)}"
    )
    if options.quick and not arguments.only:
        header += f"; left out: {', '.join(LEFT_OUT_OF_QUICK)} (name it in --only to run it)"
    print(header)
    print()
    print(text)
    print()
    print(f"targets missed: {len(missed)}")

    report: dict[str, Any] = {
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "seconds": round(elapsed, 1),
        "python": sys.version,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": _load_average()},
        "load_generator": generator(options.load_generator),
        "versions": _versions(),
        "benchmarks": [result.to_json() for result in results],
    }
    arguments.json.parent.mkdir(parents=True, exist_ok=True)
    arguments.json.write_text(json.dumps(report, indent=2) + "\n")
    log(f"wrote {arguments.json}")
    if arguments.write_readme:
        _write_readme(text, header)
        log(f"updated {README}")
    return 0
