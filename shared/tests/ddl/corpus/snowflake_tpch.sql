-- TPC-H in Snowflake (as in SNOWFLAKE_SAMPLE_DATA.TPCH_SF1), constraints declared inline.
-- Snowflake does not enforce them, but the generator honours every key.
CREATE OR REPLACE TABLE tpch.sf1.region (
    r_regionkey  NUMBER(38,0)  NOT NULL,
    r_name       VARCHAR(25)   NOT NULL,
    r_comment    VARCHAR(152),
    CONSTRAINT pk_region PRIMARY KEY (r_regionkey)
);

CREATE OR REPLACE TABLE tpch.sf1.nation (
    n_nationkey  NUMBER(38,0)  NOT NULL,
    n_name       VARCHAR(25)   NOT NULL,
    n_regionkey  NUMBER(38,0)  NOT NULL,
    n_comment    VARCHAR(152),
    CONSTRAINT pk_nation PRIMARY KEY (n_nationkey),
    CONSTRAINT fk_nation_region FOREIGN KEY (n_regionkey) REFERENCES tpch.sf1.region (r_regionkey)
);

CREATE OR REPLACE TABLE tpch.sf1.part (
    p_partkey      NUMBER(38,0)   NOT NULL PRIMARY KEY,
    p_name         VARCHAR(55)    NOT NULL,
    p_mfgr         VARCHAR(25)    NOT NULL,
    p_brand        VARCHAR(10)    NOT NULL,
    p_type         VARCHAR(25)    NOT NULL,
    p_size         NUMBER(38,0)   NOT NULL,
    p_container    VARCHAR(10)    NOT NULL,
    p_retailprice  NUMBER(12,2)   NOT NULL,
    p_comment      VARCHAR(23)
);

CREATE OR REPLACE TABLE tpch.sf1.supplier (
    s_suppkey    NUMBER(38,0)   NOT NULL PRIMARY KEY,
    s_name       VARCHAR(25)    NOT NULL,
    s_address    VARCHAR(40)    NOT NULL,
    s_nationkey  NUMBER(38,0)   NOT NULL REFERENCES tpch.sf1.nation (n_nationkey),
    s_phone      VARCHAR(15)    NOT NULL,
    s_acctbal    NUMBER(12,2)   NOT NULL,
    s_comment    VARCHAR(101)
);

CREATE OR REPLACE TABLE tpch.sf1.partsupp (
    ps_partkey     NUMBER(38,0)  NOT NULL REFERENCES tpch.sf1.part (p_partkey),
    ps_suppkey     NUMBER(38,0)  NOT NULL REFERENCES tpch.sf1.supplier (s_suppkey),
    ps_availqty    NUMBER(38,0)  NOT NULL,
    ps_supplycost  NUMBER(12,2)  NOT NULL,
    ps_comment     VARCHAR(199),
    CONSTRAINT pk_partsupp PRIMARY KEY (ps_partkey, ps_suppkey)
);

CREATE OR REPLACE TABLE tpch.sf1.customer (
    c_custkey     NUMBER(38,0)  NOT NULL PRIMARY KEY,
    c_name        VARCHAR(25)   NOT NULL,
    c_address     VARCHAR(40)   NOT NULL,
    c_nationkey   NUMBER(38,0)  NOT NULL REFERENCES tpch.sf1.nation (n_nationkey),
    c_phone       VARCHAR(15)   NOT NULL,
    c_acctbal     NUMBER(12,2)  NOT NULL,
    c_mktsegment  VARCHAR(10),
    c_comment     VARCHAR(117)
);

CREATE OR REPLACE TABLE tpch.sf1.orders (
    o_orderkey       NUMBER(38,0)  NOT NULL PRIMARY KEY,
    o_custkey        NUMBER(38,0)  NOT NULL REFERENCES tpch.sf1.customer (c_custkey),
    o_orderstatus    VARCHAR(1)    NOT NULL,
    o_totalprice     NUMBER(12,2)  NOT NULL,
    o_orderdate      DATE          NOT NULL,
    o_orderpriority  VARCHAR(15)   NOT NULL,
    o_clerk          VARCHAR(15)   NOT NULL,
    o_shippriority   NUMBER(38,0)  NOT NULL,
    o_comment        VARCHAR(79)   NOT NULL
) CLUSTER BY (o_orderdate);

CREATE OR REPLACE TABLE tpch.sf1.lineitem (
    l_orderkey       NUMBER(38,0)  NOT NULL REFERENCES tpch.sf1.orders (o_orderkey),
    l_partkey        NUMBER(38,0)  NOT NULL,
    l_suppkey        NUMBER(38,0)  NOT NULL,
    l_linenumber     NUMBER(38,0)  NOT NULL,
    l_quantity       NUMBER(12,2)  NOT NULL,
    l_extendedprice  NUMBER(12,2)  NOT NULL,
    l_discount       NUMBER(12,2)  NOT NULL,
    l_tax            NUMBER(12,2)  NOT NULL,
    l_returnflag     VARCHAR(1)    NOT NULL,
    l_linestatus     VARCHAR(1)    NOT NULL,
    l_shipdate       DATE          NOT NULL,
    l_commitdate     DATE          NOT NULL,
    l_receiptdate    DATE          NOT NULL,
    l_shipinstruct   VARCHAR(25)   NOT NULL,
    l_shipmode       VARCHAR(10)   NOT NULL,
    l_comment        VARCHAR(44)   NOT NULL,
    CONSTRAINT pk_lineitem PRIMARY KEY (l_orderkey, l_linenumber),
    CONSTRAINT fk_lineitem_partsupp FOREIGN KEY (l_partkey, l_suppkey)
        REFERENCES tpch.sf1.partsupp (ps_partkey, ps_suppkey)
) CLUSTER BY (l_shipdate);
