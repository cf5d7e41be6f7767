//! Correlated geometric Brownian motion, one seeded stream per path (see random.rs), simulated `LANES`
//! paths at a time so that the compiler can keep the work on SIMD lanes. Each path's arithmetic is
//! exactly the one-path-at-a-time model of README "The model": lanes only run side by side.

use std::cell::RefCell;
use std::rc::Rc;

use crate::cholesky;
use crate::elementary::ExpConstants;
use crate::model::{explained_variance, Dependence, Portfolio, RiskReport, RiskResult, Simulation};
use crate::random::StreamLanes;
use crate::revaluation::{horizon_years, Revaluation};
use crate::statistics;

/// Streams simulated side by side: enough that each panel of the factor is reused from L1 by several
/// tiles, few enough that a block's shocks stay in L2 for 2,000 assets.
const LANES: usize = 16;
const _: () = assert!(LANES % 4 == 0, "move_spots runs four quarters of the lanes side by side");
/// The correlation kernel's register tile: `ROWS` rows of the factor times `TILE` lanes, 8 SIMD128
/// accumulators, which V8 keeps in its 15 allocatable XMM registers together with the operands it
/// loads ahead (5 rows spill).
const ROWS: usize = 4;
const TILE: usize = 4;

/// A matrix in panels of `ROWS` rows, each stored column by column (`ROWS` values per column, zeros past
/// the last row) for the kernel's loads: the lower-triangular Cholesky factor (panel p holding columns
/// 0 .. min(n, (p + 1) ROWS), zeros above the diagonal), or the n x k factor loadings (k columns a panel).
struct PackedRows {
    panels: Vec<f64>,
    /// Where each panel starts in `panels`, then where the last ends.
    offsets: Vec<usize>,
}

impl PackedRows {
    fn new(n: usize, columns: impl Fn(usize) -> usize, entry: impl Fn(usize, usize) -> f64) -> Self {
        let mut panels = Vec::new();
        let mut offsets = vec![0];
        for first_row in (0..n).step_by(ROWS) {
            for k in 0..columns(first_row) {
                for r in first_row..first_row + ROWS {
                    panels.push(if r < n { entry(r, k) } else { 0.0 });
                }
            }
            offsets.push(panels.len());
        }
        Self { panels, offsets }
    }

    fn cholesky(factor: &[f64], n: usize) -> Self {
        Self::new(n, |first_row| n.min(first_row + ROWS), |r, k| if k <= r { factor[r * n + k] } else { 0.0 })
    }

    fn loadings(loadings: &[Vec<f64>]) -> Self {
        Self::new(loadings.len(), |_| loadings[0].len(), |r, k| loadings[r][k])
    }

    fn padded_rows(&self) -> usize {
        (self.offsets.len() - 1) * ROWS
    }

    /// Z = M eps on every lane: `shocks[k * LANES + l]` in, `correlated[i * LANES + l]` out. Row i of a
    /// lane is 0 + M[i][0] eps[0] + M[i][1] eps[1] + ... in ascending k, as the model sums it; the zeros
    /// above a Cholesky factor's diagonal add exact zeros, which change no bit.
    #[inline(never)]
    fn correlate(&self, shocks: &[f64], correlated: &mut [f64]) {
        self.correlate_plus::<false>(shocks, &[], &[], correlated);
    }

    /// `correlate`, then Z_i += scales[i] e_i (`residuals[i * LANES + l]`) on every lane as each tile
    /// is stored: the last term of a factor model's sum, without a second pass that reads Z back and
    /// writes it again. `scales` and `residuals` cover the padded rows (zeros past the last asset).
    #[inline(never)]
    fn correlate_with_residuals(&self, factors: &[f64], scales: &[f64], residuals: &[f64], correlated: &mut [f64]) {
        self.correlate_plus::<true>(factors, scales, residuals, correlated);
    }

    #[inline(always)]
    fn correlate_plus<const RESIDUALS: bool>(&self, shocks: &[f64], scales: &[f64], residuals: &[f64], correlated: &mut [f64]) {
        for (panel, span) in self.offsets.windows(2).enumerate() {
            let first_row = panel * ROWS;
            let factor = &self.panels[span[0]..span[1]];
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
                    if RESIDUALS {
                        let scale = scales[first_row + r];
                        let e: &[f64; TILE] = residuals[at..at + TILE].try_into().expect("a tile of lanes");
                        let z: &mut [f64; TILE] = (&mut correlated[at..at + TILE]).try_into().expect("a tile of lanes");
                        for t in 0..TILE {
                            z[t] = row[t] + scale * e[t];
                        }
                    } else {
                        correlated[at..at + TILE].copy_from_slice(row);
                    }
                }
            }
        }
    }
}

/// What turns a path's standard normals into its assets' correlated shocks Z.
enum Shocks {
    /// n normals eps, Z = C eps (C the Cholesky factor of the correlation).
    Correlated(PackedRows),
    /// k + n normals, the k factors F then the n residuals e: Z_i = L_i . F + residual_scales[i] e_i.
    Factors { loadings: PackedRows, factors: usize, residual_scales: Vec<f64> },
}

impl Shocks {
    fn new(dependence: &Dependence) -> RiskResult<Self> {
        Ok(match dependence {
            Dependence::Correlation(correlation) => Shocks::Correlated(PackedRows::cholesky(&cholesky::factor(correlation)?, correlation.len())),
            Dependence::Factors(loadings) => Shocks::Factors {
                loadings: PackedRows::loadings(loadings),
                factors: loadings[0].len(),
                // Validation lets a sum of squares pass 1 by a tolerance: its residual is 0.
                // Padded with zeros to the panels' rows, which the kernel reads.
                residual_scales: loadings
                    .iter()
                    .map(|row| (1.0 - explained_variance(row)).max(0.0).sqrt())
                    .chain(core::iter::repeat(0.0))
                    .take(loadings.len().next_multiple_of(ROWS))
                    .collect(),
            },
        })
    }

    /// Normals each path draws from its stream.
    fn normals(&self, n: usize) -> usize {
        match self {
            Shocks::Correlated(_) => n,
            Shocks::Factors { factors, .. } => factors + n,
        }
    }

    fn padded_rows(&self) -> usize {
        match self {
            Shocks::Correlated(factor) => factor.padded_rows(),
            Shocks::Factors { loadings, .. } => loadings.padded_rows(),
        }
    }

    /// Z on every lane from the lanes' normals (`normals[k * LANES + l]`) into `correlated[i * LANES + l]`.
    fn correlate(&self, normals: &[f64], correlated: &mut [f64]) {
        match self {
            Shocks::Correlated(factor) => factor.correlate(normals, correlated),
            Shocks::Factors { loadings, factors, residual_scales } => {
                let (common, residuals) = normals.split_at(factors * LANES);
                loadings.correlate_with_residuals(common, residual_scales, residuals, correlated);
            }
        }
    }
}

thread_local! {
    /// The last dependence and its packed form. The host simulates a run as many calls that share one
    /// portfolio, and factoring 2,000 assets costs more than simulating a chunk of paths.
    static LAST_SHOCKS: RefCell<Option<(Dependence, Rc<Shocks>)>> = const { RefCell::new(None) };
}

/// The packed form of `dependence`, from the cache when it is bit for bit the last one.
fn shocks_for(dependence: &Dependence) -> RiskResult<Rc<Shocks>> {
    let same_matrix = |a: &[Vec<f64>], b: &[Vec<f64>]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits()))
    };
    let same = |cached: &Dependence| match (cached, dependence) {
        (Dependence::Correlation(a), Dependence::Correlation(b)) | (Dependence::Factors(a), Dependence::Factors(b)) => same_matrix(a, b),
        _ => false,
    };
    LAST_SHOCKS.with(|last| {
        if let Some((cached, shocks)) = &*last.borrow() {
            if same(cached) {
                return Ok(Rc::clone(shocks));
            }
        }
        let shocks = Rc::new(Shocks::new(dependence)?);
        *last.borrow_mut() = Some((dependence.clone(), Rc::clone(&shocks)));
        Ok(shocks)
    })
}

/// P&L of paths `first_path .. first_path + path_count`, in path order. Inputs must be validated.
pub fn simulate_pnl(portfolio: &Portfolio, run: &Simulation) -> RiskResult<Vec<f64>> {
    let n = portfolio.assets.len();
    let shocks = shocks_for(&portfolio.dependence)?;
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
    // Past the path's normals, zeros up to the padded rows: a factor model's kernel reads a
    // residual for every row of its panels.
    let mut normals = vec![0.0; (shocks.normals(n) + shocks.padded_rows() - n) * LANES];
    let mut correlated = vec![0.0; shocks.padded_rows() * LANES];
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
        streams.fill_normals(shocks.normals(n), &mut normals);
        shocks.correlate(&normals, &mut correlated);
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
    statistics::ensure_finite(&pnl, first)?;
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
    // exp's constants set up once, not in every iteration (see `ExpConstants`).
    let exp = ExpConstants::opaque();
    let rows = correlated.as_chunks::<LANES>().0.iter().zip(log_returns.as_chunks_mut::<LANES>().0).zip(spots.as_chunks_mut::<LANES>().0);
    for (((z, x), spot), ((&drift, &vol), asset)) in rows.zip(log_drift.iter().zip(log_vol).zip(&portfolio.assets)) {
        // Lanes l, l + LANES / 4, l + LANES / 2 and l + 3 LANES / 4 in one iteration: four
        // independent exponentials (a long dependent chain each, a division deep) for the
        // out-of-order core to overlap, which the compiler does not arrange for wasm by itself (it
        // interleaves only for x86). Four chains, not two: the core waited on two (a 5,000-asset
        // factor run took about 7% longer); at eight V8 no longer kept the loop on SIMD lanes.
        for l in 0..LANES / 4 {
            let [a, b, c, d] = [l, l + LANES / 4, l + LANES / 2, l + 3 * LANES / 4];
            x[a] = drift + vol * (sign * z[a]);
            x[b] = drift + vol * (sign * z[b]);
            x[c] = drift + vol * (sign * z[c]);
            x[d] = drift + vol * (sign * z[d]);
            spot[a] = asset.spot * exp.exp(x[a]);
            spot[b] = asset.spot * exp.exp(x[b]);
            spot[c] = asset.spot * exp.exp(x[c]);
            spot[d] = asset.spot * exp.exp(x[d]);
        }
    }
}

pub fn monte_carlo(portfolio: &Portfolio, run: &Simulation, confidence_levels: &[f64]) -> RiskResult<RiskReport> {
    statistics::summarize_pnl(simulate_pnl(portfolio, run)?, confidence_levels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elementary::exp;
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
        Portfolio { assets, dependence: Dependence::Correlation(correlation), risk_free_rate: 0.02, positions }
    }

    /// The same book on 3 factors; asset 4's loadings leave it no residual (sum of squares 1).
    fn factor_portfolio() -> Portfolio {
        let loadings = (0..7)
            .map(|i| match i {
                4 => vec![0.6, 0.0, 0.8],
                _ => vec![0.5 - 0.05 * i as f64, 0.1 * (i % 3) as f64 - 0.1, 0.2 + 0.03 * i as f64],
            })
            .collect();
        Portfolio { dependence: Dependence::Factors(loadings), ..portfolio() }
    }

    /// The model one path at a time, as README "The model" states it.
    fn one_path_at_a_time(portfolio: &Portfolio, run: &Simulation) -> Vec<f64> {
        let n = portfolio.assets.len();
        let h = horizon_years(run.horizon_days);
        let revaluation = Revaluation::new(portfolio, run.horizon_days);
        (run.first_path..run.first_path + run.path_count)
            .map(|path| {
                let (key, negate) = if run.antithetic { (path / 2, path % 2 == 1) } else { (path, false) };
                let k = match &portfolio.dependence {
                    Dependence::Correlation(_) => 0,
                    Dependence::Factors(loadings) => loadings[0].len(),
                };
                let mut eps = vec![0.0; k + n];
                Xoshiro256PlusPlus::for_stream(run.seed, key).fill_normals(&mut eps);
                if negate {
                    eps.iter_mut().for_each(|e| *e = -*e);
                }
                let (mut x, mut spots) = (vec![0.0; n], vec![0.0; n]);
                for i in 0..n {
                    let z = match &portfolio.dependence {
                        Dependence::Correlation(correlation) => {
                            let factor = cholesky::factor(correlation).unwrap();
                            (0..=i).fold(0.0, |z, k| z + factor[i * n + k] * eps[k])
                        }
                        Dependence::Factors(loadings) => {
                            let common = (0..k).fold(0.0, |z, j| z + loadings[i][j] * eps[j]);
                            common + (1.0 - explained_variance(&loadings[i])).max(0.0).sqrt() * eps[k + i]
                        }
                    };
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
        for (name, portfolio) in [("correlation", portfolio()), ("factors", factor_portfolio())] {
            for antithetic in [false, true] {
                for (first_path, path_count) in [(0, 1), (3, 50), (17, 33), (u64::MAX - 40, 40)] {
                    let run = Simulation { seed: 99, horizon_days: 5.0, antithetic, first_path, path_count };
                    let blocked = simulate_pnl(&portfolio, &run).unwrap();
                    let plain = one_path_at_a_time(&portfolio, &run);
                    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    assert_eq!(bits(&blocked), bits(&plain), "{name}, antithetic {antithetic}, paths {first_path}+{path_count}");
                }
            }
        }
    }

    /// A correlation built from the loadings (L L' + the residual diagonal) moves the book the same way
    /// in distribution: the P&L's mean and standard deviation agree within Monte Carlo error.
    #[test]
    fn factor_shocks_have_the_correlation_their_loadings_imply() {
        let factors = factor_portfolio();
        let Dependence::Factors(loadings) = &factors.dependence else { unreachable!() };
        let implied = (0..7)
            .map(|i| (0..7).map(|j| if i == j { 1.0 } else { (0..3).map(|f| loadings[i][f] * loadings[j][f]).sum() }).collect())
            .collect();
        let correlated = Portfolio { dependence: Dependence::Correlation(implied), ..portfolio() };
        let run = Simulation { seed: 5, horizon_days: 10.0, antithetic: false, first_path: 0, path_count: 200_000 };
        let moments = |p: &Portfolio| {
            let pnl = simulate_pnl(p, &run).unwrap();
            let mean = pnl.iter().sum::<f64>() / pnl.len() as f64;
            let sd = (pnl.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / pnl.len() as f64).sqrt();
            (mean, sd)
        };
        let ((mean_f, sd_f), (mean_c, sd_c)) = (moments(&factors), moments(&correlated));
        let error = sd_c / (run.path_count as f64).sqrt();
        assert!((mean_f - mean_c).abs() < 5.0 * error, "means {mean_f} vs {mean_c} (error {error})");
        assert!((sd_f - sd_c).abs() < 0.02 * sd_c, "standard deviations {sd_f} vs {sd_c}");
    }
}
