"""The orders and order_lines tables: models and repositories, nothing else."""

from dataclasses import dataclass

from providers.database import Repository


@dataclass(frozen=True)
class Order:
    id: int
    customer: str
    total: int


@dataclass(frozen=True)
class OrderLine:
    id: int
    order_id: int
    item: str
    quantity: int


class OrderRepository(Repository[Order]):
    table = "orders"
    model = Order
    columns = ("customer", "total")
    required = ("customer",)


class OrderLineRepository(Repository[OrderLine]):
    table = "order_lines"
    model = OrderLine
    columns = ("order_id", "item", "quantity")
    required = ("item",)
