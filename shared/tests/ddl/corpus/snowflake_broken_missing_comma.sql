USE SCHEMA analytics.public;
CREATE TABLE page_views (
    view_id     NUMBER(38,0) NOT NULL,
    url         VARCHAR(2048)
    viewed_at   TIMESTAMP_NTZ NOT NULL
);
