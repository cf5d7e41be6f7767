"""The plugin's entry point: the `engine` interface of the wasm-risk:risk world (wit/risk.wit). Every
argument is validated, then handed to the model; failures are raised as the contract's `risk-error` cases
(`Err(RiskError_...)`)."""
from typing import List

from wit_world import exports
from wit_world.imports.types import EngineInfo, FactorPortfolio, Portfolio, RiskReport, Simulation

import loss_statistics
import monte_carlo
import parametric
import validation
from revaluation import Revaluation

NAME = "__PLUGIN_NAME__"
VERSION = "0.1.0"


def _simulated_losses(portfolio: Portfolio, run: Simulation) -> List[float]:
    validation.portfolio(portfolio)
    validation.simulation(run)
    return loss_statistics.sorted_losses(monte_carlo.simulate_pnl(portfolio, run))


class Engine(exports.Engine):
    def info(self) -> EngineInfo:
        return EngineInfo(name=NAME, version=VERSION)

    def monte_carlo(self, portfolio: Portfolio, run: Simulation, confidence_levels: List[float]) -> RiskReport:
        validation.confidence(confidence_levels)
        return loss_statistics.report(_simulated_losses(portfolio, run), confidence_levels)

    def simulate_pnl(self, portfolio: Portfolio, run: Simulation) -> List[float]:
        validation.portfolio(portfolio)
        validation.simulation(run)
        return monte_carlo.simulate_pnl(portfolio, run)

    def sorted_losses(self, portfolio: Portfolio, run: Simulation) -> List[float]:
        return _simulated_losses(portfolio, run)

    def historical(self, portfolio: Portfolio, returns: List[List[float]], horizon_days: float, confidence_levels: List[float]) -> RiskReport:
        validation.portfolio(portfolio)
        validation.returns(returns, len(portfolio.assets))
        validation.horizon(horizon_days, "horizonDays")
        validation.confidence(confidence_levels)
        revaluation = Revaluation(portfolio, horizon_days)
        pnl = [revaluation.pnl(row) for row in returns]
        return loss_statistics.report(loss_statistics.sorted_losses(pnl), confidence_levels)

    def parametric(self, portfolio: Portfolio, horizon_days: float, confidence_levels: List[float]) -> RiskReport:
        validation.portfolio(portfolio)
        validation.horizon(horizon_days, "horizonDays")
        validation.confidence(confidence_levels)
        return parametric.report(portfolio, horizon_days, confidence_levels)

    # Factor-model portfolios (contract 1.2): this plugin models correlation matrices only. The host sends a
    # portfolio with `factorLoadings` here; answering `invalid-input` "not supported" tells it (and
    # `wasm-risk conformance`) so.
    def monte_carlo_factors(self, portfolio: FactorPortfolio, run: Simulation, confidence_levels: List[float]) -> RiskReport:
        raise validation.not_supported("monte-carlo-factors")

    def simulate_pnl_factors(self, portfolio: FactorPortfolio, run: Simulation) -> List[float]:
        raise validation.not_supported("simulate-pnl-factors")

    def sorted_losses_factors(self, portfolio: FactorPortfolio, run: Simulation) -> List[float]:
        raise validation.not_supported("sorted-losses-factors")

    def historical_factors(self, portfolio: FactorPortfolio, returns: List[List[float]], horizon_days: float, confidence_levels: List[float]) -> RiskReport:
        raise validation.not_supported("historical-factors")

    def parametric_factors(self, portfolio: FactorPortfolio, horizon_days: float, confidence_levels: List[float]) -> RiskReport:
        raise validation.not_supported("parametric-factors")
