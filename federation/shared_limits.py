"""Rate-limit budgets shared by every process of a hub: the inbox's token buckets kept in PostgreSQL or Redis.

With one process (SQLite, the default) the buckets live in memory (federation.ratelimit). A hub
running several ``hub serve`` processes on one PostgreSQL would give a sender one budget per
process there; instead :class:`InboxLimiter <federation.ratelimit.InboxLimiter>` is given a store
from here (federation.sharing) and every process takes its tokens from the same buckets:

- :class:`PostgresBudgets` (the default on PostgreSQL): table ``rate_buckets``, one statement per
  check (an upsert that takes a token from every bucket that has one, returning which did); when
  one of them had none, the tokens taken are given back and the wait is read. The clock is the
  database's, so processes on several machines agree.
- :class:`RedisBudgets` (when ``HUB_REDIS_URL`` is set): one Lua script per check, all or nothing,
  on Redis's clock; keys expire once their bucket is full again.

The same buckets as in memory: ``limit`` tokens per ``window`` seconds, burst up to ``limit``; a
check takes one token of each bucket or none. bench/budgets.py measures both stores
(bench/RESULTS.md says which is faster and by how much).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Protocol

from tortoise import connections

from hub.broadcast import connect_options
from hub.errors import SettingsError

Want = Sequence[tuple[str, int, int]]
"""(bucket key, limit, tokens to take) of each bucket to take from, all or none."""

POOL_SIZE = 4
"""Connections of the budgets' own pool (PostgresBudgets) per process."""
PRUNE_EVERY = 60.0
"""Seconds between two removals of full buckets from ``rate_buckets``."""


class BudgetStore(Protocol):
    """Where shared buckets are counted."""

    async def take(self, want: Want, window: float) -> float:
        """Take the tokens asked of every bucket in ``want`` (0.0), or none and the seconds until all have them."""

    async def close(self) -> None:
        """Release connections."""


_TAKE = """
WITH taken AS (
INSERT INTO rate_buckets AS b (key, tokens, updated, took)
SELECT w.key, w.lim - w.n, clock.t, w.n
FROM unnest($1::varchar[], $2::float8[], $3::float8[]) WITH ORDINALITY AS w(key, lim, n, i),
     (SELECT extract(epoch FROM clock_timestamp())::float8 AS t) AS clock
ORDER BY w.i
ON CONFLICT (key) DO UPDATE SET
    tokens = LEAST(EXCLUDED.tokens + EXCLUDED.took,
                   b.tokens + (EXCLUDED.updated - b.updated) * (EXCLUDED.tokens + EXCLUDED.took) / $4) - EXCLUDED.took,
    updated = EXCLUDED.updated,
    took = EXCLUDED.took
WHERE LEAST(EXCLUDED.tokens + EXCLUDED.took,
            b.tokens + (EXCLUDED.updated - b.updated) * (EXCLUDED.tokens + EXCLUDED.took) / $4) >= EXCLUDED.took
RETURNING b.key
) SELECT key FROM taken
"""
# Wrapped in WITH: tortoise returns no rows for a statement that starts with INSERT. The limit travels as
# EXCLUDED.tokens + EXCLUDED.took; a row whose WHERE fails is neither changed nor returned.
_GIVE_BACK = "UPDATE rate_buckets SET tokens = tokens + $2 WHERE key = $1"
_READ = "SELECT key, tokens, updated, extract(epoch FROM clock_timestamp())::float8 AS t FROM rate_buckets WHERE key = ANY($1::varchar[])"
_PRUNE = "DELETE FROM rate_buckets WHERE updated < extract(epoch FROM clock_timestamp())::float8 - $1"


class PostgresBudgets:
    """Buckets in the ``rate_buckets`` table (one round trip per allowed check).

    Given the database URL it keeps a small pool of its own (:data:`POOL_SIZE` connections), so the
    checks of the POSTs in flight do not queue behind the inbox's group commits for tortoise's
    connections; without one (tests) it uses tortoise's.
    """

    def __init__(self, database_url: str | None = None, clock=time.monotonic) -> None:
        self._clock = clock
        self._pruned_at = clock()
        self._database_url = database_url
        self._pool = None
        self._pool_lock = asyncio.Lock()

    async def _fetch(self, statement: str, args: list) -> list:
        if self._database_url is None:
            return (await connections.get("default").execute_query(statement, args))[1]
        if self._pool is None:
            async with self._pool_lock:
                if self._pool is None:
                    import asyncpg

                    self._pool = await asyncpg.create_pool(**connect_options(self._database_url), min_size=1, max_size=POOL_SIZE)
        return await self._pool.fetch(statement, *args)

    async def take(self, want: Want, window: float) -> float:
        """See :class:`BudgetStore`; keys are taken in sorted order so concurrent checks never deadlock."""
        want = sorted(want)
        if not want:
            return 0.0
        keys = [key for key, _, _ in want]
        limits = {key: float(limit) for key, limit, _ in want}
        counts = {key: float(count) for key, _, count in want}
        rows = await self._fetch(_TAKE, [keys, list(limits.values()), list(counts.values()), float(window)])
        taken = {row["key"] for row in rows}
        if self._clock() - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = self._clock()
            await self._fetch(_PRUNE, [float(window)])
        if len(taken) == len(keys):
            return 0.0
        for key in sorted(taken):
            await self._fetch(_GIVE_BACK, [key, counts[key]])
        rows = await self._fetch(_READ, [[k for k in keys if k not in taken]])
        waits = [0.0]
        for row in rows:
            rate = limits[row["key"]] / window
            tokens = min(limits[row["key"]], row["tokens"] + (row["t"] - row["updated"]) * rate)
            waits.append((counts[row["key"]] - tokens) / rate)
        return max(max(waits), 0.001)

    async def close(self) -> None:
        """Close its pool (tortoise's is tortoise's)."""
        if self._pool is not None:
            await self._pool.close()


_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
local wait = 0
local left = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 * i])
  local count = tonumber(ARGV[2 * i + 1])
  local rate = limit / window
  local v = redis.call('HMGET', key, 't', 'u')
  local tokens = limit
  if v[1] then tokens = math.min(limit, tonumber(v[1]) + (now - tonumber(v[2])) * rate) end
  left[i] = tokens - count
  if tokens < count then wait = math.max(wait, (count - tokens) / rate) end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 't', tostring(left[i]), 'u', tostring(now))
  redis.call('EXPIRE', key, math.ceil(window) + 1)
end
return '0'
"""


class RedisBudgets:
    """Buckets as Redis hashes ``causeway:bucket:<key>`` (fields t: tokens, u: when), taken by one Lua script."""

    PREFIX = "causeway:bucket:"

    def __init__(self, url: str) -> None:
        try:
            from redis import asyncio as redis  # only deployments that set HUB_REDIS_URL need the package
        except ImportError:
            shown = url if "@" not in url else "<a URL with credentials, not shown>"
            raise SettingsError("HUB_REDIS_URL", shown, "a Redis URL once the redis package is installed "
                                "(pip install 'causeway[redis]'), or unset to count the budgets in PostgreSQL") from None

        self._client = redis.from_url(url)
        self._script = self._client.register_script(_LUA)

    async def take(self, want: Want, window: float) -> float:
        """See :class:`BudgetStore`: all or nothing in one script run."""
        if not want:
            return 0.0
        args = [window, *(number for _, limit, count in want for number in (limit, count))]
        result = await self._script(keys=[self.PREFIX + key for key, _, _ in want], args=args)
        wait = float(result)
        return 0.0 if wait <= 0 else max(wait, 0.001)

    async def close(self) -> None:
        """Close the Redis connections."""
        await self._client.aclose()
