//! Full revaluation of a portfolio at the horizon: the P&L of moving today's spots to new spots.
//! Everything that does not depend on the scenario (today's values, the aged options' constants,
//! ln(S0 / K)) is computed once; a scenario brings each asset's spot and log-return.

use crate::black_scholes::{self, LiveOption};
use crate::elementary::ln;
use crate::model::{Instrument, Portfolio};
use crate::normal::{self, CdfRow};

pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

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

    /// Working arrays for `pnl_lanes`, sized for this portfolio: two rows of CDF arguments and values
    /// per live option. Every element is written before it is read, so a caller keeps one for all its
    /// blocks of scenarios and nothing is zeroed per block (a bulk memory call in wasm).
    pub fn scratch<const LANES: usize>(&self) -> LaneScratch<LANES> {
        let rows = 2 * self.terms.iter().filter(|term| matches!(term.at_horizon, AtHorizon::Option { option, .. } if option.is_live())).count();
        LaneScratch { arguments: vec![[0.0; LANES]; rows], cdf: vec![[0.0; LANES]; rows], work: vec![CdfRow::ZERO; rows], prices: [0.0; LANES] }
    }

    /// The P&L of `LANES` scenarios side by side into `pnl`: asset i of lane l at `spots[i * LANES + l]`.
    /// Each lane is summed exactly as `pnl` sums one scenario (from 0.0, in position order). The normal
    /// CDFs of all the live options are taken first, in one call (`normal::cdf_rows`), then the
    /// positions are valued and summed in order.
    pub fn pnl_lanes<const LANES: usize>(&self, spots: &[f64], log_returns: &[f64], pnl: &mut [f64; LANES], scratch: &mut LaneScratch<LANES>) {
        fn lanes<const LANES: usize>(values: &[f64], asset: usize) -> &[f64; LANES] {
            values[asset * LANES..(asset + 1) * LANES].try_into().expect("a lane per scenario")
        }
        if self.terms.is_empty() {
            // (Validation rejects a portfolio without positions.)
            pnl.fill(0.0);
            return;
        }
        let mut rows = scratch.arguments.chunks_exact_mut(2);
        for term in &self.terms {
            if let AtHorizon::Option { option, log_moneyness_today } = term.at_horizon {
                if option.is_live() {
                    let [d1, d2] = rows.next().expect("two rows per live option") else { unreachable!() };
                    option.cdf_arguments_lanes(log_moneyness_today, lanes(log_returns, term.asset), d1, d2);
                }
            }
        }
        normal::cdf_rows(&scratch.arguments, &mut scratch.cdf, &mut scratch.work);
        let mut cdf = scratch.cdf.chunks_exact(2);
        for (index, term) in self.terms.iter().enumerate() {
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
    #[inline(always)]
    fn value(&self, spot: f64, log_return: f64) -> f64 {
        match self.at_horizon {
            AtHorizon::Spot => spot,
            AtHorizon::Option { option, log_moneyness_today } => option.price(spot, log_moneyness_today + log_return),
        }
    }
}
