select c.c_custkey, c.c_name, count(o.o_orderkey) as orders, nvl(sum(o.o_totalprice), 0) as spent
from {{ ref('stg_customers') }} c
left join {{ ref('stg_orders') }} o on o.o_custkey = c.c_custkey
group by 1, 2
