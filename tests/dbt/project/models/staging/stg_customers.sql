select c_custkey, c_name, c_mktsegment
from {{ source('tpch', 'customer') }}
