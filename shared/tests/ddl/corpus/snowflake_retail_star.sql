-- Retail star schema in Snowflake: fully qualified names, CREATE OR REPLACE, clustering.
USE ROLE sysadmin;
CREATE DATABASE IF NOT EXISTS analytics;
USE DATABASE analytics;
CREATE SCHEMA IF NOT EXISTS analytics.retail;

CREATE OR REPLACE TABLE analytics.retail.dim_customer (
    customer_sk      NUMBER AUTOINCREMENT START 1 INCREMENT 1 COMMENT 'surrogate key',
    customer_id      VARCHAR(36)     NOT NULL,
    full_name        VARCHAR(120),
    email            STRING,
    phone_number     VARCHAR(30),
    country          VARCHAR(2),
    city             TEXT,
    segment          VARCHAR(20),
    is_active        BOOLEAN         DEFAULT TRUE,
    attributes       VARIANT,
    created_at       TIMESTAMP_NTZ(9) DEFAULT CURRENT_TIMESTAMP(),
    updated_at       TIMESTAMP_LTZ,
    CONSTRAINT pk_dim_customer PRIMARY KEY (customer_sk),
    CONSTRAINT uq_dim_customer_id UNIQUE (customer_id)
) COMMENT = 'Customer dimension (SCD1)';

CREATE OR REPLACE TABLE analytics.retail.dim_product (
    product_sk       NUMBER(38,0)    IDENTITY(1, 1),
    sku              VARCHAR(40)     NOT NULL UNIQUE,
    product_name     VARCHAR         NOT NULL,
    category         VARCHAR(60),
    list_price       NUMBER(12, 2),
    currency         CHAR(3)         DEFAULT 'EUR',
    tags             ARRAY,
    specs            OBJECT,
    PRIMARY KEY (product_sk)
);

CREATE OR REPLACE TABLE analytics.retail.dim_date (
    date_sk          NUMBER(8, 0)    NOT NULL PRIMARY KEY,
    calendar_date    DATE            NOT NULL,
    day_name         VARCHAR(9),
    month_name       VARCHAR(9),
    quarter          NUMBER(1, 0),
    year             NUMBER(4, 0)
);

CREATE OR REPLACE TRANSIENT TABLE analytics.retail.fact_orders (
    order_id         NUMBER          NOT NULL,
    order_line       NUMBER(4, 0)    NOT NULL,
    customer_sk      NUMBER          NOT NULL REFERENCES analytics.retail.dim_customer (customer_sk),
    product_sk       NUMBER(38, 0)   NOT NULL REFERENCES analytics.retail.dim_product (product_sk),
    order_date_sk    NUMBER(8, 0)    NOT NULL REFERENCES analytics.retail.dim_date (date_sk),
    quantity         NUMBER(6, 0)    NOT NULL,
    unit_price       NUMBER(12, 2)   NOT NULL,
    total_amount     NUMBER(14, 2),
    order_status     VARCHAR(12),
    ordered_at       TIMESTAMP_TZ,
    metadata         VARIANT,
    PRIMARY KEY (order_id, order_line)
)
CLUSTER BY (order_date_sk, TO_DATE(ordered_at))
DATA_RETENTION_TIME_IN_DAYS = 1
COMMENT = 'Order lines; rebuilt daily';

CREATE OR REPLACE VIEW analytics.retail.v_orders AS
SELECT o.*, c.full_name FROM analytics.retail.fact_orders o
JOIN analytics.retail.dim_customer c USING (customer_sk);

GRANT SELECT ON ALL TABLES IN SCHEMA analytics.retail TO ROLE analyst;
