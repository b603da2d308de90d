"""`GET /api/warehouses`: every warehouse of the engine registry, and whether it is configured."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dwsim_gateway.deps import SettingsDep
from dwsim_gateway.models import WarehouseList
from dwsim_shared.engines import warehouse_class, warehouse_names

router = APIRouter(tags=["experiments"])


@router.get("", response_model=WarehouseList)
def list_warehouses(settings: SettingsDep) -> Any:
    """Every warehouse (for the menus), with `configured` and what to set when it is not."""
    warehouses = []
    for name in warehouse_names():
        adapter = warehouse_class(name)
        configured = adapter.configured(settings)
        warehouses.append({
            "name": name,
            "label": adapter.label,
            "configured": configured,
            "needs": None if configured else adapter.required_settings,
        })  # fmt: skip
    return {"default": settings.default_warehouse, "warehouses": warehouses}
