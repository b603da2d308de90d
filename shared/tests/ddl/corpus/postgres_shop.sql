-- Web shop (PostgreSQL 16), as dumped by pg_dump --schema-only and tidied up.
SET statement_timeout = 0;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA shop;

CREATE SEQUENCE shop.order_number_seq START WITH 100000 INCREMENT BY 1;

CREATE TABLE shop.customers (
    id            BIGSERIAL PRIMARY KEY,
    public_id     UUID NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    email         VARCHAR(254) NOT NULL,
    first_name    TEXT,
    last_name     TEXT,
    date_of_birth DATE,
    gender        CHAR(1) CHECK (gender IN ('F', 'M', 'X')),
    marketing_opt_in BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
);

CREATE TABLE shop.addresses (
    customer_id   BIGINT NOT NULL REFERENCES shop.customers ON DELETE CASCADE,
    kind          VARCHAR(8) NOT NULL CHECK (kind IN ('billing', 'shipping')),
    street        VARCHAR(120) NOT NULL,
    city          VARCHAR(80) NOT NULL,
    postal_code   VARCHAR(12),
    country_code  CHAR(2) NOT NULL DEFAULT 'US',
    latitude      NUMERIC(9, 6),
    longitude     NUMERIC(9, 6),
    PRIMARY KEY (customer_id, kind)
);

CREATE TABLE shop.orders (
    order_number  INTEGER NOT NULL DEFAULT nextval('shop.order_number_seq'::regclass),
    customer_id   BIGINT NOT NULL,
    billing_kind  VARCHAR(8) NOT NULL DEFAULT 'billing',
    status        VARCHAR(12) NOT NULL DEFAULT 'pending',
    placed_at     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    total         NUMERIC(12, 2) NOT NULL CHECK (total >= 0),
    currency      CHAR(3) NOT NULL DEFAULT 'USD',
    details       JSONB,
    CONSTRAINT orders_pkey PRIMARY KEY (order_number),
    CONSTRAINT orders_customer_fkey FOREIGN KEY (customer_id) REFERENCES shop.customers (id),
    CONSTRAINT orders_address_fkey FOREIGN KEY (customer_id, billing_kind)
        REFERENCES shop.addresses (customer_id, kind)
);

CREATE TABLE shop.order_items (
    order_number  INTEGER NOT NULL REFERENCES shop.orders,
    line_no       SMALLINT NOT NULL,
    product_code  VARCHAR(20) NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0 AND quantity <= 99),
    unit_price    NUMERIC(10, 2) NOT NULL,
    item_id       INTEGER GENERATED ALWAYS AS IDENTITY (START WITH 1 INCREMENT BY 1),
    PRIMARY KEY (order_number, line_no),
    UNIQUE (item_id)
);

CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
COMMENT ON TABLE shop.orders IS 'One row per checkout';
ALTER TABLE shop.orders OWNER TO shop_owner;
