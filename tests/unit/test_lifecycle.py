"""Lifecycle over the whole graph: every reachable resource starts once, in order, and stops."""

import logging
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import MagicMock

import pytest
from dependency_injector import containers, providers

from containers.lifecycle import LifecycleContainer
from tests.helpers import AsyncTestHelper


class _Recorder:
    """A resource body that records when each resource starts and stops."""

    def __init__(self) -> None:
        self.events: list[str] = []

    async def resource(
        self, name: str, *, fail_start: bool = False, fail_stop: bool = False, **_: Any
    ) -> AsyncIterator[str]:
        if fail_start:
            raise RuntimeError(f"{name} failed to start")
        self.events.append(f"start {name}")
        try:
            yield name
        finally:
            self.events.append(f"stop {name}")
            if fail_stop:
                raise RuntimeError(f"{name} failed to stop")


def _graph(recorder: _Recorder, **options: Any) -> Any:
    """Declared, nested, inline and shared resources."""

    class Infra(containers.DeclarativeContainer):
        mailer = providers.Resource(recorder.resource, "mailer", **options.get("mailer", {}))

    shared = providers.Resource(recorder.resource, "shared", **options.get("shared", {}))

    class Graph(containers.DeclarativeContainer):
        instance_type = LifecycleContainer
        infra = providers.Container(Infra)
        top = providers.Resource(
            recorder.resource,
            "top",
            greeter=providers.Factory(
                dict, clock=providers.Resource(recorder.resource, "clock"), shared=shared
            ),
            mailer=infra.mailer,
            **options.get("top", {}),
        )
        also_shared = shared  # declared last, yet started before `top`, which needs it

    return Graph()


async def test_every_reachable_resource_starts_once_in_dependency_order() -> None:
    """Nested (`infra.mailer`), inline (`top.greeter.clock`) and shared resources all start."""
    recorder = _Recorder()
    graph = _graph(recorder)
    await graph.init_resources()
    await graph.init_resources()  # a second call starts nothing twice
    assert recorder.events == ["start mailer", "start clock", "start shared", "start top"]
    await graph.shutdown_resources()
    await graph.shutdown_resources()
    assert recorder.events[4:] == ["stop top", "stop shared", "stop clock", "stop mailer"]


async def test_a_resource_added_by_subclassing_starts_and_stops() -> None:
    """A subclass's own resource needs no list: it is found in the graph."""
    recorder = _Recorder()

    class Base(containers.DeclarativeContainer):
        instance_type = LifecycleContainer
        first = providers.Resource(recorder.resource, "first")

    class Extended(Base):
        second = providers.Resource(recorder.resource, "second", first=Base.first)

    extended = Extended()
    await extended.init_resources()
    await extended.shutdown_resources()
    assert recorder.events == ["start first", "start second", "stop second", "stop first"]


async def test_an_overridden_nested_resource_never_starts() -> None:
    """A fake put over `infra.mailer` before start-up stands in; the real one stays shut."""
    recorder = _Recorder()
    graph = _graph(recorder)
    with graph.infra.mailer.override(MagicMock()):
        await graph.init_resources()
        await graph.shutdown_resources()
    assert "start mailer" not in recorder.events
    assert "start top" in recorder.events


async def test_a_failure_half_way_closes_what_started_and_names_the_resource() -> None:
    """`top` fails after its dependencies started: they are closed, and the error says `top`."""
    recorder = _Recorder()
    graph = _graph(recorder, top={"fail_start": True})
    with pytest.raises(RuntimeError, match="top failed to start") as raised:
        await graph.init_resources()
    assert recorder.events == [
        "start mailer",
        "start clock",
        "start shared",
        "stop shared",
        "stop clock",
        "stop mailer",
    ]
    assert raised.value.__notes__ == ["while starting top"]


async def test_every_teardown_failure_is_reported_by_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two resources fail to stop: both errors arrive together; the rest still close."""
    recorder = _Recorder()
    graph = _graph(recorder, mailer={"fail_stop": True}, shared={"fail_stop": True})
    await graph.init_resources()
    caplog.set_level(logging.INFO)
    with pytest.raises(ExceptionGroup) as raised:
        await graph.shutdown_resources()
    messages = sorted(str(error) for error in raised.value.exceptions)
    assert messages == ["mailer failed to stop", "shared failed to stop"]
    assert "stop clock" in recorder.events
    assert "shutting down infra.mailer failed" in caplog.text
    assert "closed top, top.greeter.clock" in caplog.text
    assert " at 0x" not in caplog.text  # paths, never reprs


async def test_a_resource_overridden_after_start_is_still_closed() -> None:
    """The real resource started before the override; shutdown closes it all the same."""
    recorder = _Recorder()
    graph = _graph(recorder)
    await graph.init_resources()
    with graph.infra.mailer.override(MagicMock()):
        await graph.shutdown_resources()
    assert "stop mailer" in recorder.events


async def test_shutdown_with_a_cycle_closes_the_rest_then_names_the_cycle() -> None:
    """A cycle made after start-up: the others close in reverse order, then the error."""
    recorder = _Recorder()
    graph = _graph(recorder)
    await graph.init_resources()
    graph.also_shared.add_kwargs(top=graph.top)
    with pytest.raises(RuntimeError, match="Unable to resolve resources shutdown order") as raised:
        await graph.shutdown_resources()
    assert recorder.events[4:] == ["stop clock", "stop mailer"]
    assert "top -> top.greeter -> also_shared -> top" in str(raised.value)


@pytest.mark.parametrize("call", ["init_resources", "shutdown_resources"])
def test_a_resource_type_that_is_no_resource_is_refused(call: str) -> None:
    """As in dependency-injector: a `TypeError`, not a call that silently does nothing."""
    graph = _graph(_Recorder())
    with pytest.raises(TypeError, match="resource_type must be a subclass of Resource"):
        getattr(graph, call)(int)


@pytest.mark.parametrize("call", ["init_resources", "shutdown_resources"])
def test_a_call_from_synchronous_code_says_to_await_it(call: str) -> None:
    """No event loop runs: the error gives the fix instead of a coroutine never awaited."""
    graph = _graph(_Recorder())
    with pytest.raises(RuntimeError, match=rf"`await container\.{call}\(\)`"):
        getattr(graph, call)()


async def test_start_up_not_awaited_still_starts_every_resource() -> None:
    """Forgetting `await` in async code loses nothing: the work runs on the event loop."""
    recorder = _Recorder()
    graph = _graph(recorder)
    graph.init_resources()
    assert await AsyncTestHelper.wait_for_condition(lambda: "start top" in recorder.events)
    await graph.shutdown_resources()
