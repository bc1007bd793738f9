"""Rate limits (spec §8), on sliding one-minute windows from the ``limits`` library.

v2 has three tiers: 60 ``/v2/auth`` calls a minute per IP; 600 *failed* requests a minute
per IP, checked before the token is; 300 requests a minute per ``integrator_id:brand``.
v1 allows 100 a minute and 1000 an hour per client. Windows live in Redis when
``CLOPOS_REDIS_URL`` is set (so workers share one budget), in process memory otherwise.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from clopos.server.errors import RateLimited
from clopos.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import ConnectionPool


@dataclass(frozen=True)
class WindowState:
    """One tier's window after a request: what the headers report."""

    tier: str
    limit: int
    remaining: int
    reset_epoch: float

    @property
    def reset_seconds(self) -> int:
        """Whole seconds until the window frees a slot (at least 1 when exhausted)."""
        seconds = math.ceil(max(0.0, self.reset_epoch - time.time()))
        return max(seconds, 1) if self.remaining == 0 else seconds

    def v2_headers(self) -> dict[str, str]:
        """IETF draft ``RateLimit-*`` headers (v2)."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }

    def v1_headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` headers (v1: reset as an epoch)."""
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(math.ceil(self.reset_epoch)),
        }


def most_constrained(states: list[WindowState]) -> WindowState | None:
    """The tier closest to its limit (fewest remaining; ties: the smaller limit)."""
    if not states:
        return None
    return min(states, key=lambda s: (s.remaining, s.limit))


class RateLimiter:
    """All tiers, over one storage shared by every tier."""

    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        self.shared = settings.redis_url is not None
        self._storage: Storage
        # The Redis connection pool is ours (not the library's) so ``close`` can release it.
        self._redis_pool: ConnectionPool | None = None
        if settings.redis_url:
            import redis.asyncio as aioredis  # optional extra, only needed with Redis

            self._redis_pool = aioredis.ConnectionPool.from_url(settings.redis_url)
            # (passed through a dict: the library types its options as scalars only)
            pool_option: dict[str, Any] = {"connection_pool": self._redis_pool}
            uri = settings.redis_url
            if not uri.startswith("async+"):
                uri = "async+" + uri
            storage = storage_from_string(
                uri,
                implementation="redispy",
                key_prefix=settings.rate_limit_key_prefix,
                **pool_option,
            )
            assert isinstance(storage, Storage)
            self._storage = storage
        else:
            self._storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._auth = RateLimitItemPerMinute(settings.rate_limit_auth_per_minute)
        self._failed = RateLimitItemPerMinute(settings.rate_limit_failed_per_minute)
        self._tenant = RateLimitItemPerMinute(settings.rate_limit_tenant_per_minute)
        self._v1_minute = RateLimitItemPerMinute(settings.rate_limit_v1_per_minute)
        self._v1_hour = RateLimitItemPerHour(settings.rate_limit_v1_per_hour)

    async def _state(self, tier: str, item: RateLimitItem, key: str) -> WindowState:
        stats = await self._limiter.get_window_stats(item, tier, key)
        return WindowState(tier, item.amount, max(0, stats.remaining), stats.reset_time)

    async def _hit(self, tier: str, item: RateLimitItem, key: str) -> WindowState:
        allowed = await self._limiter.hit(item, tier, key)
        state = await self._state(tier, item, key)
        if not allowed:
            raise _limited(state)
        return state

    async def hit_auth(self, ip: str) -> WindowState | None:
        """Tier 1: count a ``/auth`` call from ``ip``; 429 past the limit."""
        if not self.enabled:
            return None
        return await self._hit("auth", self._auth, ip)

    async def check_failures(self, ip: str) -> WindowState | None:
        """Tier 2, before the token is read: 429 when ``ip`` has failed too often."""
        if not self.enabled:
            return None
        state = await self._state("failed", self._failed, ip)
        if state.remaining <= 0:
            raise _limited(state)
        return state

    async def record_failure(self, ip: str) -> WindowState | None:
        """Tier 2: count a response with status ≥ 400 from ``ip``."""
        if not self.enabled:
            return None
        await self._limiter.hit(self._failed, "failed", ip)
        return await self._state("failed", self._failed, ip)

    async def hit_tenant(self, integrator_id: str, brand: str) -> WindowState | None:
        """Tier 3: count a request for ``integrator_id:brand``, shared by all its tokens."""
        if not self.enabled:
            return None
        return await self._hit("tenant", self._tenant, f"{integrator_id}:{brand}")

    async def hit_v1(self, client_id: str) -> list[WindowState]:
        """v1: count a request against the client's minute and hour windows."""
        if not self.enabled:
            return []
        minute = await self._hit("v1-minute", self._v1_minute, client_id)
        hour = await self._hit("v1-hour", self._v1_hour, client_id)
        return [minute, hour]

    async def reset(self) -> None:
        """Forget every window (tests and ``clopos`` admin use)."""
        await self._storage.reset()

    async def close(self) -> None:
        """Release the Redis connections, if any (called when the app shuts down)."""
        if self._redis_pool is not None:
            await self._redis_pool.aclose()


def _limited(state: WindowState) -> RateLimited:
    retry_after = str(state.reset_seconds)
    headers = {"Retry-After": retry_after}
    if state.tier.startswith("v1"):
        headers.update(state.v1_headers())
    else:
        headers.update(state.v2_headers())
    return RateLimited(headers=headers)
