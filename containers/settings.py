"""How a subclass's redefinitions, its own `settings` first, reach every inherited provider."""

from graphlib import TopologicalSorter
from typing import Any, TypeVar

from dependency_injector import providers

from config import Settings
from config.settings import reading_values_only

SettingsT = TypeVar("SettingsT", bound=Settings)
Provider = providers.Provider[Any]


class SettingsProvider(providers.Singleton[SettingsT]):
    """A `providers.Singleton` of a `Settings` class that accepts overrides of a base class."""

    def override(self, provider: Any) -> "providers.OverridingContext[Any]":
        """Override as any provider does; a base-class `Settings` gains this class's sections."""
        value = provider.provides if isinstance(provider, providers.Object) else provider
        if isinstance(value, Settings) and not isinstance(value, self.cls):
            # The sections the override lacks take their defaults, not the environment's values.
            provider = providers.Object(reading_values_only(self.cls)(**value.model_dump()))
        return super().override(provider)


def rebind_redefined(container_class: Any) -> None:
    """Make inherited providers use those a subclass redefines, as `containers.copy` does,
    members of a redefined nested container included. Only providers that reach a replaced
    one are copied; the others stay the very objects the class declared."""
    inherited: dict[str, Provider] = container_class.inherited_providers
    own: dict[str, Provider] = container_class.cls_providers
    settings = own.get("settings")
    if settings is not None and not (
        isinstance(settings, SettingsProvider) and issubclass(settings.cls, Settings)
    ):
        raise TypeError(
            f"{container_class.__name__} redefines `settings` as {type(settings).__name__}: "
            "inherited services could not rely on it. Declare "
            "`settings = SettingsProvider(YourSettings)` with `class YourSettings(Settings)`, "
            "or override it on an instance: `container.settings.override(YourSettings())`."
        )
    every = {**inherited, **own}
    stale = {
        name: _by_name(inherited[name], new)
        for name, new in own.items()
        if inherited.get(name, new) is not new
    }
    memo: dict[int, Any] = {key: new for ids in stale.values() for key, new in ids.items()}
    replaced = set(memo)
    for provider in every.values():
        for reached in (provider, *provider.traverse()):
            if not _reaches(reached, replaced):
                memo.setdefault(id(reached), reached)
    # A redefinition may use another: copy that one first, so this one refers to the copy.
    needs = {
        n: {m for m in stale if m != n and _reaches(own[n], {*stale[m], id(own[m])})} for n in stale
    }
    for name in TopologicalSorter(needs).static_order():
        new = own[name]
        final = providers.deepcopy(new, memo) if _reaches(new, replaced) else new
        memo.update({**_by_name(inherited[name], final), id(new): final})
    for name, provider in every.items():
        if name in stale or _reaches(provider, replaced):
            setattr(container_class, name, providers.deepcopy(provider, memo))


def _by_name(old: Provider, new: Provider) -> dict[int, Provider]:
    """id of `old`, and of each member `old` and `new` share a name with -> its replacement."""
    matched: dict[int, Provider] = {id(old): new}
    if hasattr(old, "providers") and hasattr(new, "providers"):
        for name, member in old.providers.items():
            if name in new.providers:
                matched.update(_by_name(member, new.providers[name]))
    return matched


def _reaches(provider: Provider, ids: set[int]) -> bool:
    return any(id(each) in ids for each in (provider, *provider.traverse()))
