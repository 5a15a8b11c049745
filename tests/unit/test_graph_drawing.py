"""The container graph drawn as Mermaid (`python -m app graph`) and as boxes for `/status`."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import containers, providers

from app.cli import main
from app.graph_drawing import depths, layout, mermaid, mermaid_id
from containers import Container
from containers.discovery import services


async def service() -> AsyncIterator[object]:
    yield object()


BUILT_IN = ("database", "cache", "background", "users")
"""Wirework's own services; an application may add others to the same container."""


def _built_in(found: list[Any]) -> list[Any]:
    return [node for node in found if node.path in BUILT_IN]


class Reporting(containers.DeclarativeContainer):
    settings = providers.Dependency()
    exporter = providers.Resource(service)


class ExtendedContainer(Container):
    """An application's container, grown as docs/extending.md says: by subclassing."""

    audit = providers.Resource(service)
    mailer = providers.Resource(dict, database=Container.database, queue=providers.Resource(list))
    reporting = providers.Container(Reporting, settings=Container.settings)


def edges(container: containers.Container) -> set[tuple[str, str]]:
    return {
        (dependency, found.path) for found in services(container) for dependency in found.depends_on
    }


class TestMermaid:
    def test_wireworks_own_container(self) -> None:
        """Arrows go from a dependency to its user, as on the page."""
        assert mermaid(_built_in(services(Container()))) == (
            "flowchart LR\n"
            '    database["database"]\n'
            '    cache["cache"]\n'
            '    background["background"]\n'
            '    users["users"]\n'
            "    database --> users\n"
        )

    @pytest.mark.parametrize(
        ("path", "identifier"),
        [("reporting.exporter", "reporting_exporter"), ("end", "end_"), ("cache", "cache")],
    )
    def test_ids_mermaid_accepts(self, path: str, identifier: str) -> None:
        assert mermaid_id(path) == identifier

    def test_cli_prints_services_added_by_subclassing(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A subclass's, a nested container's and an inline resource appear with no edit."""
        assert main(["graph"], container_factory=ExtendedContainer) == 0
        printed = capsys.readouterr().out
        assert printed == mermaid(services(ExtendedContainer()))
        for line in (
            '    audit["audit"]\n',
            '    reporting_exporter["reporting.exporter"]\n',
            "    database --> mailer\n",
            "    mailer_queue --> mailer\n",
        ):
            assert line in printed


class TestLayout:
    def test_columns_follow_dependency_depth(self) -> None:
        assert depths(_built_in(services(Container()))) == {
            "database": 0,
            "cache": 0,
            "background": 0,
            "users": 1,
        }

    def test_every_node_and_edge_is_placed(self) -> None:
        found = services(ExtendedContainer())
        drawn = layout(found)
        assert sorted(node.path for node in drawn.nodes) == sorted(node.path for node in found)
        assert {(edge.source, edge.target) for edge in drawn.edges} == edges(ExtendedContainer())
        placed = {node.path: node for node in drawn.nodes}
        assert placed["mailer"].x > placed["database"].x + placed["database"].width
        assert all(node.x + node.width <= drawn.width for node in drawn.nodes)
        assert all(node.y + drawn.node_height <= drawn.height for node in drawn.nodes)
