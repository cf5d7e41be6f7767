# A hostile risk plugin in Python (a test fixture, built with componentize-py): `historical` runs one probe,
# chosen by its horizon in days (1 read a host file, 2 list a directory, 3 list the environment, 4 open a
# socket, 5 read the wall clock, 6 the monotonic clock twice, 7 entropy, 8 a fresh random.Random), and
# answers `invalid-input` with what the probe saw, as JSON; a probe the sandbox refuses traps instead.
# `parametric` is an honest delta-normal model on spot positions: the normal call the host must still
# answer afterwards. Modules are imported here, at build time: the sandbox has no files to import from.
import json
import math
import os
import random
import socket
import time

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import types


def read_file():
    with open("/etc/passwd") as f:
        return f.read(64)


def open_socket():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect(("127.0.0.1", 22))
        return s.recv(16).hex()


PROBES = {
    1: read_file,
    2: lambda: os.listdir("/"),
    3: lambda: dict(os.environ),
    4: open_socket,
    5: time.time,
    6: lambda: [time.monotonic_ns(), time.monotonic_ns()],
    7: lambda: os.urandom(8).hex(),
    8: lambda: random.Random().random(),
}


def observe(probe):
    try:
        return {"value": probe()}
    except Exception as error:
        return {"error": type(error).__name__ + ": " + str(error)}


class Engine(exports.Engine):
    def info(self):
        return types.EngineInfo(name="hostile-python", version="0.1.0")

    def monte_carlo(self, portfolio, run, levels):
        raise Err(types.RiskError_InvalidInput("monte-carlo is not supported"))

    def simulate_pnl(self, portfolio, run):
        raise Err(types.RiskError_InvalidInput("simulate-pnl is not supported"))

    def sorted_losses(self, portfolio, run):
        raise Err(types.RiskError_InvalidInput("sorted-losses is not supported"))

    def historical(self, portfolio, returns, horizon_days, levels):
        probe = PROBES.get(int(horizon_days))
        if probe is None:
            raise Err(types.RiskError_InvalidInput("no probe for that horizon"))
        raise Err(types.RiskError_InvalidInput("observed " + json.dumps(observe(probe))))

    def monte_carlo_factors(self, portfolio, run, levels):
        raise Err(types.RiskError_InvalidInput("monte-carlo-factors is not supported"))

    def simulate_pnl_factors(self, portfolio, run):
        raise Err(types.RiskError_InvalidInput("simulate-pnl-factors is not supported"))

    def sorted_losses_factors(self, portfolio, run):
        raise Err(types.RiskError_InvalidInput("sorted-losses-factors is not supported"))

    def historical_factors(self, portfolio, returns, horizon_days, levels):
        raise Err(types.RiskError_InvalidInput("historical-factors is not supported"))

    def parametric_factors(self, portfolio, horizon_days, levels):
        raise Err(types.RiskError_InvalidInput("parametric-factors is not supported"))

    def parametric(self, portfolio, horizon_days, levels):
        n = len(portfolio.assets)
        exposure = [0.0] * n
        for position in portfolio.positions:
            if not isinstance(position.instrument, types.Instrument_Spot):
                raise Err(types.RiskError_InvalidInput("only spot positions are supported"))
            exposure[position.asset_index] += position.quantity * portfolio.assets[position.asset_index].spot
        t = horizon_days / 252.0
        sigma = [a.vol * exposure[i] for i, a in enumerate(portfolio.assets)]
        variance = sum(sigma[i] * portfolio.correlation[i][j] * sigma[j] for i in range(n) for j in range(n)) * t
        std = math.sqrt(max(variance, 0.0))
        mean = sum(a.drift * exposure[i] for i, a in enumerate(portfolio.assets)) * t
        out = []
        for c in levels:
            z = normal_quantile(c)
            out.append(types.LevelRisk(confidence=c, var=std * z - mean, es=std * math.exp(-z * z / 2) / math.sqrt(2 * math.pi) / (1 - c) - mean, std_error=0.0))
        return types.RiskReport(scenarios=0, levels=out, mean_pnl=mean, std_pnl=std)


def normal_quantile(p):
    # Bisection on the normal CDF: slow, simple, exact to the last bit that matters here.
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
