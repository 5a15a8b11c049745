"""The OpenAPI document declares every status each endpoint can return, with its body.

It declares the API key (the scheme, `security`, the 401s) exactly when the server enforces
one, so a client generated from it, or schemathesis, expects what the server does.
"""

from typing import Any

import pytest

from app.main import create_app
from app.testing import isolated_settings
from containers import Container

API_KEY = "k" * 16

EXPECTED = {
    ("get", "/api/health"): {"200"},
    ("get", "/api/ready"): {"200", "503"},
    ("get", "/api/stats"): {"200", "401", "500"},
    ("post", "/api/users"): {"201", "400", "401", "409", "413", "422", "500", "503"},
    ("get", "/api/users"): {"200", "401", "422", "500", "503"},
    ("get", "/api/users/{user_id}"): {"200", "401", "404", "422", "500", "503"},
    ("patch", "/api/users/{user_id}"): {
        "200",
        "400",
        "401",
        "404",
        "409",
        "413",
        "422",
        "500",
        "503",
    },
    ("delete", "/api/users/{user_id}"): {"204", "401", "404", "422", "500", "503"},
    ("get", "/metrics"): {"200"},
}


def schema_of_app(**settings: Any) -> dict[str, Any]:
    """The schema of an app that never started: building it must not need the services."""
    container = Container()
    container.settings.override(isolated_settings(None, **settings))
    return create_app(container).openapi()


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    """The schema of a server that asks for a key: the most it can answer."""
    return schema_of_app(api_key=API_KEY)


@pytest.fixture(scope="module")
def open_openapi() -> dict[str, Any]:
    """The schema of a server with no key, as `make run` starts it."""
    return schema_of_app()


@pytest.mark.parametrize(("method", "path"), list(EXPECTED))
def test_every_status_is_declared(openapi: dict[str, object], method: str, path: str) -> None:
    operation = openapi["paths"][path][method]  # type: ignore[index]
    assert set(operation["responses"]) == EXPECTED[(method, path)]


def test_no_undocumented_endpoints(openapi: dict[str, object]) -> None:
    documented = {
        (method, path)
        for path, operations in openapi["paths"].items()  # type: ignore[attr-defined]
        for method in operations
    }
    assert documented == set(EXPECTED)


def test_errors_use_the_error_model(openapi: dict[str, object]) -> None:
    for path, operations in openapi["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and (path, status) != ("/api/ready", "503"):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (
                        method,
                        path,
                        status,
                    )


def test_user_schemas_never_expose_a_password(openapi: dict[str, object]) -> None:
    schemas = openapi["components"]["schemas"]  # type: ignore[index]
    assert set(schemas["UserPublic"]["properties"]) == {
        "id",
        "username",
        "email",
        "is_active",
        "created_at",
    }
    assert schemas["UserCreate"]["properties"]["password"]["writeOnly"] is True
    assert schemas["UserCreate"]["additionalProperties"] is False


def test_the_api_key_scheme_is_documented(openapi: dict[str, object]) -> None:
    scheme = openapi["components"]["securitySchemes"]["ApiKey"]  # type: ignore[index]
    assert scheme == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "Needed on /api/users* and /api/stats when the server sets APP_API_KEY.",
    }


def test_the_key_is_declared_on_exactly_the_guarded_operations(
    openapi: dict[str, object],
) -> None:
    for path, operations in openapi["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            guarded = path.startswith("/api/users") or path == "/api/stats"
            expected = [{"ApiKey": []}] if guarded else None
            assert operation.get("security") == expected, (method, path)


def test_an_open_server_declares_no_key(open_openapi: dict[str, Any]) -> None:
    """With no APP_API_KEY nothing asks for the key, so the document must not either."""
    assert "securitySchemes" not in open_openapi.get("components", {})
    for path, operations in open_openapi["paths"].items():
        for method, operation in operations.items():
            assert "security" not in operation, (method, path)
            expected = EXPECTED[(method, path)] - {"401"}
            assert set(operation["responses"]) == expected, (method, path)
