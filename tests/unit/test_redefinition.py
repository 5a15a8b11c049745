"""A subclass that redefines a provider behaves as dependency-injector's `containers.copy`."""

from typing import Any

from dependency_injector import containers, providers

from config import Settings
from containers import Container, SettingsProvider


def greeter(mailer: str) -> dict[str, str]:
    return {"mailer": mailer}


class Infra(containers.DeclarativeContainer):
    mailer = providers.Object("smtp")


class Members(Container):
    """What the base knows of `infra`: only the names it uses."""

    infra = providers.DependenciesContainer()
    greeter = providers.Factory(greeter, mailer=infra.mailer)


class TestRedefinition:
    """Inherited providers follow the subclass's redefinitions, nested members included."""

    def test_a_dependencies_container_redefined_as_a_container_reaches_its_members(
        self,
    ) -> None:
        """`greeter` uses `infra.mailer`; the subclass gives `infra` a real container."""

        class Prod(Members):
            infra = providers.Container(Infra)

        assert Prod().greeter() == {"mailer": "smtp"}

    def test_a_redefined_member_of_a_nested_container_is_the_one_used(self) -> None:
        """dependency-injector's own case: `y = x.foo`, then `x` comes from a factory."""

        class X(containers.DeclarativeContainer):
            foo = providers.Dependency(instance_of=str)

        class A(Container):
            x = providers.DependenciesContainer(**X.providers)
            y = x.foo

        class B(A):
            x = providers.Container(lambda: X(foo="1"))

        assert B().y() == "1"

    def test_explicit_containers_copy_gives_the_same_result(self) -> None:
        """`@containers.copy(Base)`, written for a plain container, works on a subclass."""

        @containers.copy(Members)
        class Prod(Members):
            infra = providers.Container(Infra)

        assert Prod().greeter() == {"mailer": "smtp"}

    def test_providers_the_redefinition_does_not_reach_keep_their_identity(self) -> None:
        """Only what uses a redefined provider is copied; the rest is the same object."""
        shared = providers.Factory(dict)
        extra = providers.Factory(list)

        class Base(Members):
            clock = shared
            loud = providers.Factory(greeter, mailer=Members.infra.mailer)

        class Sub(Base):
            infra = providers.Container(Infra)
            more = extra

        assert Sub.clock is shared
        assert Sub.more is extra
        assert Sub.database is Container.database
        assert Sub.greeter is not Members.greeter
        assert Sub().loud() == {"mailer": "smtp"}

    def test_a_provider_shared_by_two_names_stays_shared(self) -> None:
        """A copy that reaches an unchanged provider refers to it, not to a copy of it."""
        shared = providers.Singleton(object)

        class Base(Members):
            clock = shared
            timed = providers.Factory(dict, clock=shared, mailer=Members.infra.mailer)

        class Sub(Base):
            infra = providers.Container(Infra)

        sub: Any = Sub()
        assert sub.timed()["clock"] is sub.clock()

    def test_a_redefinition_copied_to_follow_another_is_the_one_its_users_get(self) -> None:
        """`b` names the base's `a`, so it is copied; `c`, which uses `b`, gets that copy."""

        class Base(Container):
            a = providers.Object(0)
            b = providers.Factory(dict, a=a)

        class Sub(Base):
            a = providers.Object(1)
            b = providers.Factory(dict, a=Base.a)
            c = providers.Factory(dict, b=b)

        assert Sub.c.kwargs["b"] is Sub.b
        assert Sub().c() == {"b": {"a": 1}}

    def test_a_copied_nested_container_is_the_one_its_members_users_get(self) -> None:
        """`infra` follows the new `settings`; `uses`, which needs only its `clock`, follows."""

        class Clocks(containers.DeclarativeContainer):
            settings = providers.Dependency()
            clock = providers.Singleton(object)

        class Base(Container):
            infra = providers.Container(Clocks, settings=Container.settings)
            uses = providers.Factory(dict, clock=infra.clock)

        class Sub(Base):
            settings = SettingsProvider(Settings)

        sub: Any = Sub()
        assert sub.uses()["clock"] is sub.infra.clock()
