"""Start-up: import + `create_app()` + resources initialised, in a fresh interpreter.

Each round starts a new Python process that imports `app.main`, builds an app with
`create_app()` and runs its lifespan up to the point where it would serve (settings read,
pool opened, schema migrated on a new SQLite file, cache and scheduler started). The
process times its own phases; the interpreter's own start is reported beside them. In the
same rounds, interleaved, fresh processes time `import fastapi` alone and a two-route
FastAPI app with a pydantic model, imported and built: what any FastAPI application pays
(its first route with a model loads more of FastAPI and pydantic than the import does;
`--quick` leaves it out).
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

FASTAPI_PROBE = """
import time
started = time.perf_counter()
import fastapi
print(time.perf_counter() - started)
"""

MINIMAL_PROBE = """
import time
started = time.perf_counter()
from fastapi import FastAPI
from pydantic import BaseModel

class User(BaseModel):
    id: int
    username: str

app = FastAPI()

@app.get("/api/users/{user_id}")
async def get_user(user_id: int) -> User:
    return User(id=user_id, username="ada")

@app.post("/api/users")
async def create_user(user: User) -> User:
    return user

print(time.perf_counter() - started)
"""

TOTAL = "wirework: import + create_app() + resources"
IMPORT = "  of which import"
FASTAPI = "import fastapi alone"
MINIMAL = "FastAPI app with two pydantic routes: import + build"


def run(options: Options) -> BenchmarkResult:
    result = BenchmarkResult("start-up: import + create_app() + resources, fresh process", "ms")
    result.higher_is_better = False
    result.compare = False
    rounds = options.pick(7, 3)
    phases: dict[str, list[float]] = {"import": [], "create_app": [], "resources": []}
    process_times: list[float] = []

    with timed(result), tempfile.TemporaryDirectory(prefix="wirework-bench-start-") as folder:
        counter = iter(range(1_000_000))
        # Bytecode is cached as on any server (the warm-up round writes it), even where the
        # environment sets PYTHONDONTWRITEBYTECODE.
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("APP_") and key != "PYTHONDONTWRITEBYTECODE"
        }

        def probe(code: str, **extra_env: str) -> str:
            return subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                env={**env, **extra_env},
                capture_output=True,
                text=True,
                check=True,
            ).stdout

        def once() -> float:
            started = time.perf_counter()
            database = f"sqlite:///{folder}/start{next(counter)}.db"
            output = probe(PROBE, APP_DATABASE__URL=database)
            process_times.append((time.perf_counter() - started) * 1e3)
            figures = json.loads(output)
            for phase, values in phases.items():
                values.append(figures[phase] * 1e3)
            return float(figures["total"]) * 1e3

        def timed_by_itself(code: str) -> float:
            return float(probe(code)) * 1e3

        contenders = [(TOTAL, once), (FASTAPI, lambda: timed_by_itself(FASTAPI_PROBE))]
        if not options.quick:
            contenders.append((MINIMAL, lambda: timed_by_itself(MINIMAL_PROBE)))
        once()  # warm-up: file cache and bytecode, FastAPI's included (app.main imports it)
        samples = interleave(contenders, rounds=rounds, warmup=0)
    warmups = len(process_times) - rounds  # the warm-up also appended its phases
    result.rows = [Row(TOTAL, samples[TOTAL])]
    result.rows += [
        Row(f"  of which {phase}", values[warmups:]) for phase, values in phases.items()
    ]
    result.rows.append(
        Row("  whole process, interpreter start and exit included", process_times[warmups:])
    )
    result.rows += [Row(name, figures) for name, figures in samples.items() if name != TOTAL]
    total = result.row(TOTAL).median
    cause = (
        "FastAPI's own import (its row) is most of the budget, FastAPI imports pydantic.v1 "
        "when it builds the routes, and dependency-injector's wiring module loads werkzeug "
        "when it is installed (the test extra installs it)"
    )
    result.target("start-up < 200 ms", total, total < 200, "ms", cause=cause)
    imported = result.row(IMPORT).median / result.row(FASTAPI).median
    result.target(
        "import app.main <= 1.2x import fastapi alone",
        imported,
        imported <= 1.2,
        contender=IMPORT,
        cause=cause,
    )
    result.notes.append(
        f"{rounds} fresh processes each after one warm-up of the app (file cache and bytecode "
        "warm), the kinds interleaved (--quick leaves out the two-route app); migrations run "
        "on a new SQLite file each time"
    )
    return result
