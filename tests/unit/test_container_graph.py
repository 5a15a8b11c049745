"""The container graph: found by walking the container, drawn as Mermaid and as boxes."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import containers, providers

from app.cli import main
from app.container_graph import container_graph
from app.graph_drawing import depths, layout, mermaid, mermaid_id
from containers import Container


async def service() -> AsyncIterator[object]:
    yield object()


class Reporting(containers.DeclarativeContainer):
    settings = providers.Dependency()
    exporter = providers.Resource(service)


class ExtendedContainer(Container):
    """An application's container, grown as docs/extending.md says: by subclassing."""

    audit = providers.Resource(service)
    mailer = providers.Resource(dict, database=Container.database, queue=providers.Resource(list))
    reporting = providers.Container(Reporting, settings=Container.settings)


def edges(container: Any) -> set[tuple[str, str]]:
    return {
        (node.path, dependency)
        for node in container_graph(container)
        for dependency in node.depends_on
    }


class TestContainerGraph:
    def test_wireworks_own_container(self) -> None:
        """Every provider, in declaration order, with the dependencies its arguments name."""
        nodes = container_graph(Container())
        assert [(node.path, node.kind) for node in nodes] == [
            ("settings", "Singleton"),
            ("database", "Resource"),
            ("cache", "Resource"),
            ("background", "Resource"),
            ("users", "Resource"),
        ]
        assert edges(Container()) == {
            ("database", "settings"),
            ("cache", "settings"),
            ("background", "settings"),
            ("users", "database"),
        }

    def test_services_added_by_subclass_nesting_or_inline_appear(self) -> None:
        """A subclass's resource, a nested container's, and an inline one: no edit needed."""
        paths = [node.path for node in container_graph(ExtendedContainer())]
        assert paths[:5] == ["settings", "database", "cache", "background", "users"]
        assert set(paths[5:]) == {"audit", "mailer", "mailer.queue", "reporting.exporter"}
        assert {("mailer", "database"), ("mailer", "mailer.queue")} <= edges(ExtendedContainer())

    def test_an_override_adds_no_node(self) -> None:
        container = Container()
        with container.cache.override(providers.Object(object())):
            assert [node.path for node in container_graph(container)] == [
                node.path for node in container_graph(Container())
            ]


class TestMermaid:
    def test_wireworks_own_container(self) -> None:
        """Arrows go from a dependency to its user, as on the page."""
        assert mermaid(container_graph(Container())) == (
            "flowchart LR\n"
            '    settings["settings<br/>Singleton"]\n'
            '    database["database<br/>Resource"]\n'
            '    cache["cache<br/>Resource"]\n'
            '    background["background<br/>Resource"]\n'
            '    users["users<br/>Resource"]\n'
            "    settings --> database\n"
            "    settings --> cache\n"
            "    settings --> background\n"
            "    database --> users\n"
        )

    @pytest.mark.parametrize(
        ("path", "identifier"),
        [("reporting.exporter", "reporting_exporter"), ("end", "end_"), ("cache", "cache")],
    )
    def test_ids_mermaid_accepts(self, path: str, identifier: str) -> None:
        assert mermaid_id(path) == identifier

    def test_cli_prints_the_same_graph(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["graph"], container_factory=ExtendedContainer) == 0
        printed = capsys.readouterr().out
        assert printed == mermaid(container_graph(ExtendedContainer()))
        assert "    database --> mailer\n" in printed


class TestLayout:
    def test_columns_follow_dependency_depth(self) -> None:
        assert depths(container_graph(Container())) == {
            "settings": 0,
            "database": 1,
            "cache": 1,
            "background": 1,
            "users": 2,
        }

    def test_every_node_and_edge_is_placed(self) -> None:
        drawn = layout(container_graph(ExtendedContainer()))
        assert {node.path for node in drawn.nodes} == {
            node.path for node in container_graph(ExtendedContainer())
        }
        assert {(edge.target, edge.source) for edge in drawn.edges} == edges(ExtendedContainer())
        users = next(node for node in drawn.nodes if node.path == "users")
        database = next(node for node in drawn.nodes if node.path == "database")
        assert users.x > database.x + database.width
        assert all(node.x + node.width <= drawn.width for node in drawn.nodes)

    def test_a_cycle_is_named(self) -> None:
        class Node:
            def __init__(self, path: str, depends_on: tuple[str, ...]) -> None:
                self.path, self.kind, self.depends_on = path, "Resource", depends_on

        with pytest.raises(ValueError, match="cycle through 'a'"):
            depths([Node("a", ("b",)), Node("b", ("a",))])
