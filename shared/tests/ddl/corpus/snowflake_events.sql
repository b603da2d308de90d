-- Product analytics events (Snowflake). Names are quoted where the app used camelCase.
CREATE SEQUENCE IF NOT EXISTS raw.app_user_seq START = 1000 INCREMENT = 1;
CREATE SEQUENCE raw.unused_seq;

CREATE TABLE IF NOT EXISTS "RAW"."AppUsers" (
    "userId"        NUMBER(38,0)   DEFAULT raw.app_user_seq.NEXTVAL,
    "userName"      VARCHAR(40)    NOT NULL,
    "emailAddress"  VARCHAR(254),
    "signupTs"      TIMESTAMP_LTZ(9),
    "countryCode"   CHAR(2),
    "Plan"          VARCHAR(16)    DEFAULT 'free',
    "Preferences"   OBJECT
);

CREATE TABLE IF NOT EXISTS raw.devices (
    device_id       STRING         NOT NULL,
    user_id         NUMBER(38,0)   NOT NULL,
    platform        VARCHAR(10),
    os_version      TEXT,
    last_ip         VARCHAR(15),
    first_seen_at   TIMESTAMP_NTZ,
    CONSTRAINT pk_devices PRIMARY KEY (device_id, user_id)
);

CREATE TABLE IF NOT EXISTS raw."Events" (
    event_id        NUMBER         IDENTITY START 1 INCREMENT 1,
    "userId"        NUMBER(38,0),
    device_id       STRING,
    "eventType"     VARCHAR(32)    NOT NULL,
    event_ts        TIMESTAMP_TZ(3) NOT NULL,
    received_at     TIMESTAMP_LTZ  DEFAULT CURRENT_TIMESTAMP(),
    page_url        VARCHAR(2048),
    properties      VARIANT,
    experiment_ids  ARRAY,
    context         OBJECT
)
CLUSTER BY (TO_DATE(event_ts), "eventType");

ALTER TABLE raw."AppUsers" ADD CONSTRAINT pk_app_users PRIMARY KEY ("userId");
ALTER TABLE raw."AppUsers" ADD CONSTRAINT uq_app_users_name UNIQUE ("userName");
ALTER TABLE raw.devices ADD CONSTRAINT fk_devices_user FOREIGN KEY (user_id) REFERENCES raw."AppUsers" ("userId");
ALTER TABLE raw."Events" ADD CONSTRAINT pk_events PRIMARY KEY (event_id);
ALTER TABLE raw."Events" ADD CONSTRAINT fk_events_device
    FOREIGN KEY (device_id, "userId") REFERENCES raw.devices (device_id, user_id);
ALTER TABLE raw."Events" ADD CONSTRAINT fk_events_user FOREIGN KEY ("userId") REFERENCES raw.app_users ("userId");
ALTER TABLE raw."Events" SET CHANGE_TRACKING = TRUE;

INSERT INTO raw."AppUsers" ("userName", "emailAddress") VALUES ('ada', 'ada@example.com');
INSERT INTO raw."Events" ("eventType", event_ts) SELECT 'signup', CURRENT_TIMESTAMP();
