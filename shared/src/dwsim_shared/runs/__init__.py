"""The run life cycle, in one package.

- `transitions`: the run and shard status tables, and the only code that writes a status.
- `dispatch`: `next_tasks(run, shards)`, which task comes next (prepare, generate, load,
  finalize); the sweeper, retry, prepare and the loader follow it.
- `leases`: taking, renewing and releasing a shard or a run step under a lease.
- `sweeper`: re-enqueues work whose lease ran out; `policy(settings)`, the lease figures.
- `queries`: reads (a run by number, the active and live runs, progress, retention).
- `plan`: shard plans and row targets.
- `create`: a generate run, a load run, a failed run reopened; the one active-run refusal.
- `service`: one function per route (generate, load, retry, cancel, reset) and per step
  boundary of the tasks (prepared, reconciled, published).
- `outcomes`: what a step did, typed (`Done`, `Skipped(reason)`, `Failed`).

The step protocol the tasks use (`run_step`, `shard_step`) is in `dwsim_shared.worker_runtime`.
"""
