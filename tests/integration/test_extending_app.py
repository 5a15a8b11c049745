"""An application's own services reach readiness, statistics and metrics by declaration alone."""

from fastapi.testclient import TestClient

from app.main import create_app
from app.testing import isolated_settings
from containers.discovery import services
from tests.unit.test_extending import AppContainer, Mailer, NestedContainer


def test_a_failing_added_service_makes_readiness_503_under_its_own_name() -> None:
    """A subclass's `mailer` whose ping fails is named; the built-in services stay ok."""
    container = AppContainer()
    container.settings.override(isolated_settings(None))
    container.mailer.override(Mailer(host="smtp.down", fail_ping=True))
    with TestClient(create_app(container)) as client:
        response = client.get("/api/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["mailer"] == {
        "status": "error",
        "error": "ConnectionError",
        "detail": "the ping failed; the cause is in the server log",
    }
    assert all(check["status"] == "ok" for path, check in checks.items() if path != "mailer")


def test_a_nested_service_is_pinged_and_reported_under_its_path() -> None:
    """`infra.mailer` appears in readiness, `/api/stats` and `/metrics` with no list edited."""
    container = NestedContainer()
    container.settings.override(isolated_settings(None))
    with TestClient(create_app(container)) as client:
        ready = client.get("/api/ready").json()
        stats = client.get("/api/stats").json()
        metrics = client.get("/metrics").text
    assert ready["checks"]["infra.mailer"]["status"] == "ok"
    assert stats["infra.mailer"] == {"status": "ready", "host": "relay.internal"}
    assert 'wirework_service_stats_up{service="infra.mailer"} 1.0' in metrics
    assert list(stats) == [
        service.path for service in services(container) if service.path in stats
    ]  # start order
