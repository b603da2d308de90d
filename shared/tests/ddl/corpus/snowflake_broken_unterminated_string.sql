CREATE OR REPLACE TABLE crm.contacts (
    contact_id  NUMBER AUTOINCREMENT,
    email       VARCHAR(200) COMMENT 'primary e-mail,
    phone       VARCHAR(30)
);
