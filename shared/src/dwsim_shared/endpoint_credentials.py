"""Per-experiment passwords of the wire endpoints: generated on first need, rotated on request.

Never log what these functions return."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dwsim_shared.state.models import EndpointCredentialRow, utcnow


def _new_password() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, no quoting needed in a URL or a shell


def endpoint_password(session: Session, experiment_id: int) -> str:
    """The experiment's endpoint password, created (and committed) if it has none yet."""
    row = session.get(EndpointCredentialRow, experiment_id)
    if row is None:
        row = EndpointCredentialRow(experiment_id=experiment_id, password=_new_password())
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another connection created it first: theirs stands
            session.rollback()
            row = session.get(EndpointCredentialRow, experiment_id)
            assert row is not None
    return row.password


def rotate_password(session: Session, experiment_id: int) -> str:
    """A new password for the experiment; the old one stops working for new connections."""
    row = session.get(EndpointCredentialRow, experiment_id)
    if row is None:
        row = EndpointCredentialRow(experiment_id=experiment_id)
        session.add(row)
    row.password = _new_password()
    row.rotated_at = utcnow()
    session.commit()
    return row.password
