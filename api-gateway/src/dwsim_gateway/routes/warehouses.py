"""`GET /api/warehouses`: every warehouse this gateway knows, and whether it is configured."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dwsim_gateway.deps import SettingsDep
from dwsim_gateway.models import WarehouseList
from dwsim_shared.settings import Settings
from dwsim_shared.warehouses import warehouse_names

router = APIRouter(tags=["experiments"])

# What each engine needs set before it can be used (SQLite needs nothing).
_NEEDS = {"redshift": "DWSIM_REDSHIFT_URL", "snowflake": "DWSIM_SNOWFLAKE_ACCOUNT or _HOST"}


def _configured(name: str, settings: Settings) -> bool:
    if name == "redshift":
        return settings.redshift_url is not None
    if name == "snowflake":
        return bool(settings.snowflake_account or settings.snowflake_host)
    return True


@router.get("", response_model=WarehouseList)
def list_warehouses(settings: SettingsDep) -> Any:
    """Every warehouse (for the menus), with `configured` and what to set when it is not."""
    return {
        "default": settings.default_warehouse,
        "warehouses": [
            {
                "name": name,
                "configured": _configured(name, settings),
                "needs": None if _configured(name, settings) else _NEEDS.get(name),
            }
            for name in warehouse_names()
        ],
    }
