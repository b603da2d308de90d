CREATE TABLE inventory.items (
    item_id     INTEGER IDENTITY(1, 1),
    sku         VARCHAR(32) NOT NULL,
    in_stock    BOOLEAN DEFAULT
);
