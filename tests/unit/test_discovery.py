"""Discovery: the container is the only registry of services, named by provider path."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dependency_injector import containers, providers

from containers import Container
from containers.discovery import DependencyCycleError, resources, services
from tests.helpers import dependency_edges


async def _resource(name: str, **_: Any) -> AsyncIterator[str]:
    yield name


class _Infra(containers.DeclarativeContainer):
    mailer = providers.Resource(_resource, "mailer")
    queue = providers.Resource(_resource, "queue", mailer=mailer)


class _Graph(containers.DeclarativeContainer):
    settings = providers.Object({"greeting": "hello"})
    infra = providers.Container(_Infra)
    # Inline: reachable only through the Factory's keyword argument.
    greeter: providers.Factory[dict[str, Any]] = providers.Factory(
        dict, clock=providers.Resource(_resource, "clock"), queue=infra.queue
    )
    audit = providers.Resource(_resource, "audit", greeter=greeter, mode=settings)


class TestServices:
    """`services()` lists every resource once, dependencies first, by provider path."""

    def test_declared_nested_and_inline_resources_are_named_by_path(self) -> None:
        """A nested container's resources are `infra.x`; an inline one is `owner.argument`."""
        found = services(_Graph())
        assert [service.path for service in found] == [
            "infra.mailer",
            "infra.queue",
            "greeter.clock",
            "audit",
        ]

    def test_edges_name_what_each_service_reaches_through_other_providers(self) -> None:
        """`audit` reaches `greeter.clock` and `infra.queue` through the `greeter` Factory."""
        assert dependency_edges(_Graph()) == {
            "infra.mailer": (),
            "infra.queue": ("infra.mailer",),
            "greeter.clock": (),
            "audit": ("greeter.clock", "infra.queue"),
        }

    def test_each_provider_is_the_instance_of_the_container_walked(self) -> None:
        """Calling `service.provider` reaches the same resource as the container path."""
        graph = _Graph()
        by_path = {service.path: service.provider for service in services(graph)}
        assert by_path["infra.mailer"] is graph.infra.mailer
        assert by_path["audit"] is graph.audit

    def test_wirework_container_lists_its_services_in_start_order(self) -> None:
        """The application's own container: the repository after the pool it uses."""
        edges = dependency_edges(Container())
        built_in = ["database", "cache", "background", "users"]
        assert [path for path in edges if path in built_in] == built_in  # others may be added
        assert edges["users"] == ("database",)

    def test_a_subclass_adds_services_without_listing_them_anywhere_else(self) -> None:
        """A resource added by subclassing is found like a declared one."""

        class Extended(Container):
            mailer = providers.Resource(_resource, "mailer", users=Container.users)

        assert dependency_edges(Extended())["mailer"] == ("users",)

    def test_a_stand_in_resource_answers_to_the_path_it_overrides(self) -> None:
        """An overriding resource is started by the lifecycle but is not a second service."""
        graph = _Graph()
        graph.audit.override(providers.Resource(_resource, "fake audit"))
        walked = resources(graph)
        assert [s.path for s in walked if s.stands_in] == ["audit"]
        assert [s.path for s in services(graph)].count("audit") == 1

    def test_skip_overridden_leaves_out_what_only_the_replaced_provider_needed(self) -> None:
        """Start-up does not open an inline resource whose only user is replaced."""
        graph = _Graph()
        graph.greeter.override(providers.Object({}))
        started = [s.path for s in resources(graph, skip_overridden=True)]
        assert "greeter.clock" not in started
        assert "greeter.clock" in [s.path for s in resources(graph)]

    def test_a_cycle_between_resources_is_refused_with_its_path(self) -> None:
        """A cycle cannot start in any order: the error draws it and says what to change."""
        first = providers.Resource(_resource, "first")
        second = providers.Resource(_resource, "second", first=first)
        first.add_kwargs(second=second)

        class Cyclic(containers.DeclarativeContainer):
            a = first
            b = second

        with pytest.raises(DependencyCycleError, match=r"cycle: a -> b -> a\. Hint"):
            services(Cyclic())
