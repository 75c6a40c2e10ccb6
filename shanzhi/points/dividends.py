"""Sharing a money pool by points, exact to the fen (largest-remainder rounding).

Each household first gets ``floor(pool × weight / total)`` fen; the fen left over go one
each to the largest remainders. Tie rule: a larger remainder first, then a larger
weight, then the smaller household id. The payouts always add up to the pool exactly.
"""

from __future__ import annotations

from shanzhi.points.choices import DividendMethod


def largest_remainder(pool: int, weights: dict[int, int]) -> dict[int, int]:
    weights = {k: w for k, w in weights.items() if w > 0}
    total = sum(weights.values())
    if pool < 0 or total <= 0:
        return {}
    base = {k: pool * w // total for k, w in weights.items()}
    remainder = {k: pool * w % total for k, w in weights.items()}
    left = pool - sum(base.values())
    for key in sorted(weights, key=lambda k: (-remainder[k], -weights[k], k))[:left]:
        base[key] += 1
    return base


def shares_by_tiers(points: int, tiers: list[dict]) -> int:
    """Shares of the highest tier whose minimum the household reaches (0 below every tier)."""
    for tier in sorted(tiers, key=lambda t: -t["min_points"]):
        if points >= tier["min_points"]:
            return tier["shares"]
    return 0


def payouts_for(pool: int, points: dict[int, int], method: str, tiers: list[dict]) -> dict[int, tuple[int, int]]:
    """household → (shares, amount in fen) for every household that gets something."""
    if method == DividendMethod.TIERS:
        shares = {h: shares_by_tiers(p, tiers) for h, p in points.items()}
    else:
        shares = {h: p for h, p in points.items() if p > 0}
    amounts = largest_remainder(pool, shares)
    return {h: (shares[h], amount) for h, amount in amounts.items()}
