"""The engine's model as a Python team writes it with Numba, for `make bench`: one `@njit(parallel=True)`
loop over blocks of paths (prange, all cores), per path correlated normals by the Cholesky factor,
lognormal spots, full revaluation (Black-Scholes, the normal CDF through math.erfc), then NumPy's sort and
the same statistics as bench/numpy_var.py.

Numba's random streams are per thread; each block reseeds its thread's stream from (seed, block), so a
run is the same whatever thread takes which block. Different streams from the engine's: the numbers agree
statistically, not path by path. The first call compiles (reported apart, as compileSeconds, on a few
paths); nothing is cached on disk, so every process pays it.

Usage: python numba_var.py <portfolio.json> <paths> <repeatBelowSeconds> <seed>
Prints one JSON object: the seconds of each timed run (one, or three when the first took less than
repeatBelowSeconds), compile time, threads, the last run's report and the process's peak resident memory.
"""
import json
import math
import sys
import time

import numba
import numpy as np
from numba import njit, prange

from numpy_var import HORIZON_DAYS, TRADING_DAYS, black_scholes, summarize
from peak_rss import peak_rss_kb

BLOCK_PATHS = 4096
COMPILE_PATHS = 64


@njit(cache=False)
def normal_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=False)
def option_value(call, spot, strike, years, rate, vol):
    vol_sqrt_t = vol * math.sqrt(years)
    d1 = (math.log(spot / strike) + (rate + vol * vol / 2) * years) / vol_sqrt_t
    d2 = d1 - vol_sqrt_t
    discounted = strike * math.exp(-rate * years)
    if call:
        return spot * normal_cdf(d1) - discounted * normal_cdf(d2)
    return discounted * normal_cdf(-d2) - spot * normal_cdf(-d1)


@njit(parallel=True, cache=False)
def simulate_pnl(seed, paths, spot0, log_drift, log_vol, chol, spot_quantity,
                 opt_asset, opt_call, opt_strike, aged, rate, opt_vol, opt_today, opt_quantity):
    n = spot0.size
    pnl = np.empty(paths)
    blocks = (paths + BLOCK_PATHS - 1) // BLOCK_PATHS
    for block in prange(blocks):
        np.random.seed(seed * 1_000_003 + block)
        eps = np.empty(n)
        spots = np.empty(n)
        for path in range(block * BLOCK_PATHS, min(paths, (block + 1) * BLOCK_PATHS)):
            for j in range(n):
                eps[j] = np.random.standard_normal()
            value = 0.0
            for i in range(n):
                z = 0.0
                for j in range(i + 1):
                    z += chol[i, j] * eps[j]
                spots[i] = spot0[i] * math.exp(log_drift[i] + log_vol[i] * z)
                value += (spots[i] - spot0[i]) * spot_quantity[i]
            for k in range(opt_asset.size):
                later = option_value(opt_call[k], spots[opt_asset[k]], opt_strike[k], aged[k], rate, opt_vol[k])
                value += (later - opt_today[k]) * opt_quantity[k]
            pnl[path] = value
    return pnl


def model_arrays(spec):
    """The portfolio as the arrays simulate_pnl takes, computed as bench/numpy_var.py computes them."""
    index = {a["id"]: i for i, a in enumerate(spec["assets"])}
    spot0 = np.array([a["spot"] for a in spec["assets"]], dtype=np.float64)
    drift = np.array([a["drift"] for a in spec["assets"]], dtype=np.float64)
    vol = np.array([a["vol"] for a in spec["assets"]], dtype=np.float64)
    h = HORIZON_DAYS / TRADING_DAYS
    chol = np.ascontiguousarray(np.linalg.cholesky(np.array(spec["correlation"], dtype=np.float64)))
    rate = float(spec.get("riskFreeRate", 0.0))
    spot_quantity = np.zeros(len(spot0))
    for p in spec["positions"]:
        if p["type"] == "spot":
            spot_quantity[index[p["asset"]]] += p["quantity"]
    options = [p for p in spec["positions"] if p["type"] != "spot"]
    opt_asset = np.array([index[p["asset"]] for p in options], dtype=np.int64)
    opt_call = np.array([p["type"] == "call" for p in options], dtype=np.bool_)
    opt_strike = np.array([p["strike"] for p in options], dtype=np.float64)
    opt_expiry = np.array([p["expiryYears"] for p in options], dtype=np.float64)
    opt_quantity = np.array([p["quantity"] for p in options], dtype=np.float64)
    opt_vol = vol[opt_asset]
    opt_today = np.asarray(black_scholes(opt_call, spot0[opt_asset], opt_strike, opt_expiry, rate, opt_vol), dtype=np.float64)
    return (spot0, (drift - vol * vol / 2) * h, vol * np.sqrt(h), chol, spot_quantity,
            opt_asset, opt_call, opt_strike, opt_expiry - h, rate, opt_vol, opt_today, opt_quantity)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: numba_var.py <portfolio.json> <paths> <repeatBelowSeconds> <seed>")
    path, paths, repeat_below, seed = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    if paths < 1 or seed < 0:
        sys.exit("paths must be positive and seed non-negative")
    with open(path) as f:
        arrays = model_arrays(json.load(f))
    started = time.perf_counter()
    simulate_pnl(seed, COMPILE_PATHS, *arrays)
    compile_seconds = time.perf_counter() - started
    seconds = []
    while True:
        started = time.perf_counter()
        report = summarize(simulate_pnl(seed, paths, *arrays))
        seconds.append(time.perf_counter() - started)
        # As bench/repeat-runs.mjs: a short run is repeated until the runs add up to repeat_below, 3 to 9 times.
        if seconds[0] >= repeat_below or len(seconds) >= 9 or (len(seconds) >= 3 and sum(seconds) >= repeat_below):
            break
    print(json.dumps({
        "seconds": seconds,
        "compileSeconds": compile_seconds,
        "threads": numba.get_num_threads(),
        "report": report,
        "numba": numba.__version__,
        "peakRssKb": peak_rss_kb(),
    }))


if __name__ == "__main__":
    main()
