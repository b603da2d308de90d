-- Product analytics in Snowflake: accounts -> users -> events, with a VARIANT payload.
CREATE OR REPLACE TABLE analytics.public.accounts (
    account_id    NUMBER(38, 0) AUTOINCREMENT START 1 INCREMENT 1 NOT NULL,
    account_name  VARCHAR(100) NOT NULL,
    plan          VARCHAR(12) NOT NULL,
    created_at    TIMESTAMP_NTZ NOT NULL,
    CONSTRAINT pk_accounts PRIMARY KEY (account_id)
) CLUSTER BY (created_at);

CREATE OR REPLACE TABLE analytics.public.users (
    user_id       NUMBER(38, 0) NOT NULL,
    account_id    NUMBER(38, 0) NOT NULL,
    email         VARCHAR(120) NOT NULL,
    country       VARCHAR(2),
    signup_date   DATE NOT NULL,
    CONSTRAINT pk_users PRIMARY KEY (user_id),
    CONSTRAINT fk_users_account FOREIGN KEY (account_id) REFERENCES analytics.public.accounts (account_id)
);

CREATE OR REPLACE TABLE analytics.public.events (
    event_id      NUMBER(38, 0) NOT NULL,
    user_id       NUMBER(38, 0) NOT NULL,
    event_type    VARCHAR(20) NOT NULL,
    occurred_at   TIMESTAMP_NTZ NOT NULL,
    duration_ms   INTEGER,
    properties    VARIANT,
    CONSTRAINT pk_events PRIMARY KEY (event_id),
    CONSTRAINT fk_events_user FOREIGN KEY (user_id) REFERENCES analytics.public.users (user_id)
) COMMENT = 'one row per tracked event';

GRANT SELECT ON ALL TABLES IN SCHEMA analytics.public TO ROLE analyst;
