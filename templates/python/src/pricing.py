"""The model's mathematics: the standard normal distribution, Black-Scholes and the Cholesky factor of the
correlation matrix. Plain float arithmetic, the same formulas as the Rust and JavaScript templates."""
import math
from typing import List

from componentize_py_types import Err
from wit_world.imports.types import OptionContract, OptionKind, RiskError_NotPositiveSemidefinite

LN_SQRT_2PI = 0.9189385332046727


def normal_pdf(x: float) -> float:
    return math.exp(-0.5 * x * x - LN_SQRT_2PI)


def normal_cdf(x: float) -> float:
    """Phi(x) by Hart's algorithm 5666 as given by West (2005): about 1e-16 absolute, in a fixed number of
    operations (math.erfc would do as well; this keeps the three templates' numbers alike)."""
    a = abs(x)
    tail = 0.0
    if a <= 37:
        e = math.exp(-(a * a) / 2)
        if a < 7.07106781186547:
            numerator = ((((((0.0352624965998911 * a + 0.700383064443688) * a + 6.37396220353165) * a + 33.912866078383) * a
                           + 112.079291497871) * a + 221.213596169931) * a + 220.206867912376)
            denominator = (((((((0.0883883476483184 * a + 1.75566716318264) * a + 16.064177579207) * a + 86.7807322029461) * a
                             + 296.564248779674) * a + 637.333633378831) * a + 793.826512519948) * a + 440.413735824752)
            tail = e * numerator / denominator
        else:
            tail = e / (a + 1 / (a + 2 / (a + 3 / (a + 4 / (a + 0.65))))) / 2.506628274631
    return 1 - tail if x > 0 else tail


_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239)
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572)
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783)
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)


def _tail(q: float) -> float:
    return (((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]) / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1)


def inverse_normal_cdf(p: float) -> float:
    """Phi^-1(p) for p in (0, 1): Acklam's rational approximation, then one Halley step on Phi."""
    if p < 0.02425:
        x = _tail(math.sqrt(-2 * math.log(p)))
    elif p <= 1 - 0.02425:
        q = p - 0.5
        r = q * q
        x = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1)
    else:
        x = -_tail(math.sqrt(-2 * math.log(1 - p)))
    u = (normal_cdf(x) - p) / normal_pdf(x)
    return x - u / (1 + x * u / 2)


def option_value(option: OptionContract, spot: float, years: float, rate: float, vol: float) -> float:
    """Black-Scholes value of a European option with `years` to expiry; intrinsic value at or past expiry."""
    sign = 1.0 if option.kind == OptionKind.CALL else -1.0
    discounted_strike = option.strike * math.exp(-rate * max(years, 0.0))
    v = vol * math.sqrt(max(years, 0.0))
    if v == 0:
        return max(sign * (spot - discounted_strike), 0.0)
    d1 = (math.log(spot / option.strike) + (rate + vol * vol / 2) * years) / v
    d2 = d1 - v
    return sign * (spot * normal_cdf(sign * d1) - discounted_strike * normal_cdf(sign * d2))


def option_delta(option: OptionContract, spot: float, years: float, rate: float, vol: float) -> float:
    """dValue/dSpot of `option_value`."""
    v = vol * math.sqrt(max(years, 0.0))
    call = option.kind == OptionKind.CALL
    if v == 0:
        discounted_strike = option.strike * math.exp(-rate * max(years, 0.0))
        in_the_money = spot > discounted_strike if call else spot < discounted_strike
        return (1.0 if call else -1.0) if in_the_money else 0.0
    d1 = (math.log(spot / option.strike) + (rate + vol * vol / 2) * years) / v
    return normal_cdf(d1) if call else normal_cdf(d1) - 1


def cholesky(correlation: List[List[float]]) -> List[List[float]]:
    """Lower-triangular L with L L' = correlation; a degenerate direction gets a zero column."""
    n = len(correlation)
    factor = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = correlation[i][j]
            for k in range(j):
                s -= factor[i][k] * factor[j][k]
            if i == j:
                if s < -1e-10:
                    raise Err(RiskError_NotPositiveSemidefinite(f"portfolio.correlation is not positive semi-definite (pivot {s} at row {i})"))
                factor[i][i] = math.sqrt(s) if s > 1e-12 else 0.0
            else:
                # Under a degenerate pivot a positive semi-definite matrix leaves at most sqrt(1e-10): more is a
                # negative direction, which a zero entry would silently drop.
                if factor[j][j] == 0 and abs(s) > 1e-5:
                    raise Err(RiskError_NotPositiveSemidefinite(f"portfolio.correlation is not positive semi-definite (row {i} keeps {s} of column {j}, whose pivot is 0)"))
                factor[i][j] = 0.0 if factor[j][j] == 0 else s / factor[j][j]
    return factor
