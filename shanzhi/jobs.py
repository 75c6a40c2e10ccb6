"""Periodic jobs the worker process runs: (management command and arguments, every N seconds).

Each capability adds its sweeps here. Commands must be safe to run twice at once
(they claim rows with conditional updates) and quick to do nothing when nothing is due.
"""

PERIODIC_JOBS: list[tuple[list[str], int]] = [
    (["cases_sweep"], 300),
    (["points", "sweep"], 300),  # entries whose public notice has ended take effect
    (["gridwork_evaluate"], 3600),  # closes last month on the scheme's day; keeps provisional scores fresh
    (["purge_imports"], 86400),  # uploaded import files older than SHANZHI_IMPORT_KEEP_DAYS
    (["run_reports"], 5),  # queued reports and list exports (the worker checks every --tick seconds)
    (["refresh_overview"], 600),  # county and township overview snapshots (dashboard.snapshots.REFRESH_SECONDS)
]
