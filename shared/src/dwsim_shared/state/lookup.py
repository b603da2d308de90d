"""Rows looked up by the names users give: one place for the 404s both services answer."""

from __future__ import annotations

import difflib

from sqlalchemy import select
from sqlalchemy.orm import Session

from dwsim_shared.errors import NotFound
from dwsim_shared.state.models import ExperimentRow


def experiment_by_name(session: Session, name: str) -> ExperimentRow:
    """The experiment `name`; `NotFound` naming it (and the closest name there is)."""
    row = session.scalars(select(ExperimentRow).where(ExperimentRow.name == name)).first()
    if row is None:
        names = session.scalars(select(ExperimentRow.name)).all()
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise NotFound(f"experiment {name!r} does not exist{hint}", experiment=name)
    return row
