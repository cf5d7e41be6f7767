"""Every argument is checked before the model reads it: the host validates too, but a plugin trusts no
caller. Messages start with the offending field, as the host expects ("field: problem")."""
import math
from typing import List

from componentize_py_types import Err
from wit_world.imports.types import Instrument_European, Portfolio, RiskError_InvalidInput, RiskError_TooLarge, Simulation

# The contract's request limits (wit/limits.json of wasm-risk).
MAX_ASSETS = 2000
MAX_POSITIONS = 100_000
MAX_PATHS_PER_CALL = 10_000_000
MAX_HISTORY_ROWS = 1_000_000
MAX_CONFIDENCE_LEVELS = 64
MAX_HORIZON_DAYS = 2520.0


def invalid(field: str, problem: str) -> Err:
    return Err(RiskError_InvalidInput(f"{field}: {problem}"))


def not_supported(function: str) -> Err:
    return Err(RiskError_InvalidInput(f"{function} is not supported by this plugin"))


def too_large(field: str, problem: str) -> Err:
    return Err(RiskError_TooLarge(f"{field}: {problem}"))


def _finite(value: float, field: str) -> float:
    if not math.isfinite(value):
        raise invalid(field, "must be a finite number")
    return value


def _positive(value: float, field: str) -> float:
    if not _finite(value, field) > 0:
        raise invalid(field, "must be positive")
    return value


def portfolio(p: Portfolio) -> None:
    n = len(p.assets)
    if n == 0:
        raise invalid("portfolio.assets", "must not be empty")
    if n > MAX_ASSETS:
        raise too_large("portfolio.assets", f"at most {MAX_ASSETS}")
    if len(p.positions) > MAX_POSITIONS:
        raise too_large("portfolio.positions", f"at most {MAX_POSITIONS}")
    for i, asset in enumerate(p.assets):
        _positive(asset.spot, f"portfolio.assets[{i}].spot")
        _finite(asset.drift, f"portfolio.assets[{i}].drift")
        if _finite(asset.vol, f"portfolio.assets[{i}].vol") < 0:
            raise invalid(f"portfolio.assets[{i}].vol", "must not be negative")
    _finite(p.risk_free_rate, "portfolio.riskFreeRate")
    if len(p.correlation) != n:
        raise invalid("portfolio.correlation", f"must have {n} rows")
    for i, row in enumerate(p.correlation):
        if len(row) != n:
            raise invalid(f"portfolio.correlation[{i}]", f"must have {n} entries")
        for j, c in enumerate(row):
            field = f"portfolio.correlation[{i}][{j}]"
            if abs(_finite(c, field)) > 1:
                raise invalid(field, "must lie in [-1, 1]")
            if i == j and c != 1:
                raise invalid(field, "the diagonal must be 1")
            if j < i and c != p.correlation[j][i]:
                raise invalid(field, "the matrix must be symmetric")
    for k, position in enumerate(p.positions):
        if position.asset_index >= n:
            raise invalid(f"portfolio.positions[{k}].assetIndex", f"must be below {n}")
        _finite(position.quantity, f"portfolio.positions[{k}].quantity")
        if isinstance(position.instrument, Instrument_European):
            _positive(position.instrument.value.strike, f"portfolio.positions[{k}].strike")
            _positive(position.instrument.value.expiry_years, f"portfolio.positions[{k}].expiryYears")


def horizon(horizon_days: float, field: str) -> None:
    if _positive(horizon_days, field) > MAX_HORIZON_DAYS:
        raise invalid(field, f"at most {MAX_HORIZON_DAYS:g}")


def confidence(levels: List[float]) -> None:
    if not levels:
        raise invalid("confidence", "must not be empty")
    if len(levels) > MAX_CONFIDENCE_LEVELS:
        raise too_large("confidence", f"at most {MAX_CONFIDENCE_LEVELS} levels")
    for i, c in enumerate(levels):
        if not 0 < c < 1:
            raise invalid(f"confidence[{i}]", "must lie strictly between 0 and 1")


def simulation(run: Simulation) -> None:
    horizon(run.horizon_days, "run.horizonDays")
    if run.path_count < 1:
        raise invalid("run.pathCount", "must be at least 1")
    if run.path_count > MAX_PATHS_PER_CALL:
        raise too_large("run.pathCount", f"at most {MAX_PATHS_PER_CALL} paths per call")
    if run.first_path + run.path_count > 2**64:
        raise invalid("run.firstPath", "the paths must end below 2^64")


def returns(rows: List[List[float]], asset_count: int) -> None:
    if not rows:
        raise invalid("returns", "must not be empty")
    if len(rows) > MAX_HISTORY_ROWS:
        raise too_large("returns", f"at most {MAX_HISTORY_ROWS} rows")
    for r, row in enumerate(rows):
        if len(row) != asset_count:
            raise invalid(f"returns[{r}]", f"must have {asset_count} entries, one per asset")
        for i, x in enumerate(row):
            _finite(x, f"returns[{r}][{i}]")
