select o_orderkey, o_custkey, o_orderdate, o_totalprice
from {{ source('tpch', 'orders') }}
