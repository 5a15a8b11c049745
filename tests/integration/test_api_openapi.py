"""The OpenAPI document declares every status each endpoint can return, with its body."""

import pytest

from app.main import create_app

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


@pytest.fixture(scope="module")
def openapi() -> dict[str, object]:
    """The schema of an app that never started: building it must not need the services."""
    return create_app().openapi()


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
