{{ config(materialized='incremental', unique_key='o_orderkey') }}
select o_orderkey, o_custkey, o_totalprice, datediff(day, o_orderdate, '2030-01-01') as age_days
from {{ ref('stg_orders') }}
{% if is_incremental() %}
-- the last rows again: the unique key makes them replace, not duplicate
where o_orderkey >= (select max(o_orderkey) from {{ this }}) - 20
{% endif %}
