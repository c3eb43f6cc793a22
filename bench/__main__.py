"""Run every benchmark in bench/, print a table and write var/bench/<name>.json.

Each benchmark builds its own data in a fresh test database (SQLite, or
PostgreSQL when DATABASE_URL is set) and measures its baseline in the same run.
Name benchmarks to run only those: `python -m bench merge ranking`.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import sys
from pathlib import Path

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttc.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    import bench

    setup_test_environment()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    out = Path(settings.VAR_DIR) / "bench"
    out.mkdir(parents=True, exist_ok=True)
    results = []
    try:
        for module in pkgutil.iter_modules(bench.__path__):
            chosen = not sys.argv[1:] or module.name.removeprefix("bench_") in sys.argv[1:]
            if module.name.startswith("bench_") and chosen:
                result = importlib.import_module(f"bench.{module.name}").run()
                (out / f"{result['name']}.json").write_text(json.dumps(result, indent=2))
                results.append(result)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(f"{'benchmark':32} {'ratio':>8} {'target':>8}  met")
    for result in results:
        print(
            f"{result['name']:32} {result['ratio']:8.2f} {result['target']:8.2f}  {result['met']}"
        )
        for key, value in result["figures"].items():
            print(f"    {key}: {value}")
        for key, value in result["baseline"].items():
            print(f"    baseline {key}: {value}")
    return 0 if all(result["met"] for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
