"""Lifecycle over the whole graph: every reachable resource starts once, in order, and stops."""

import logging
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import MagicMock

import pytest
from dependency_injector import containers, providers

from containers.lifecycle import LifecycleContainer


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


async def test_a_failure_half_way_closes_what_started_and_names_the_resource(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`top` fails after its dependencies started: they are closed, and the log says `top`."""
    recorder = _Recorder()
    graph = _graph(recorder, top={"fail_start": True})
    with pytest.raises(RuntimeError, match="top failed to start"):
        await graph.init_resources()
    assert recorder.events == [
        "start mailer",
        "start clock",
        "start shared",
        "stop shared",
        "stop clock",
        "stop mailer",
    ]
    assert "starting top failed" in caplog.text


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
