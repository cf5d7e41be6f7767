//! Full revaluation of a portfolio at the horizon: the P&L of moving today's spots to new spots.
//! Everything that does not depend on the scenario (today's values, the aged options' constants,
//! ln(S0 / K)) is computed once; a scenario brings each asset's spot and log-return.

use crate::black_scholes::{self, LiveOption};
use crate::elementary::ln;
use crate::model::{Instrument, Portfolio};
use crate::normal::{self, CdfRow};

pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// Live options whose normal CDFs `pnl_lanes` takes in one call: enough that the call's setup is
/// shared widely, few enough that the rows stay in L2 (128 options x 2 rows x 640 bytes).
const CDF_BATCH_OPTIONS: usize = 128;

pub fn horizon_years(horizon_days: f64) -> f64 {
    horizon_days / TRADING_DAYS_PER_YEAR
}

#[derive(Clone, Copy, Debug)]
enum AtHorizon {
    Spot,
    /// The option aged by the horizon, and ln(S0 / K) for its log-moneyness.
    Option { option: LiveOption, log_moneyness_today: f64 },
}

#[derive(Clone, Copy, Debug)]
struct Term {
    asset: usize,
    quantity: f64,
    /// Today's value of the instrument (spot price or option premium).
    today: f64,
    at_horizon: AtHorizon,
}

pub struct Revaluation {
    terms: Vec<Term>,
}

impl Revaluation {
    pub fn new(portfolio: &Portfolio, horizon_days: f64) -> Self {
        let horizon = horizon_years(horizon_days);
        let rate = portfolio.risk_free_rate;
        let terms = portfolio
            .positions
            .iter()
            .map(|position| {
                let asset = position.asset_index as usize;
                let spot = portfolio.assets[asset].spot;
                let vol = portfolio.assets[asset].vol;
                let (today, at_horizon) = match position.instrument {
                    Instrument::Spot => (spot, AtHorizon::Spot),
                    Instrument::European { kind, strike, expiry_years } => (
                        black_scholes::price(kind, spot, strike, expiry_years, rate, vol),
                        AtHorizon::Option {
                            option: LiveOption::new(kind, strike, expiry_years - horizon, rate, vol),
                            log_moneyness_today: ln(spot / strike),
                        },
                    ),
                };
                Term { asset, quantity: position.quantity, today, at_horizon }
            })
            .collect();
        Self { terms }
    }

    /// P&L of one scenario in which asset i moved by log-return `log_returns[i]` to `spots[i]`,
    /// summed over the positions in order.
    pub fn pnl(&self, spots: &[f64], log_returns: &[f64]) -> f64 {
        let mut pnl = 0.0;
        for term in &self.terms {
            let later = term.value(spots[term.asset], log_returns[term.asset]);
            pnl += term.quantity * (later - term.today);
        }
        pnl
    }

    /// Working arrays for `pnl_lanes`: two rows of CDF arguments and values per live option, for at
    /// most `CDF_BATCH_OPTIONS` options at a time (a book of 100,000 options would otherwise need
    /// 128 MB of them). Every element is written before it is read, so a caller keeps one for all its
    /// blocks of scenarios and nothing is zeroed per block (a bulk memory call in wasm).
    pub fn scratch<const LANES: usize>(&self) -> LaneScratch<LANES> {
        let live = self.terms.iter().filter(|term| term.live_option().is_some()).count();
        let rows = 2 * live.min(CDF_BATCH_OPTIONS);
        LaneScratch { arguments: vec![[0.0; LANES]; rows], cdf: vec![[0.0; LANES]; rows], work: vec![CdfRow::ZERO; rows], prices: [0.0; LANES] }
    }

    /// The P&L of `LANES` scenarios side by side into `pnl`: asset i of lane l at `spots[i * LANES + l]`.
    /// Each lane is summed exactly as `pnl` sums one scenario (from 0.0, in position order). The
    /// positions go in batches holding up to `CDF_BATCH_OPTIONS` live options: the normal CDFs of a
    /// batch's options are taken first, in one call (`normal::cdf_rows`), then its positions are
    /// valued and summed in order.
    pub fn pnl_lanes<const LANES: usize>(&self, spots: &[f64], log_returns: &[f64], pnl: &mut [f64; LANES], scratch: &mut LaneScratch<LANES>) {
        fn lanes<const LANES: usize>(values: &[f64], asset: usize) -> &[f64; LANES] {
            values[asset * LANES..(asset + 1) * LANES].try_into().expect("a lane per scenario")
        }
        if self.terms.is_empty() {
            // (Validation rejects a portfolio without positions.)
            pnl.fill(0.0);
            return;
        }
        let mut first = 0;
        while first < self.terms.len() {
            // The batch: terms first..end, whose live options fill at most the scratch's rows.
            let mut end = first;
            let mut rows = 0;
            while end < self.terms.len() {
                let term = &self.terms[end];
                if let Some((option, log_moneyness_today)) = term.live_option() {
                    if rows == scratch.arguments.len() {
                        break;
                    }
                    let [d1, d2] = &mut scratch.arguments[rows..rows + 2] else { unreachable!() };
                    option.cdf_arguments_lanes(log_moneyness_today, lanes(log_returns, term.asset), d1, d2);
                    rows += 2;
                }
                end += 1;
            }
            normal::cdf_rows(&scratch.arguments[..rows], &mut scratch.cdf, &mut scratch.work);
            let mut cdf = scratch.cdf[..rows].chunks_exact(2);
            for (index, term) in self.terms.iter().enumerate().take(end).skip(first) {
                let spots = lanes(spots, term.asset);
                let later = match term.at_horizon {
                    AtHorizon::Spot => spots,
                    AtHorizon::Option { option, .. } => {
                        // An expired option reads no CDF.
                        let (n1, n2) = if option.is_live() {
                            let pair = cdf.next().expect("two rows per live option");
                            (&pair[0], &pair[1])
                        } else {
                            (spots, spots)
                        };
                        option.price_lanes(spots, n1, n2, &mut scratch.prices);
                        &scratch.prices
                    }
                };
                if index == 0 {
                    for l in 0..LANES {
                        pnl[l] = 0.0 + term.quantity * (later[l] - term.today);
                    }
                } else {
                    for l in 0..LANES {
                        pnl[l] += term.quantity * (later[l] - term.today);
                    }
                }
            }
            first = end;
        }
    }
}

/// `Revaluation::scratch`.
pub struct LaneScratch<const LANES: usize> {
    arguments: Vec<[f64; LANES]>,
    cdf: Vec<[f64; LANES]>,
    work: Vec<CdfRow<LANES>>,
    prices: [f64; LANES],
}

impl Term {
    /// The option and ln(S0 / K), when this term is an option still alive at the horizon.
    fn live_option(&self) -> Option<(LiveOption, f64)> {
        match self.at_horizon {
            AtHorizon::Option { option, log_moneyness_today } if option.is_live() => Some((option, log_moneyness_today)),
            _ => None,
        }
    }

    #[inline(always)]
    fn value(&self, spot: f64, log_return: f64) -> f64 {
        match self.at_horizon {
            AtHorizon::Spot => spot,
            AtHorizon::Option { option, log_moneyness_today } => option.price(spot, log_moneyness_today + log_return),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Asset, Dependence, OptionKind, Position};

    /// More live options than one CDF batch holds, between spot positions and expired options:
    /// every lane is summed exactly as `pnl` sums its scenario, across the batch boundaries.
    #[test]
    fn lanes_across_cdf_batches_match_one_scenario_at_a_time() {
        const LANES: usize = 16;
        let n = 3;
        let assets: Vec<Asset> = (0..n).map(|i| Asset { spot: 80.0 + 15.0 * i as f64, drift: 0.02, vol: 0.2 + 0.1 * i as f64 }).collect();
        let correlation = (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.3 }).collect()).collect();
        let positions: Vec<Position> = (0..2 * CDF_BATCH_OPTIONS + 37)
            .map(|p| {
                let asset_index = (p % n) as u32;
                let instrument = match p % 5 {
                    0 => Instrument::Spot,
                    // Expires before the 10-day horizon: intrinsic value, no CDF.
                    1 => Instrument::European { kind: OptionKind::Put, strike: 90.0, expiry_years: 0.01 },
                    k => Instrument::European {
                        kind: if k % 2 == 0 { OptionKind::Call } else { OptionKind::Put },
                        strike: 60.0 + (p % 17) as f64 * 5.0,
                        expiry_years: 0.1 + (p % 7) as f64 * 0.3,
                    },
                };
                Position { asset_index, quantity: 1.0 + (p % 3) as f64 - 1.5, instrument }
            })
            .collect();
        let portfolio = Portfolio { assets, dependence: Dependence::Correlation(correlation), risk_free_rate: 0.01, positions };
        let revaluation = Revaluation::new(&portfolio, 10.0);
        let mut state = 11u64;
        let log_returns: Vec<f64> =
            (0..n * LANES).map(|_| ((crate::random::splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.4).collect();
        let spots: Vec<f64> = (0..n * LANES).map(|k| portfolio.assets[k / LANES].spot * log_returns[k].exp()).collect();
        let mut scratch = revaluation.scratch::<LANES>();
        assert_eq!(scratch.arguments.len(), 2 * CDF_BATCH_OPTIONS, "more live options than one batch");
        let mut lanes = [0.0; LANES];
        revaluation.pnl_lanes(&spots, &log_returns, &mut lanes, &mut scratch);
        for (l, value) in lanes.iter().enumerate() {
            let column = |v: &[f64]| (0..n).map(|i| v[i * LANES + l]).collect::<Vec<_>>();
            assert_eq!(value.to_bits(), revaluation.pnl(&column(&spots), &column(&log_returns)).to_bits(), "lane {l}");
        }
    }
}
