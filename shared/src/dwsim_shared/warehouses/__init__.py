"""Warehouse adapters, one module per engine, registered by name in `dwsim_shared.engines`."""

from dwsim_shared.engines import make_warehouse, warehouse_names
from dwsim_shared.warehouses.base import QueryResult, Warehouse

__all__ = ["QueryResult", "Warehouse", "make_warehouse", "warehouse_names"]
