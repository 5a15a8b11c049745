"""Create orders and their lines."""

ORDERS = """customer TEXT NOT NULL,
    total INTEGER NOT NULL CONSTRAINT positive_total CHECK (total > 0)"""

LINES = """order_id BIGINT NOT NULL REFERENCES orders (id),
    item TEXT NOT NULL,
    quantity INTEGER NOT NULL CONSTRAINT positive_quantity CHECK (quantity > 0)"""

SQLITE = (
    f"CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, {ORDERS})",
    f"CREATE TABLE order_lines (id INTEGER PRIMARY KEY AUTOINCREMENT, {LINES})",
)
POSTGRESQL = (
    f"CREATE TABLE orders (id BIGSERIAL PRIMARY KEY, {ORDERS})",
    f"CREATE TABLE order_lines (id BIGSERIAL PRIMARY KEY, {LINES})",
)
