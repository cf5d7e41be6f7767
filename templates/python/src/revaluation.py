"""Full revaluation of the portfolio on one scenario of log-returns over the horizon: spots move to
S exp(x), options are repriced with the horizon taken off their expiry."""
import math
from typing import List

from wit_world.imports.types import Instrument_Spot, Portfolio

from pricing import option_value

TRADING_DAYS_PER_YEAR = 252.0


class Revaluation:
    """What a scenario needs, computed once: the horizon in years and today's value of every position."""

    def __init__(self, portfolio: Portfolio, horizon_days: float):
        self.portfolio = portfolio
        self.horizon_years = horizon_days / TRADING_DAYS_PER_YEAR
        self.today = [
            portfolio.assets[p.asset_index].spot if isinstance(p.instrument, Instrument_Spot)
            else option_value(p.instrument.value, portfolio.assets[p.asset_index].spot, p.instrument.value.expiry_years,
                              portfolio.risk_free_rate, portfolio.assets[p.asset_index].vol)
            for p in portfolio.positions
        ]

    def pnl(self, log_returns: List[float]) -> float:
        """P&L of the portfolio when asset i moves by the log-return `log_returns[i]`."""
        p = self.portfolio
        total = 0.0
        for position, today in zip(p.positions, self.today):
            asset = p.assets[position.asset_index]
            spot = asset.spot * math.exp(log_returns[position.asset_index])
            if isinstance(position.instrument, Instrument_Spot):
                later = spot
            else:
                option = position.instrument.value
                later = option_value(option, spot, option.expiry_years - self.horizon_years, p.risk_free_rate, asset.vol)
            total += position.quantity * (later - today)
        return total
