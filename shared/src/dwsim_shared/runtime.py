"""Per-process resources built from the settings: state engine, sessions, object store, Celery.

Services build one `Runtime` at start-up (lifespan or worker init), never at import time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cached_property

from celery import Celery
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from dwsim_shared.celery_app import make_celery
from dwsim_shared.lineage import openlineage
from dwsim_shared.objectstore import ObjectStore, make_object_store
from dwsim_shared.settings import Settings
from dwsim_shared.state.db import make_engine, make_sessionmaker, state_errors
from dwsim_shared.warehouses import Warehouse, make_warehouse


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        openlineage.configure(settings)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.resolved_state_url, self.settings.dependency_timeout_s)

    @cached_property
    def sessionmaker(self) -> sessionmaker[Session]:
        return make_sessionmaker(self.engine)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose connection failures surface as `DependencyUnavailable`."""
        with state_errors(), self.sessionmaker() as session:
            yield session

    @cached_property
    def objects(self) -> ObjectStore:
        return make_object_store(self.settings)

    @cached_property
    def celery(self) -> Celery:
        return make_celery(self.settings)

    def warehouse(self, name: str) -> Warehouse:
        return make_warehouse(name, self.settings)

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
