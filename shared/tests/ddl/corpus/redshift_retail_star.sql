-- Retail star schema for the analytics cluster (Redshift).
-- Dimensions are small and replicated (DISTSTYLE ALL); the fact is distributed on customer.

CREATE SCHEMA IF NOT EXISTS retail;

/* Calendar dimension: one row per day, smart key yyyymmdd. */
CREATE TABLE IF NOT EXISTS retail.dim_date (
    date_key        INTEGER      NOT NULL ENCODE az64,
    full_date       DATE         NOT NULL ENCODE az64,
    day_of_week     SMALLINT     NOT NULL,
    month_name      VARCHAR(9)   NOT NULL ENCODE bytedict,
    quarter         SMALLINT     NOT NULL,
    fiscal_year     SMALLINT     NOT NULL,
    is_holiday      BOOLEAN      DEFAULT FALSE,
    PRIMARY KEY (date_key)
)
DISTSTYLE ALL
SORTKEY (date_key);

CREATE TABLE IF NOT EXISTS retail.dim_customer (
    customer_key    BIGINT       IDENTITY(1, 1) NOT NULL ENCODE az64,
    customer_id     VARCHAR(20)  NOT NULL ENCODE zstd,
    first_name      VARCHAR(50)  ENCODE zstd,
    last_name       VARCHAR(50)  ENCODE zstd,
    email           VARCHAR(120) ENCODE zstd,
    phone           VARCHAR(25),
    city            VARCHAR(60),
    country         CHAR(2),
    loyalty_tier    VARCHAR(10)  DEFAULT 'bronze',
    signup_date     DATE,
    created_at      TIMESTAMP    DEFAULT GETDATE(),
    PRIMARY KEY (customer_key),
    UNIQUE (customer_id)
)
DISTSTYLE ALL
COMPOUND SORTKEY (customer_key);

CREATE TABLE IF NOT EXISTS retail.dim_product (
    product_key     INTEGER      IDENTITY(100, 1) NOT NULL,
    sku             VARCHAR(32)  NOT NULL UNIQUE,
    product_name    VARCHAR(200) NOT NULL,
    category        VARCHAR(50),
    brand           VARCHAR(50),
    unit_price      DECIMAL(10, 2) NOT NULL,
    unit_cost       DECIMAL(10, 2),
    color           VARCHAR(20),
    PRIMARY KEY (product_key)
)
DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS retail.dim_store (
    store_key       SMALLINT     NOT NULL PRIMARY KEY,
    store_name      VARCHAR(100) NOT NULL,
    city            VARCHAR(60),
    state           VARCHAR(2),
    zip_code        VARCHAR(10),
    opened_on       DATE
)
DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS retail.fact_sales (
    sale_id         BIGINT       IDENTITY(1, 1) ENCODE az64,
    date_key        INTEGER      NOT NULL REFERENCES retail.dim_date (date_key) SORTKEY,
    customer_key    BIGINT       NOT NULL DISTKEY REFERENCES retail.dim_customer (customer_key),
    product_key     INTEGER      NOT NULL REFERENCES retail.dim_product,
    store_key       SMALLINT     REFERENCES retail.dim_store (store_key),
    quantity        INTEGER      NOT NULL ENCODE az64,
    unit_price      DECIMAL(10, 2) NOT NULL,
    discount        DECIMAL(4, 2) DEFAULT 0,
    sales_amount    DECIMAL(12, 2) NOT NULL,
    channel         VARCHAR(10),
    payment_method  VARCHAR(20),
    sold_at         TIMESTAMP    NOT NULL,
    PRIMARY KEY (sale_id)
)
BACKUP YES;

-- Reporting access and a convenience view.
GRANT USAGE ON SCHEMA retail TO GROUP analysts;
GRANT SELECT ON ALL TABLES IN SCHEMA retail TO GROUP analysts;

CREATE VIEW retail.v_daily_sales AS
SELECT d.full_date, SUM(f.sales_amount) AS revenue
FROM retail.fact_sales f
JOIN retail.dim_date d ON d.date_key = f.date_key
GROUP BY d.full_date;
