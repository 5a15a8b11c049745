"""One way for tests to swap any service for a fake, and always get the original back."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dependency_injector import containers, providers


@contextmanager
def override_services(container: containers.Container, **fakes: Any) -> Iterator[None]:
    """Replace services by name for the body of a `with`, e.g. `database=AsyncMock()`; one
    replaced before start-up never starts, one replaced after it is still closed at shutdown."""
    for name in fakes:
        if not isinstance(getattr(container, name, None), providers.Provider):
            known = ", ".join(sorted(container.providers))
            raise ValueError(f"the container has no service {name!r}; it has: {known}")
    with container.override_providers(**{n: providers.Object(f) for n, f in fakes.items()}):
        yield
