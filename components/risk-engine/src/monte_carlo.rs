//! Correlated geometric Brownian motion, one seeded stream per path (see random.rs), simulated `LANES`
//! paths at a time so that the compiler can keep the work on SIMD lanes. Each path's arithmetic is
//! exactly the one-path-at-a-time model of README "The model": lanes only run side by side.

use std::cell::RefCell;
use std::rc::Rc;

use crate::cholesky;
use crate::elementary::exp;
use crate::model::{Portfolio, RiskReport, RiskResult, Simulation};
use crate::random::StreamLanes;
use crate::revaluation::{horizon_years, Revaluation};
use crate::statistics;

/// Streams simulated side by side: enough that each panel of the factor is reused from L1 by several
/// tiles, few enough that a block's shocks stay in L2 for 2,000 assets.
const LANES: usize = 16;
const _: () = assert!(LANES % 2 == 0, "move_spots runs two halves of the lanes side by side");
/// The correlation kernel's register tile: `ROWS` rows of the factor times `TILE` lanes, 8 SIMD128
/// accumulators, which V8 keeps in its 15 allocatable XMM registers together with the operands it
/// loads ahead (5 rows spill).
const ROWS: usize = 4;
const TILE: usize = 4;

/// The lower-triangular Cholesky factor in panels of `ROWS` rows, each stored column by column
/// (`ROWS` values per column, zeros above the diagonal and past the last row) for the kernel's loads.
struct PackedFactor {
    panels: Vec<f64>,
    /// Start of each panel in `panels`; panel p spans columns 0 .. min(n, (p + 1) ROWS).
    offsets: Vec<usize>,
    n: usize,
}

impl PackedFactor {
    fn new(factor: &[f64], n: usize) -> Self {
        let mut panels = Vec::new();
        let mut offsets = Vec::new();
        for first_row in (0..n).step_by(ROWS) {
            offsets.push(panels.len());
            for k in 0..n.min(first_row + ROWS) {
                for r in first_row..first_row + ROWS {
                    panels.push(if r < n && k <= r { factor[r * n + k] } else { 0.0 });
                }
            }
        }
        Self { panels, offsets, n }
    }

    fn padded_rows(&self) -> usize {
        self.offsets.len() * ROWS
    }

    /// Z = L eps on every lane: `shocks[k * LANES + l]` in, `correlated[i * LANES + l]` out. Row i of
    /// a lane is 0 + L[i][0] eps[0] + L[i][1] eps[1] + ... in ascending k, as the model sums it; the
    /// zeros above the diagonal add exact zeros, which change no bit.
    #[inline(never)]
    fn correlate(&self, shocks: &[f64], correlated: &mut [f64]) {
        for (panel, &offset) in self.offsets.iter().enumerate() {
            let first_row = panel * ROWS;
            let columns = self.n.min(first_row + ROWS);
            let factor = &self.panels[offset..offset + columns * ROWS];
            for tile in (0..LANES).step_by(TILE) {
                let mut sums = [[0.0; TILE]; ROWS];
                for (column, eps) in factor.as_chunks::<ROWS>().0.iter().zip(shocks.as_chunks::<LANES>().0) {
                    let eps: &[f64; TILE] = eps[tile..tile + TILE].try_into().expect("a tile of lanes");
                    for r in 0..ROWS {
                        for t in 0..TILE {
                            sums[r][t] += column[r] * eps[t];
                        }
                    }
                }
                for (r, row) in sums.iter().enumerate() {
                    let at = (first_row + r) * LANES + tile;
                    correlated[at..at + TILE].copy_from_slice(row);
                }
            }
        }
    }
}

thread_local! {
    /// The last correlation matrix and its packed factor. The host simulates a run as many calls that
    /// share one portfolio, and factoring 2,000 assets costs more than simulating a chunk of paths.
    static LAST_FACTOR: RefCell<Option<(Vec<Vec<f64>>, Rc<PackedFactor>)>> = const { RefCell::new(None) };
}

/// The packed Cholesky factor of `correlation`, from the cache when the matrix is bit for bit the last one.
fn packed_factor(correlation: &[Vec<f64>]) -> RiskResult<Rc<PackedFactor>> {
    let same = |cached: &[Vec<f64>]| {
        cached.len() == correlation.len()
            && cached.iter().zip(correlation).all(|(a, b)| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()))
    };
    LAST_FACTOR.with(|last| {
        if let Some((cached, factor)) = &*last.borrow() {
            if same(cached) {
                return Ok(Rc::clone(factor));
            }
        }
        let factor = Rc::new(PackedFactor::new(&cholesky::factor(correlation)?, correlation.len()));
        *last.borrow_mut() = Some((correlation.to_vec(), Rc::clone(&factor)));
        Ok(factor)
    })
}

/// P&L of paths `first_path .. first_path + path_count`, in path order. Inputs must be validated.
pub fn simulate_pnl(portfolio: &Portfolio, run: &Simulation) -> RiskResult<Vec<f64>> {
    let n = portfolio.assets.len();
    let factor = packed_factor(&portfolio.correlation)?;
    let h = horizon_years(run.horizon_days);
    let log_drift: Vec<f64> = portfolio.assets.iter().map(|a| (a.drift - a.vol * a.vol / 2.0) * h).collect();
    let log_vol: Vec<f64> = portfolio.assets.iter().map(|a| a.vol * h.sqrt()).collect();
    let revaluation = Revaluation::new(portfolio, run.horizon_days);

    let first = run.first_path;
    let end = first + run.path_count;
    // With antithetic variates paths 2k and 2k + 1 share stream k: each stream is drawn and
    // correlated once, and revalued with Z and with -Z (exactly L(-eps), as negation is exact).
    let (first_key, end_key) = if run.antithetic { (first / 2, (end - 1) / 2 + 1) } else { (first, end) };
    let signs: &[f64] = if run.antithetic { &[1.0, -1.0] } else { &[1.0] };

    let mut pnl = vec![0.0; run.path_count as usize];
    let mut shocks = vec![0.0; n * LANES];
    let mut correlated = vec![0.0; factor.padded_rows() * LANES];
    let mut log_returns = vec![0.0; n * LANES];
    let mut spots = vec![0.0; n * LANES];
    // Reused by every block: filling or moving arrays of lanes afresh would be bulk memory
    // operations, which V8 runs as calls out of the wasm code.
    let mut streams = StreamLanes::<LANES>::for_streams(run.seed, &[0; LANES]);
    let mut values = [0.0; LANES];
    let mut scratch = revaluation.scratch::<LANES>();
    for block in (first_key..end_key).step_by(LANES) {
        // Lanes past the last key are simulated and discarded.
        let keys: [u64; LANES] = core::array::from_fn(|l| block.wrapping_add(l as u64));
        streams.reseed(run.seed, &keys);
        streams.fill_normals(n, &mut shocks);
        factor.correlate(&shocks, &mut correlated);
        for (odd, &sign) in signs.iter().enumerate() {
            move_spots(portfolio, &log_drift, &log_vol, sign, &correlated, &mut log_returns, &mut spots);
            revaluation.pnl_lanes::<LANES>(&spots, &log_returns, &mut values, &mut scratch);
            for (l, &value) in values.iter().enumerate() {
                let key = block.wrapping_add(l as u64);
                if key >= end_key || key < block {
                    break;
                }
                let path = if run.antithetic { 2 * key + odd as u64 } else { key };
                if (first..end).contains(&path) {
                    pnl[(path - first) as usize] = value;
                }
            }
        }
    }
    statistics::ensure_finite(&pnl)?;
    Ok(pnl)
}

/// Each asset's log-return x = (drift - vol^2/2) h + vol sqrt(h) (sign Z) and spot S0 e^x on every
/// lane. Kept out of line so that the compiler vectorises its lane loop on its own terms.
#[inline(never)]
fn move_spots(
    portfolio: &Portfolio,
    log_drift: &[f64],
    log_vol: &[f64],
    sign: f64,
    correlated: &[f64],
    log_returns: &mut [f64],
    spots: &mut [f64],
) {
    let rows = correlated.as_chunks::<LANES>().0.iter().zip(log_returns.as_chunks_mut::<LANES>().0).zip(spots.as_chunks_mut::<LANES>().0);
    for (((z, x), spot), ((&drift, &vol), asset)) in rows.zip(log_drift.iter().zip(log_vol).zip(&portfolio.assets)) {
        // Lanes l and l + LANES / 2 in one iteration: two independent exponentials (a division
        // deep each) for the out-of-order core to overlap, which the compiler does not arrange for
        // wasm by itself (it interleaves only for x86). LANES is even.
        for l in 0..LANES / 2 {
            let h = l + LANES / 2;
            x[l] = drift + vol * (sign * z[l]);
            x[h] = drift + vol * (sign * z[h]);
            spot[l] = asset.spot * exp(x[l]);
            spot[h] = asset.spot * exp(x[h]);
        }
    }
}

pub fn monte_carlo(portfolio: &Portfolio, run: &Simulation, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    statistics::summarize_pnl(simulate_pnl(portfolio, run)?, confidence_levels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Asset, Instrument, OptionKind, Position};
    use crate::random::Xoshiro256PlusPlus;

    fn portfolio() -> Portfolio {
        let n = 7;
        let assets = (0..n).map(|i| Asset { spot: 50.0 + 13.0 * i as f64, drift: 0.01 * i as f64 - 0.02, vol: 0.15 + 0.05 * i as f64 }).collect();
        let correlation = (0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.3 + 0.05 * (i + j) as f64 / n as f64 }).collect()).collect();
        let option = |asset_index, kind, strike, expiry_years, quantity| Position {
            asset_index,
            quantity,
            instrument: Instrument::European { kind, strike, expiry_years },
        };
        let positions = vec![
            Position { asset_index: 0, quantity: 10.0, instrument: Instrument::Spot },
            option(1, OptionKind::Call, 70.0, 0.5, -3.0),
            option(6, OptionKind::Put, 120.0, 0.01, 4.0),
            Position { asset_index: 6, quantity: -2.0, instrument: Instrument::Spot },
            option(3, OptionKind::Put, 80.0, 1.5, 1.0),
        ];
        Portfolio { assets, correlation, risk_free_rate: 0.02, positions }
    }

    /// The model one path at a time, as README "The model" states it.
    fn one_path_at_a_time(portfolio: &Portfolio, run: &Simulation) -> Vec<f64> {
        let n = portfolio.assets.len();
        let factor = cholesky::factor(&portfolio.correlation).unwrap();
        let h = horizon_years(run.horizon_days);
        let revaluation = Revaluation::new(portfolio, run.horizon_days);
        (run.first_path..run.first_path + run.path_count)
            .map(|path| {
                let (key, negate) = if run.antithetic { (path / 2, path % 2 == 1) } else { (path, false) };
                let mut eps = vec![0.0; n];
                Xoshiro256PlusPlus::for_stream(run.seed, key).fill_normals(&mut eps);
                if negate {
                    eps.iter_mut().for_each(|e| *e = -*e);
                }
                let (mut x, mut spots) = (vec![0.0; n], vec![0.0; n]);
                for i in 0..n {
                    let mut z = 0.0;
                    for k in 0..=i {
                        z += factor[i * n + k] * eps[k];
                    }
                    let a = &portfolio.assets[i];
                    x[i] = (a.drift - a.vol * a.vol / 2.0) * h + a.vol * h.sqrt() * z;
                    spots[i] = a.spot * exp(x[i]);
                }
                revaluation.pnl(&spots, &x)
            })
            .collect()
    }

    #[test]
    fn blocks_of_lanes_reproduce_one_path_at_a_time_bit_for_bit() {
        let portfolio = portfolio();
        for antithetic in [false, true] {
            for (first_path, path_count) in [(0, 1), (3, 50), (17, 33), (u64::MAX - 40, 40)] {
                let run = Simulation { seed: 99, horizon_days: 5.0, antithetic, first_path, path_count };
                let blocked = simulate_pnl(&portfolio, &run).unwrap();
                let plain = one_path_at_a_time(&portfolio, &run);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&blocked), bits(&plain), "antithetic {antithetic}, paths {first_path}+{path_count}");
            }
        }
    }
}
