"""Seeded Monte Carlo paths. Path p draws from its own stream, so any split of a run into chunks gives every
path the same P&L."""
import math
from typing import List

from wit_world.imports.types import Portfolio, Simulation

from path_streams import PathStream
from pricing import cholesky
from revaluation import TRADING_DAYS_PER_YEAR, Revaluation


def _normals(stream: PathStream, n: int) -> List[float]:
    """n independent standard normals by Box-Muller."""
    out = [0.0] * n
    for i in range(0, n, 2):
        radius = math.sqrt(-2 * math.log(stream.next_uniform()))
        angle = math.tau * stream.next_uniform()
        out[i] = radius * math.cos(angle)
        if i + 1 < n:
            out[i + 1] = radius * math.sin(angle)
    return out


def simulate_pnl(portfolio: Portfolio, run: Simulation) -> List[float]:
    """The P&L of paths [run.first_path, run.first_path + run.path_count), in path order."""
    assets = portfolio.assets
    n = len(assets)
    factor = cholesky(portfolio.correlation)
    h = run.horizon_days / TRADING_DAYS_PER_YEAR
    drift_term = [(a.drift - a.vol * a.vol / 2) * h for a in assets]
    vol_term = [a.vol * math.sqrt(h) for a in assets]
    revaluation = Revaluation(portfolio, run.horizon_days)
    log_returns = [0.0] * n
    out = []
    for path in range(run.first_path, run.first_path + run.path_count):
        key = path >> 1 if run.antithetic else path
        eps = _normals(PathStream(run.seed, key), n)
        sign = -1.0 if run.antithetic and path & 1 else 1.0
        for i in range(n):
            z = 0.0
            row = factor[i]
            for j in range(i + 1):
                z += row[j] * eps[j]
            log_returns[i] = drift_term[i] + vol_term[i] * sign * z
        out.append(revaluation.pnl(log_returns))
    return out
