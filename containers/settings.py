"""How an application's own settings sections reach every provider of the container.

An application adds a section by subclassing `Settings` and declaring the container's
`settings` with it: `settings = SettingsProvider(AppSettings)`. Every provider then reads
that one object, inherited ones included (`rebind_redefined` below), and a test that
overrides `settings` with a plain `Settings(...)` still works: the override is read as
the application's class, whose own sections take their defaults.
"""

from typing import Any, TypeVar

from dependency_injector import providers

from config import Settings

SettingsT = TypeVar("SettingsT", bound=Settings)


class SettingsProvider(providers.Singleton[SettingsT]):
    """A `providers.Singleton` of a `Settings` class that accepts overrides of a base class."""

    def override(self, provider: Any) -> "providers.OverridingContext[Any]":
        """Override as any provider does; a base-class `Settings` gains this class's sections."""
        value = provider.provides if isinstance(provider, providers.Object) else provider
        declared: type[Settings] = self.cls
        if isinstance(value, Settings) and not isinstance(value, declared):
            # model_validate, not the constructor: the sections the override lacks take their
            # defaults, never values from this process's environment or `.env`.
            provider = providers.Object(declared.model_validate(value.model_dump()))
        return super().override(provider)


def rebind_redefined(container_class: Any) -> None:
    """Make a container subclass's inherited providers use the providers it redefines.

    Without this, `class App(Container): settings = SettingsProvider(AppSettings)` would
    leave every inherited service reading the base class's `settings`. This is
    dependency-injector's `containers.copy` applied to every subclass: the providers are
    copied once, each reference to a redefined provider leading to its replacement. A
    redefined provider may use those redefined before it in the class body.
    """
    inherited: dict[str, providers.Provider[Any]] = container_class.inherited_providers
    own: dict[str, providers.Provider[Any]] = container_class.cls_providers
    redefined = {name: own[name] for name in own if inherited.get(name, own[name]) is not own[name]}
    if not redefined:
        return
    memo: dict[int, Any] = {}
    copies: dict[str, providers.Provider[Any]] = {}
    for name, new in redefined.items():  # class-body order
        copies[name] = providers.deepcopy(new, memo)
        memo[id(inherited[name])] = memo[id(new)] = copies[name]
    rest = {name: p for name, p in {**inherited, **own}.items() if name not in redefined}
    copies.update(providers.deepcopy(rest, memo))
    for name, copied in copies.items():
        setattr(container_class, name, copied)
