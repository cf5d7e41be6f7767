"""VaR, ES and their standard error from N scenario losses sorted ascending, as wasm-risk's model defines
them (docs/model.md of wasm-risk, "Statistics")."""
import math
from bisect import bisect_left, bisect_right
from typing import List

from wit_world.imports.types import LevelRisk, RiskReport


def sorted_losses(pnl: List[float]) -> List[float]:
    """Losses (-P&L) in ascending total order. sorted() sees -0.0 and 0.0 as equal and keeps them in input
    order, so the run of zeros is rewritten with the negative ones first."""
    losses = sorted(-x for x in pnl)
    first, end = bisect_left(losses, 0.0), bisect_right(losses, 0.0)
    negative = sum(1 for x in losses[first:end] if math.copysign(1.0, x) < 0)
    losses[first:end] = [-0.0] * negative + [0.0] * (end - first - negative)
    return losses


def _rank(confidence: float, count: int) -> int:
    target = confidence * count
    nearest = round(target)
    k = nearest if abs(target - nearest) <= 1e-9 * target else math.ceil(target)
    return min(max(k, 1), count)


def report(losses: List[float], confidence_levels: List[float]) -> RiskReport:
    count = len(losses)
    total = 0.0
    for loss in losses:
        total += loss
    mean_loss = total / count
    squares = 0.0
    for loss in losses:
        squares += (loss - mean_loss) * (loss - mean_loss)
    levels = []
    for confidence in confidence_levels:
        k = _rank(confidence, count)
        var = losses[k - 1]
        tail = 0.0
        for loss in losses[k:]:
            tail += loss
        es = var if k == count else tail / (count - k)
        j = math.ceil(math.sqrt(count * confidence * (1 - confidence)))
        std_error = (losses[min(count, k + j) - 1] - losses[max(1, k - j) - 1]) / 2
        levels.append(LevelRisk(confidence=confidence, var=var, es=es, std_error=std_error))
    std_pnl = math.sqrt(squares / (count - 1)) if count > 1 else 0.0
    return RiskReport(scenarios=count, levels=levels, mean_pnl=-mean_loss, std_pnl=std_pnl)
