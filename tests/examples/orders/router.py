"""`POST /api/orders`: an order and its lines, written in this request's one transaction."""

from typing import Annotated

from dependency_injector import providers
from fastapi import APIRouter
from pydantic import BaseModel

from app.dependencies import Inject, InjectingRoute, UnitOfWork
from containers import Container, managed
from tests.examples.orders.repository import Order, OrderLineRepository, OrderRepository


class OrdersContainer(Container):
    """Wirework's services plus the two repositories; `unit_of_work` is Wirework's."""

    orders = providers.Resource(managed, OrderRepository, database=Container.database)
    order_lines = providers.Resource(managed, OrderLineRepository, database=Container.database)


Orders = Annotated[OrderRepository, Inject(OrdersContainer.orders)]
OrderLines = Annotated[OrderLineRepository, Inject(OrdersContainer.order_lines)]

# The route resolves `orders` and `order_lines` itself; `tx` stays a FastAPI dependency, the
# one whose exit commits before the response is sent.
router = APIRouter(prefix="/api/orders", tags=["orders"], route_class=InjectingRoute)


class LineIn(BaseModel):
    item: str
    quantity: int  # the table's CHECK refuses 0 or less: a 422, and nothing is kept


class OrderIn(BaseModel):
    customer: str
    lines: list[LineIn]


@router.post("", status_code=201)
async def place_order(
    body: OrderIn, tx: UnitOfWork, orders: Orders, order_lines: OrderLines
) -> Order:
    """Both tables or neither: the order row is undone if a line fails, or the client leaves."""
    total = sum(line.quantity for line in body.lines)
    order = await orders.create({"customer": body.customer, "total": total}, tx=tx)
    for line in body.lines:
        await order_lines.create({"order_id": order.id, **line.model_dump()}, tx=tx)
    return order
