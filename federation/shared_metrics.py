"""/metrics for the whole hub when several processes share one PostgreSQL: each process's counters in a table, summed.

Every process writes the totals of its counters (federation.metrics) to ``metric_counts``, one row
per series and process (federation.sharing: every few seconds, when /metrics is read and when it
stops); /metrics adds up the rows of all processes, so a counter is the hub's, whichever web
process answers. A process that stops leaves its last totals, so the sums never go down; rows of
processes silent for :data:`RETIRE_AFTER` are folded into one ``retired`` row per series.
"""

from __future__ import annotations

from datetime import timedelta

from tortoise import connections

from federation.metrics import Metrics
from hub.clock import now

RETIRE_AFTER = timedelta(days=1)
RETIRED = "retired"

_WRITE = """
INSERT INTO metric_counts (process, series, value, updated_at)
SELECT $1, s, v, $4 FROM unnest($2::varchar[], $3::float8[]) AS w(s, v)
ON CONFLICT (process, series) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
"""
_RETIRE = """
WITH gone AS (DELETE FROM metric_counts WHERE updated_at < $1 AND process <> $2 RETURNING series, value)
INSERT INTO metric_counts (process, series, value, updated_at)
SELECT $2, series, sum(value), $3 FROM gone GROUP BY series
ON CONFLICT (process, series) DO UPDATE SET value = metric_counts.value + EXCLUDED.value, updated_at = EXCLUDED.updated_at
"""


async def flush(metrics: Metrics, process: str) -> None:
    """Write this process's totals (one statement), then fold long-silent processes into ``retired``."""
    series = metrics.series()
    moment = now()
    connection = connections.get("default")
    await connection.execute_query(_WRITE, [process, list(series), list(series.values()), moment])
    await connection.execute_query(_RETIRE, [moment - RETIRE_AFTER, RETIRED, moment])


async def totals() -> dict[str, float]:
    """Each series summed over every process that ever wrote it."""
    _, rows = await connections.get("default").execute_query("SELECT series, sum(value) AS total FROM metric_counts GROUP BY series")
    return {row["series"]: float(row["total"]) for row in rows}
