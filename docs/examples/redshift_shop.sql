-- A small web shop, as a Redshift data engineer would declare it.
CREATE SCHEMA IF NOT EXISTS shop;

CREATE TABLE shop.customers (
    customer_id   BIGINT IDENTITY(1, 1) NOT NULL ENCODE az64,
    email         VARCHAR(120) NOT NULL,
    first_name    VARCHAR(50),
    last_name     VARCHAR(50),
    country_code  CHAR(2) NOT NULL,
    signup_date   DATE NOT NULL,
    tier          VARCHAR(10) NOT NULL CHECK (tier IN ('free', 'pro', 'enterprise')),
    PRIMARY KEY (customer_id),
    UNIQUE (email)
)
DISTSTYLE KEY DISTKEY (customer_id) SORTKEY (signup_date);

CREATE TABLE shop.orders (
    order_id      BIGINT IDENTITY(1, 1) NOT NULL,
    customer_id   BIGINT NOT NULL REFERENCES shop.customers (customer_id),
    ordered_at    TIMESTAMP NOT NULL,
    status        VARCHAR(20) NOT NULL,
    amount        DECIMAL(12, 2) NOT NULL,
    is_gift       BOOLEAN DEFAULT FALSE,
    PRIMARY KEY (order_id)
)
DISTKEY (customer_id) COMPOUND SORTKEY (ordered_at, status);

CREATE TABLE shop.order_items (
    order_id      BIGINT NOT NULL REFERENCES shop.orders (order_id),
    line_number   SMALLINT NOT NULL CHECK (line_number BETWEEN 1 AND 20),
    product_name  VARCHAR(80) NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 10),
    unit_price    DECIMAL(10, 2) NOT NULL,
    PRIMARY KEY (order_id, line_number)
)
DISTKEY (order_id) SORTKEY (order_id);

GRANT SELECT ON ALL TABLES IN SCHEMA shop TO GROUP analysts;
