"""One way for tests to swap any service for a fake, and always get the original back."""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from dependency_injector import containers, providers


@contextmanager
def override_services(container: containers.Container, **fakes: Any) -> Iterator[None]:
    """Replace services by name for the body of a `with`, e.g. `database=AsyncMock()`.

    Works before or after `init_resources()`: a service overridden before start-up is
    never started, one overridden afterwards keeps running and is still closed by
    `shutdown_resources()`. Plain objects, `MagicMock` and `AsyncMock` all work, because
    every service provider is in async mode (`await container.cache()` gives the fake).
    """
    with ExitStack() as stack:
        for name, fake in fakes.items():
            provider = getattr(container, name, None)
            if not isinstance(provider, providers.Provider):
                known = ", ".join(sorted(container.providers))
                raise ValueError(f"the container has no service {name!r}; it has: {known}")
            stack.enter_context(provider.override(providers.Object(fake)))
        yield
