-- SaaS billing model (Snowflake). Accounts and users reference each other.
CREATE OR REPLACE TABLE billing.plans (
    plan_code     CHAR(1)        NOT NULL PRIMARY KEY COMMENT 'F, B, P or E',
    plan_name     VARCHAR(20)    NOT NULL,
    monthly_price NUMBER(8, 2)   NOT NULL
);

-- first draft, replaced below
CREATE OR REPLACE TABLE billing.accounts (
    account_id    NUMBER(38, 0)  NOT NULL
);

CREATE OR REPLACE TABLE billing.accounts (
    account_id     NUMBER(38, 0) NOT NULL AUTOINCREMENT,
    company_name   VARCHAR(100)  NOT NULL,
    owner_user_id  NUMBER(38, 0) NOT NULL,
    plan_code      CHAR(1)       NOT NULL REFERENCES billing.plans (plan_code),
    billing_country VARCHAR(2),
    hq_location    GEOGRAPHY,
    api_secret     BINARY(32),
    created_on     DATE          NOT NULL,
    PRIMARY KEY (account_id)
) WITH TAG (cost_center = 'finance');

CREATE OR REPLACE TABLE billing.users (
    user_id        NUMBER(38, 0) NOT NULL PRIMARY KEY,
    account_id     NUMBER(38, 0) NOT NULL REFERENCES billing.accounts (account_id),
    email          VARCHAR(255)  NOT NULL WITH MASKING POLICY pii_email,
    role           VARCHAR(20)   DEFAULT 'member',
    last_login_at  TIMESTAMP_NTZ,
    CONSTRAINT uq_users_account_email UNIQUE (account_id, email)
);

ALTER TABLE billing.accounts ADD CONSTRAINT fk_accounts_owner
    FOREIGN KEY (owner_user_id) REFERENCES billing.users (user_id);

CREATE OR REPLACE TABLE billing.subscriptions (
    account_id     NUMBER(38, 0) NOT NULL,
    plan_code      CHAR(1)       NOT NULL,
    started_on     DATE          NOT NULL,
    ended_on       DATE,
    seats          NUMBER(6, 0)  NOT NULL CHECK (seats > 0),
    status         VARCHAR(10)   NOT NULL,
    CONSTRAINT pk_subscriptions PRIMARY KEY (account_id, started_on),
    CONSTRAINT fk_sub_account FOREIGN KEY (account_id) REFERENCES billing.accounts (account_id),
    CONSTRAINT fk_sub_plan FOREIGN KEY (plan_code) REFERENCES billing.plans (plan_code),
    CONSTRAINT ck_sub_dates CHECK (ended_on IS NULL OR ended_on > started_on)
);

CREATE OR REPLACE TABLE billing.invoices (
    invoice_no     VARCHAR(20)   NOT NULL PRIMARY KEY,
    account_id     NUMBER(38, 0) NOT NULL,
    started_on     DATE          NOT NULL,
    owner_email    VARCHAR(255),
    issued_at      TIMESTAMP_TZ  NOT NULL,
    due_date       DATE,
    amount_due     NUMBER(12, 2) NOT NULL,
    tax_rate       NUMBER(5, 4),
    payment_status VARCHAR(10)   DEFAULT 'pending',
    FOREIGN KEY (account_id, started_on) REFERENCES billing.subscriptions (account_id, started_on),
    FOREIGN KEY (owner_email) REFERENCES billing.users (email)
) CLUSTER BY (issued_at);

COMMENT ON COLUMN billing.invoices.amount_due IS 'Gross amount in the account currency';
COMMENT ON TABLE billing.subscriptions IS 'One row per plan period';
