-- The amount column's type is not closed.
CREATE TABLE sales.customers (
    customer_id INTEGER NOT NULL,
    name        VARCHAR(100)
);

CREATE TABLE sales.orders (
    order_id    BIGINT NOT NULL,
    customer_id INTEGER NOT NULL,
    amount      DECIMAL(12, 2
    placed_at   TIMESTAMP
);
