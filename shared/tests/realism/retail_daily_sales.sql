-- A retail star with a (store, product, date) key, as a Redshift user would have it.
CREATE TABLE stores (
    store_id     INTEGER NOT NULL PRIMARY KEY,
    store_code   CHAR(6) NOT NULL UNIQUE,
    store_name   VARCHAR(60),
    region_code  CHAR(3),
    active_flag  CHAR(1),
    opened_date  DATE
);
CREATE TABLE products (
    product_id    INTEGER NOT NULL PRIMARY KEY,
    sku           CHAR(8) NOT NULL UNIQUE,
    description   VARCHAR(200),
    list_price    DECIMAL(10,2),
    status        VARCHAR(12),
    created_at    TIMESTAMP
);
CREATE TABLE daily_sales (
    store_id       INTEGER NOT NULL REFERENCES stores (store_id),
    product_id     INTEGER NOT NULL REFERENCES products (product_id),
    sale_date      DATE NOT NULL,
    units_sold     INTEGER NOT NULL,
    unit_price     DECIMAL(10,2) NOT NULL,
    discount_pct   DECIMAL(5,2),
    return_rate    DECIMAL(5,4),
    promo_flag     CHAR(1),
    comments       VARCHAR(120),
    loaded_at      TIMESTAMP,
    PRIMARY KEY (store_id, product_id, sale_date)
) DISTKEY (store_id) SORTKEY (sale_date);
