"""Property-based API testing: schemathesis drives every operation of the live app.

Each operation of the OpenAPI document gets generated requests, valid and invalid, against
the application with its lifespan running (schemathesis starts it on the first call and
ends it with the test). Every response must pass schemathesis's default checks (no server
error, a documented status, a body matching its schema, invalid data rejected, valid data
accepted, ...) and this module's own: nothing in it leaks a traceback, SQL, a path, the
API key or an access token. It runs twice: with the API key, and with an admin's bearer
token alone (the admin's id is out of the fuzzer's reach, so it cannot delete itself).

`make test` runs `FUZZ_EXAMPLES` (default 10) examples per operation; `make fuzz` runs
many more by setting `WIREWORK_FUZZ_EXAMPLES`.
"""

import asyncio
import atexit
import os
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydantic import EmailStr, TypeAdapter, ValidationError
from schemathesis.config import SchemathesisConfig

from app.main import create_app
from app.testing import isolated_settings
from config import Settings
from containers import Container
from providers.auth import TokenService
from providers.database import DatabaseService
from tests.servers import PROJECT_ROOT

FUZZ_EXAMPLES = int(os.environ.get("WIREWORK_FUZZ_EXAMPLES", "10"))
KEY = "fuzz-key-" + "0123456789abcdef" * 2
ADMIN_ID = 987_654_321

_EMAIL = TypeAdapter(EmailStr)


def _accepted_email(address: str) -> bool:
    try:
        _EMAIL.validate_python(address)
    except ValidationError:
        return False
    return True


# `format: email` as the API documents it: the syntax, at a globally routable domain
# (the schema's description says special-use names such as `.test` are refused).
schemathesis.openapi.format("email", st.emails().filter(_accepted_email))


def app_on(settings: Settings, config: dict[str, object]) -> schemathesis.BaseSchema:
    """The schema of an application on `settings` (built once, at import)."""
    container = Container()
    container.settings.override(settings)
    app = create_app(container)
    return schemathesis.openapi.from_asgi(
        "/openapi.json", app, config=SchemathesisConfig.from_dict(config)
    )


async def _store_admin(url: str) -> None:
    database = DatabaseService(url)
    await database.initialize()
    await database.execute_query(
        "INSERT INTO users (id, username, email, is_admin, created_at, updated_at)"
        " VALUES (:id, 'root', 'root@example.com', 1, 0, 0)",
        {"id": ADMIN_ID},
    )
    await database.close()


def admin_token(directory: Path) -> tuple[Settings, str]:
    """Settings on a database holding an admin, and a bearer token of that admin."""
    auth = {"token_secret": "fuzz-secret-" + "fedcba9876543210" * 2, "token_lifetime": 86_400}
    settings = isolated_settings(directory, api_key=KEY, auth=auth)
    asyncio.run(_store_admin(settings.database.url))
    return settings, TokenService(settings.auth.token_secret, 86_400).issue(ADMIN_ID, 0)


schema = app_on(
    isolated_settings(None, api_key=KEY), {"auth": {"openapi": {"ApiKey": {"api_key": KEY}}}}
)
_directory = tempfile.mkdtemp(prefix="wirework-fuzz-")
atexit.register(shutil.rmtree, _directory, ignore_errors=True)
_signed_in_settings, TOKEN = admin_token(Path(_directory))
signed_in_schema = app_on(_signed_in_settings, {})

LEAK_MARKERS = (
    "Traceback",
    'File "',
    "sqlite3",
    "asyncpg",
    "SELECT ",
    "INSERT INTO",
    "UPDATE users",
    "site-packages",
    str(PROJECT_ROOT),
    KEY,
    TOKEN,
)


def nothing_leaks(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """No response carries a traceback, SQL, a file path, the API key or the token."""
    leaked = [marker for marker in LEAK_MARKERS if marker in response.text]
    if leaked:
        raise AssertionError(f"the response leaks {leaked}")


def token_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """The admin's token opens every users operation: the run exercises them signed in."""
    if case.path.startswith("/api/users") and response.status_code == 401:
        raise AssertionError(f"the admin's token was refused: {response.text}")


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(additional_checks=[nothing_leaks])


@signed_in_schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_its_schema_for_a_signed_in_admin(
    case: schemathesis.Case,
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    case.call_and_validate(headers=headers, additional_checks=[nothing_leaks, token_accepted])
