"""Warehouse adapters, one module per engine, found by name in `WAREHOUSES`."""

from dwsim_shared.warehouses.base import QueryResult, Warehouse, make_warehouse, warehouse_names

__all__ = ["QueryResult", "Warehouse", "make_warehouse", "warehouse_names"]
