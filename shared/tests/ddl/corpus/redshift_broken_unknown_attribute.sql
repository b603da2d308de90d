CREATE TABLE logs.requests (
    request_id  BIGINT NOT NULL,
    path        VARCHAR(512)
)
DISTSTYLE EVEN
COMPRESSION zstd;
