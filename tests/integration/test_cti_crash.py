"""SIGKILL the real server in the middle of a CTI burst: no acknowledged event is lost.

The short profile (16 senders, a few seconds of load) of bench/calls/crash.py: `soporte run`
on a fresh VAR_DIR, calls posted as newCall → answer → hangup, the whole process group killed
with SIGKILL while they post, then every event that got a 2xx must be in the database, once,
and the database must pass `PRAGMA integrity_check`. A second round restarts the server on
the killed database and does it again.
"""

from __future__ import annotations

import pytest

from bench.calls.crash import crash_round

pytestmark = pytest.mark.slow


def test_acknowledged_events_survive_sigkill_mid_burst(tmp_path):
    for round_no in range(2):
        result = crash_round(tmp_path, senders=16, seconds=2.5, prepared=round_no > 0)

        assert result["acked_before_kill"] > 50, result  # the kill did land mid-burst
        assert result["missing"] == [], f"acknowledged but not stored: {result['missing'][:10]}"
        assert result["duplicates"] == 0
        assert result["integrity"] == "ok"
        assert set(result["other_statuses"]) <= {"errors"}, result["other_statuses"]
