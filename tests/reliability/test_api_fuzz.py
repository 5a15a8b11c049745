"""Property-based API testing: schemathesis drives every operation of the live app.

Each operation of the OpenAPI document gets generated requests, valid and invalid, against
the application with its lifespan running (schemathesis starts it on the first call and
ends it with the test). Every response must pass schemathesis's default checks (no server
error, a documented status, a body matching its schema, invalid data rejected, valid data
accepted, ...) and this module's own: nothing in it leaks a traceback, SQL, a path or the
API key.

`make test` runs `FUZZ_EXAMPLES` (default 10) examples per operation; `make fuzz` runs
many more by setting `WIREWORK_FUZZ_EXAMPLES`.
"""

import os

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydantic import EmailStr, TypeAdapter, ValidationError
from schemathesis.config import SchemathesisConfig

from app.main import create_app
from app.testing import isolated_settings
from containers import Container
from tests.servers import PROJECT_ROOT

FUZZ_EXAMPLES = int(os.environ.get("WIREWORK_FUZZ_EXAMPLES", "10"))
KEY = "fuzz-key-" + "0123456789abcdef" * 2

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

container = Container()
container.settings.override(isolated_settings(None, api_key=KEY))  # built once, at import
app = create_app(container)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    app,
    config=SchemathesisConfig.from_dict({"auth": {"openapi": {"ApiKey": {"api_key": KEY}}}}),
)

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
)


def nothing_leaks(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """No response carries a traceback, SQL, a file path or the API key."""
    leaked = [marker for marker in LEAK_MARKERS if marker in response.text]
    if leaked:
        raise AssertionError(f"the response leaks {leaked}")


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_holds_to_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(additional_checks=[nothing_leaks])
