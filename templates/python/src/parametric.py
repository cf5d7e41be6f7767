"""Delta-normal VaR/ES: P&L ~ sum_i D_i r_i with D_i the portfolio's delta to asset i in money,
r ~ N(m, V), m_i = (drift_i - vol_i^2 / 2) h, V_ij = C_ij vol_i vol_j h."""
import math
from typing import List

from wit_world.imports.types import Instrument_Spot, LevelRisk, Portfolio, RiskReport

from pricing import cholesky, inverse_normal_cdf, normal_pdf, option_delta
from revaluation import TRADING_DAYS_PER_YEAR


def report(portfolio: Portfolio, horizon_days: float, confidence_levels: List[float]) -> RiskReport:
    assets = portfolio.assets
    cholesky(portfolio.correlation)  # refuses a correlation that is not positive semi-definite
    h = horizon_days / TRADING_DAYS_PER_YEAR
    exposure = [0.0] * len(assets)
    for position in portfolio.positions:
        asset = assets[position.asset_index]
        if isinstance(position.instrument, Instrument_Spot):
            delta = 1.0
        else:
            option = position.instrument.value
            delta = option_delta(option, asset.spot, option.expiry_years, portfolio.risk_free_rate, asset.vol)
        exposure[position.asset_index] += asset.spot * position.quantity * delta
    mean = 0.0
    variance = 0.0
    for i, a in enumerate(assets):
        mean += exposure[i] * (a.drift - a.vol * a.vol / 2) * h
        for j, b in enumerate(assets):
            variance += exposure[i] * exposure[j] * portfolio.correlation[i][j] * a.vol * b.vol * h
    sigma = math.sqrt(max(variance, 0.0))
    levels = []
    for confidence in confidence_levels:
        z = inverse_normal_cdf(confidence)
        levels.append(LevelRisk(confidence=confidence, var=-mean + sigma * z, es=-mean + sigma * normal_pdf(z) / (1 - confidence), std_error=0.0))
    return RiskReport(scenarios=0, levels=levels, mean_pnl=mean, std_pnl=sigma)
