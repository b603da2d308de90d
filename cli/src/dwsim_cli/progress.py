"""A waited-for run's progress on stderr: a live bar on a terminal, status lines otherwise."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from dwsim_cli import render
from dwsim_cli.wait import TERMINAL_STATUSES

if TYPE_CHECKING:
    from dwsim_cli.commands import Context


class ProgressPrinter:
    """A run's progress on stderr: a live rich bar (percentage, rows/s, ETA) on a terminal, else
    a status line whenever the status or totals change; either way one final line at the end."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._last: Any = None
        self._bar: Any = None

    def __call__(self, run: dict[str, Any]) -> None:
        key = (
            run.get("status"),
            run.get("published_at"),
            json.dumps(run.get("totals"), sort_keys=True),
        )
        final = run.get("status") in TERMINAL_STATUSES
        if self._ctx.err.isatty() and not final:
            self._live(run)
            return
        self.close()
        if final:
            return  # the final state is printed once, by whoever waited (show_run_state)
        if key != self._last:
            self._last = key
            self._ctx.note(render.run_status_line(run, self._ctx.now()))

    def _live(self, run: dict[str, Any]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

        totals = run.get("totals") or {}
        rate, eta = render.run_rate(run, self._ctx.now())
        speed = f"{rate:,.0f} rows/s" if rate else ""
        left = f"ETA {eta:,.0f} s" if eta is not None else ""
        if self._bar is None:
            console = Console(file=self._ctx.err, highlight=False, markup=False)
            self._bar = Progress(
                TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                TextColumn("{task.fields[rows]}"), TextColumn("{task.fields[speed]}"),
                TextColumn("{task.fields[eta]}"), console=console, transient=True,
            )  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task("", total=None, rows="", speed="", eta="")
        target = totals.get("target_rows") or 0
        loaded = totals.get("loaded_rows") or 0
        self._bar.update(
            self._task,
            description=f"run {run.get('run_id')} {run.get('status')}"
            + (" · data live, report running" if run.get("published_at") else ""),
            total=target or None,
            completed=loaded,
            rows=f"{loaded:,}/{target:,} rows",
            speed=speed,
            eta=left,
        )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
