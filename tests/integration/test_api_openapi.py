"""The OpenAPI document declares every status each endpoint can return, with its body.

It declares the API key (the scheme, `security`, the 401s and 403s) exactly when the server
enforces one, so a client generated from it, or schemathesis, expects what the server does;
the sign-in (OAuth2 password flow) is always declared, as `/api/users/me` always needs it.
"""

from typing import Any, Final

import pytest

from app.main import create_app
from app.testing import isolated_settings
from containers import Container

API_KEY = "k" * 16

EXPECTED = {
    ("get", "/api/health"): {"200"},
    ("get", "/api/ready"): {"200", "503"},
    ("get", "/api/stats"): {"200", "401", "500"},
    ("post", "/api/auth/token"): {"200", "401", "422", "429", "500", "503"},
    ("get", "/api/users/me"): {"200", "401", "500", "503"},
    ("post", "/api/users"): {"201", "400", "401", "403", "409", "413", "422", "500", "503"},
    ("get", "/api/users"): {"200", "401", "403", "422", "500", "503"},
    ("get", "/api/users/{user_id}"): {"200", "401", "403", "404", "422", "500", "503"},
    ("patch", "/api/users/{user_id}"): {
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "422",
        "500",
        "503",
    },
    ("delete", "/api/users/{user_id}"): {"204", "401", "403", "404", "422", "500", "503"},
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
        "is_admin",
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


SIGNED_IN: Final = [{"OAuth2PasswordBearer": []}]


def test_the_sign_in_is_the_password_flow(openapi: dict[str, Any]) -> None:
    """Swagger UI's Authorize dialog asks for an e-mail and a password and posts them here."""
    scheme = openapi["components"]["securitySchemes"]["OAuth2PasswordBearer"]
    assert scheme == {
        "type": "oauth2",
        "flows": {"password": {"scopes": {}, "tokenUrl": "/api/auth/token"}},
    }


def test_the_key_is_declared_on_exactly_the_guarded_operations(
    openapi: dict[str, object],
) -> None:
    for path, operations in openapi["paths"].items():  # type: ignore[attr-defined]
        for method, operation in operations.items():
            expected = None
            if path == "/api/users/me":
                expected = SIGNED_IN
            elif path.startswith("/api/users"):
                expected = [{"ApiKey": []}, *SIGNED_IN]
            elif path == "/api/stats":
                expected = [{"ApiKey": []}]
            assert operation.get("security") == expected, (method, path)


def test_an_open_server_declares_no_key(open_openapi: dict[str, Any]) -> None:
    """With no APP_API_KEY nothing asks for the key, so the document must not either; only
    `/api/users/me` needs a token."""
    assert "ApiKey" not in open_openapi["components"]["securitySchemes"]
    for path, operations in open_openapi["paths"].items():
        for method, operation in operations.items():
            me = path == "/api/users/me"
            assert operation.get("security") == (SIGNED_IN if me else None), (method, path)
            refused = set() if me or path == "/api/auth/token" else {"401", "403"}
            assert set(operation["responses"]) == EXPECTED[(method, path)] - refused, path


def test_every_response_declares_its_request_id(openapi: dict[str, Any]) -> None:
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                assert "X-Request-ID" in response.get("headers", {}), (path, method, status)


def test_headers_the_users_api_sends_are_declared(openapi: dict[str, Any]) -> None:
    users = openapi["paths"]["/api/users"]
    assert users["post"]["responses"]["201"]["headers"]["Location"]["required"] is True
    total = users["get"]["responses"]["200"]["headers"]["X-Total-Count"]
    assert total["schema"]["type"] == "integer"
    assert "Retry-After" in users["get"]["responses"]["503"]["headers"]
    sign_in = openapi["paths"]["/api/auth/token"]["post"]["responses"]
    assert "Retry-After" in sign_in["429"]["headers"]
