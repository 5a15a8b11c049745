"""`/status` and its panel over HTTP: what each service's probe shows, and who may see it."""

import asyncio
from typing import Any
from unittest.mock import MagicMock

import httpx
import pytest
from fastapi import FastAPI

from app.lifespan_guard import LIFESPAN_NOT_RUNNING
from app.status_page.snapshot import State, display, take_snapshot
from containers import Container, override_services
from containers.discovery import services
from providers.background import BackgroundService
from providers.cache import CacheService
from providers.database import DatabaseService
from tests.helpers import fake

API_KEY = "status-test-key-" + "Zr4k9PqW" * 3


def reports(snapshot: Any) -> dict[str, Any]:
    return {report.path: report for report in snapshot.services}


class TestSnapshot:
    async def test_started_services_are_ok_with_their_figures(self, container: Container) -> None:
        await container.init_resources()
        try:
            found = reports(await take_snapshot(container, timeout=2))
        finally:
            await container.shutdown_resources()
        # Every service of the container, whatever an application added to it.
        assert {path: report.state for path, report in found.items()} == {
            service.path: State.OK for service in services(container)
        }
        database = dict(found["database"].figures)
        assert list(database)[:5] == [
            "status",
            "in_use_connections",
            "available_connections",
            "waiting",
            "acquire_timeouts",
        ]
        assert dict(found["cache"].figures)["hit_rate"] == "0.0%"

    async def test_services_not_started_are_never_started_by_a_look(
        self, container: Container
    ) -> None:
        found = reports(await take_snapshot(container, timeout=2))
        assert found["database"].state is State.NOT_STARTED
        assert not container.database.initialized

    async def test_failing_timed_out_and_figureless_services(self, container: Container) -> None:
        """Each failure stays on its own card: type, detail, and no figures."""
        failing = fake(DatabaseService)
        failing.ping.side_effect = ConnectionError("refused")
        hung = fake(CacheService)
        hung.ping.side_effect = asyncio.Event().wait
        broken_stats = fake(BackgroundService)
        broken_stats.get_stats.side_effect = RuntimeError("boom")
        with override_services(container, database=failing, cache=hung, background=broken_stats):
            found = reports(await take_snapshot(container, timeout=0.05))
        assert (found["database"].state, found["database"].error) == (
            State.FAILING,
            "ConnectionError",
        )
        assert found["database"].detail == "refused"
        assert found["database"].figures == ()
        assert (found["cache"].state, found["cache"].detail) == (
            State.TIMED_OUT,
            "no answer within 0.05 s",
        )
        assert (found["background"].state, found["background"].error) == (State.OK, "RuntimeError")

    async def test_task_counters_become_a_table(self, container: Container) -> None:
        scheduler = fake(BackgroundService)
        scheduler.get_stats.return_value = {
            "status": "running",
            "task_stats": {
                "sweep": {
                    "interval": 5,
                    "runs": 3,
                    "errors": 1,
                    "last_error": "E: x",
                    "last_run": 0.0,
                }
            },
        }
        with override_services(container, background=scheduler):
            table = reports(await take_snapshot(container, timeout=2))["background"].tables[0]
        assert table.name == "task_stats"
        assert table.columns == ("runs", "errors", "last_error", "last_run", "interval")
        assert table.rows == (("sweep", ("3", "1", "E: x", "00:00:00 UTC", "5")),)

    @pytest.mark.parametrize(
        ("name", "value", "shown"),
        [
            ("entries", None, "—"),
            ("exclusive", True, "yes"),
            ("last_run", 86400.5, "00:00:00 UTC"),
            ("last_duration", 0.012345, "0.0123"),
            ("hit_rate", "50.0%", "50.0%"),
        ],
    )
    def test_display(self, name: str, value: Any, shown: str) -> None:
        assert display(name, value) == shown


class TestPage:
    async def test_open_page_arrives_filled_in(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/status")
        assert page.status_code == 200
        assert 'data-service="database" data-state="ok"' in page.text
        assert 'data-node="users"' in page.text
        assert 'data-figure="in_use_connections"' in page.text

    async def test_assets_are_served_by_the_app(self, client: httpx.AsyncClient) -> None:
        for asset in ("status.js", "status.css"):
            assert (await client.get(f"/status-assets/{asset}")).status_code == 200

    async def test_a_failing_service_does_not_break_the_page(
        self, client: httpx.AsyncClient, container: Container
    ) -> None:
        failing = MagicMock(spec_set=["ping", "get_stats"])
        failing.ping.side_effect = OSError("disk gone")
        with override_services(container, database=failing):
            page = await client.get("/status")
        assert page.status_code == 200
        assert 'data-service="database" data-state="failing"' in page.text
        assert "OSError: disk gone" in page.text


@pytest.mark.settings(api_key=API_KEY)
class TestWithApiKey:
    async def test_page_holds_no_data_without_the_key(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/status")
        assert page.status_code == 200
        assert 'data-key-required="true"' in page.text
        assert "data-service" not in page.text
        assert "data-figure" not in page.text
        assert "data-node" not in page.text

    async def test_panel_needs_the_key(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/api/status/panel")).status_code == 401
        assert (
            await client.get("/api/status/panel", headers={"X-API-Key": "wrong"})
        ).status_code == 401
        panel = await client.get("/api/status/panel", headers={"X-API-Key": API_KEY})
        assert panel.status_code == 200
        assert 'data-service="database" data-state="ok"' in panel.text
        assert panel.headers["cache-control"] == "no-store"

    async def test_page_before_start_up_shows_nothing(self, app: FastAPI) -> None:
        """No lifespan yet, so the key is unknown: the page shows nothing rather than all."""
        transport = httpx.ASGITransport(app=app)  # no lifespan
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            page = await client.get("/status")
        assert page.status_code == 503
        assert page.json()["error"] == LIFESPAN_NOT_RUNNING
        assert "data-service" not in page.text
