"""Child-process entry point: `python -m benchmarks._worker MODULE:FUNCTION PARAMS_JSON OUT_PATH`.

Runs one workload, adds the process's `peak_rss_mb`, and writes the result as JSON.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from benchmarks.measure import peak_rss_mb


def main(argv: list[str]) -> None:
    target, params, out = argv
    module_name, _, function_name = target.partition(":")
    if not module_name.startswith("benchmarks."):
        raise SystemExit(f"refusing to run {target!r}: only benchmarks.* workloads")
    workload = getattr(importlib.import_module(module_name), function_name)
    result = workload(**json.loads(params))
    result["peak_rss_mb"] = round(peak_rss_mb())
    Path(out).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
