"""Start-up: import + `create_app()` + resources initialised, in a fresh interpreter.

Each round starts a new Python process that imports `app.main`, builds an app with
`create_app()` and runs its lifespan up to the point where it would serve (settings read,
pool opened, schema migrated on a new SQLite file, cache and scheduler started). The
process times its own phases; the interpreter's own start is reported beside them.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import BenchmarkResult, Options, Row, interleave, timed

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import time
started = time.perf_counter()
import asyncio, json
from app.main import create_app
imported = time.perf_counter()
app = create_app()
created = time.perf_counter()

async def start():
    async with app.router.lifespan_context(app):
        return time.perf_counter()

ready = asyncio.run(start())
print(json.dumps({"import": imported - started, "create_app": created - imported,
                  "resources": ready - created, "total": ready - started}))
"""

TOTAL = "wirework: import + create_app() + resources"


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("start-up: import + create_app() + resources, fresh process", "ms")
    result.higher_is_better = False
    result.compare = False
    rounds = options.pick(7, 3)
    phases: dict[str, list[float]] = {"import": [], "create_app": [], "resources": []}
    process_times: list[float] = []

    with timed(result), tempfile.TemporaryDirectory(prefix="wirework-bench-start-") as folder:
        counter = iter(range(1_000_000))

        def once() -> float:
            # Bytecode is cached as on any server (the warm-up round writes it), even where
            # the environment sets PYTHONDONTWRITEBYTECODE.
            env = {
                key: value
                for key, value in os.environ.items()
                if not key.startswith("APP_") and key != "PYTHONDONTWRITEBYTECODE"
            }
            env["APP_DATABASE__URL"] = f"sqlite:///{folder}/start{next(counter)}.db"
            started = time.perf_counter()
            output = subprocess.run(
                [sys.executable, "-c", PROBE],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            process_times.append((time.perf_counter() - started) * 1e3)
            figures = json.loads(output)
            for phase, values in phases.items():
                values.append(figures[phase] * 1e3)
            return float(figures["total"]) * 1e3

        samples = interleave([(TOTAL, once)], rounds=rounds)
    warmups = len(process_times) - rounds  # the warm-up round also appended its phases
    result.rows = [Row(TOTAL, samples[TOTAL])]
    result.rows += [
        Row(f"  of which {phase}", values[warmups:]) for phase, values in phases.items()
    ]
    result.rows.append(
        Row("  whole process, interpreter start and exit included", process_times[warmups:])
    )
    total = result.row(TOTAL).median
    result.target("start-up < 300 ms", total, total < 300, "ms")
    result.notes.append(
        f"{rounds} fresh processes after one warm-up (file cache and bytecode warm); migrations "
        "run on a new SQLite file each time"
    )
    return result
