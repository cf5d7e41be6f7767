"""NumPy's vectorised equivalent of the engine, for `make bench`: rng.standard_normal((paths, n)) @ chol.T,
then lognormal spots, full revaluation (Black-Scholes with scipy.special.ndtr) and a sort.

Same model, portfolio, horizon and statistics as the engine, but NumPy's own random stream, so the
numbers agree statistically, not path by path. Paths are simulated in blocks of a few million normals so
that memory stays bounded; each block is still one vectorised call per step.

Usage: python numpy_var.py <portfolio.json> <paths> <repetitions> <seed>; prints one JSON object (with the
process's peak resident memory).
"""
import json
import sys
import time

import numpy as np
from scipy.special import ndtr

from peak_rss import peak_rss_kb

CONFIDENCE = (0.95, 0.99)
TRADING_DAYS = 252.0
HORIZON_DAYS = 1.0
BLOCK_ELEMENTS = 4_000_000


def black_scholes(call, spot, strike, years, rate, vol):
    vol_sqrt_t = vol * np.sqrt(years)
    d1 = (np.log(spot / strike) + (rate + vol * vol / 2) * years) / vol_sqrt_t
    d2 = d1 - vol_sqrt_t
    discounted = strike * np.exp(-rate * years)
    return np.where(call, spot * ndtr(d1) - discounted * ndtr(d2), discounted * ndtr(-d2) - spot * ndtr(-d1))


def monte_carlo(spec, paths, seed):
    index = {a["id"]: i for i, a in enumerate(spec["assets"])}
    spot0 = np.array([a["spot"] for a in spec["assets"]])
    drift = np.array([a["drift"] for a in spec["assets"]])
    vol = np.array([a["vol"] for a in spec["assets"]])
    h = HORIZON_DAYS / TRADING_DAYS
    chol = np.linalg.cholesky(np.array(spec["correlation"]))
    log_drift = (drift - vol * vol / 2) * h
    log_vol = vol * np.sqrt(h)
    rate = spec.get("riskFreeRate", 0.0)

    spot_quantity = np.zeros(len(spot0))
    options = [p for p in spec["positions"] if p["type"] != "spot"]
    for p in spec["positions"]:
        if p["type"] == "spot":
            spot_quantity[index[p["asset"]]] += p["quantity"]
    opt_asset = np.array([index[p["asset"]] for p in options], dtype=np.int64)
    opt_call = np.array([p["type"] == "call" for p in options])
    opt_strike = np.array([p["strike"] for p in options])
    opt_expiry = np.array([p["expiryYears"] for p in options])
    opt_quantity = np.array([p["quantity"] for p in options])
    opt_vol = vol[opt_asset]
    opt_today = black_scholes(opt_call, spot0[opt_asset], opt_strike, opt_expiry, rate, opt_vol)
    aged = opt_expiry - h

    rng = np.random.default_rng(seed)
    block = max(1, BLOCK_ELEMENTS // max(len(spot0), len(options)))
    pnl = np.empty(paths)
    for first in range(0, paths, block):
        m = min(block, paths - first)
        z = rng.standard_normal((m, len(spot0))) @ chol.T
        spots = spot0 * np.exp(log_drift + log_vol * z)
        value = (spots - spot0) @ spot_quantity
        if options:
            later = black_scholes(opt_call, spots[:, opt_asset], opt_strike, aged, rate, opt_vol)
            value += (later - opt_today) @ opt_quantity
        pnl[first:first + m] = value
    return summarize(pnl)


def summarize(pnl):
    """VaR and ES at CONFIDENCE, mean and standard deviation of one P&L sample (losses are positive)."""
    paths = len(pnl)
    losses = np.sort(-pnl)
    levels = []
    for c in CONFIDENCE:
        k = min(max(int(np.ceil(c * paths - 1e-9 * c * paths)), 1), paths)
        tail = losses[k:]
        levels.append({"confidence": c, "var": float(losses[k - 1]), "es": float(tail.mean()) if len(tail) else float(losses[k - 1])})
    return {"levels": levels, "meanPnl": float(-losses.mean()), "stdPnl": float(losses.std(ddof=1))}


def main():
    path, paths, repetitions, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(path) as f:
        spec = json.load(f)
    seconds = []
    for _ in range(repetitions):
        started = time.perf_counter()
        report = monte_carlo(spec, paths, seed)
        seconds.append(time.perf_counter() - started)
    blas = None
    try:
        from threadpoolctl import threadpool_info
        blas = [{k: i.get(k) for k in ("internal_api", "num_threads", "architecture")} for i in threadpool_info()]
    except ImportError:
        pass
    print(json.dumps({"seconds": seconds, "report": report, "numpy": np.__version__, "blas": blas, "peakRssKb": peak_rss_kb()}))


if __name__ == "__main__":
    main()
