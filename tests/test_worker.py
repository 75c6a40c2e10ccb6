"""``shanzhi worker``: every periodic job runs; a failing job is logged, the others still run."""

from __future__ import annotations

import logging

import pytest
from django.core.management import call_command

from shanzhi.core.management.commands import worker
from shanzhi.jobs import PERIODIC_JOBS


def test_once_runs_every_job_and_exits_cleanly(county, caplog, capsys):
    with caplog.at_level(logging.DEBUG, logger="shanzhi.worker"):
        call_command("worker", "--once")
    ran = [r.getMessage() for r in caplog.records if " done in " in r.getMessage()]
    assert len(ran) == len(PERIODIC_JOBS)
    assert {m.split(" done in ")[0].removeprefix("job ") for m in ran} == {" ".join(j) for j, _ in PERIODIC_JOBS}


def test_a_failing_job_does_not_stop_the_others(county, monkeypatch, caplog):
    monkeypatch.setattr(worker, "PERIODIC_JOBS", [(["no_such_command"], 60), (["points", "sweep"], 60)])
    with caplog.at_level(logging.DEBUG, logger="shanzhi.worker"), pytest.raises(SystemExit) as stopped:
        call_command("worker", "--once")
    assert stopped.value.code == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("job no_such_command failed") for m in messages)
    assert any(m.startswith("job points sweep done in") for m in messages)
