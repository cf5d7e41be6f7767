// bench/run.mjs's results as text and as targets: the speed table, the Node versions table, the peak
// memory table and the notes under them (the block of docs/performance.md), and the issue's targets,
// computed from bench/results.json's shape and nothing else.

/** The results key of the component run by Node `line` on `workers` pool workers. */
export const componentKey = (line, workers, cores) => `component-node${line}-${workers === 1 ? '1-worker' : `${cores}-workers`}`;

const seconds = (s) => (s >= 100 ? s.toFixed(0) : s >= 10 ? s.toFixed(1) : s >= 1 ? s.toFixed(2) : s.toFixed(3));
const ratio = (x) => `${x.toFixed(2)}x`;
const label = (row) => `${row.assets} ${row.portfolio === 'options' ? 'options' : 'linear'} ${row.paths >= 1e6 ? `${row.paths / 1e6}M` : `${row.paths / 1000}k`}`;
/** Seconds for the whole workload (extrapolated, and starred, when the contender ran a prefix). */
const time = (result, paths) => (result ? `${seconds(paths / result.pathsPerSecond)}${result.paths ? '*' : ''}` : 'n/a');
/** How many times as long `slow` takes as `fast` (both per path). */
const over = (slow, fast) => (slow && fast ? ratio(fast.pathsPerSecond / slow.pathsPerSecond) : 'n/a');
/** CPU seconds for the whole workload (extrapolated, and starred, like `time`). */
const cpuTime = (result, paths) => (result?.cpuSeconds ? `${seconds((result.cpuSeconds * paths) / (result.paths ?? paths))}${result.paths ? '*' : ''}` : 'n/a');
const cpuPerPath = (result, paths) => (result?.cpuSeconds ? result.cpuSeconds / (result.paths ?? paths) : null);
/** How many times the CPU time of `fast` that `slow` takes (both per path). */
const overCpu = (slow, fast, paths) => {
  const [a, b] = [cpuPerPath(slow, paths), cpuPerPath(fast, paths)];
  return a && b ? ratio(a / b) : 'n/a';
};
const mib = (result) => (result?.peakRssKb ? `${(result.peakRssKb / 1024).toFixed(0)}${result.paths ? '*' : ''}` : 'n/a');

function markdown(head, rows) {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const cells of rows) lines.push(`| ${cells.join(' | ')} |`);
  return lines;
}

function speedTable(results) {
  const cores = results.machine.cores;
  const primary = results.primaryNode;
  const head = ['workload', 'native 1T', 'native-SSE 1T', 'comp. 1W', '1W / SSE', '1W / SSE (CPU)', '1W / native', `native ${cores}T`, `comp. ${cores}W`,
    'Wasmtime', 'NumPy', 'Numba', `NumPy / comp. ${cores}W`, `Numba / comp. ${cores}W`, 'TS ref', 'TS / comp. 1W'];
  return markdown(head, results.workloads.map((row) => {
    const r = row.results;
    const oneW = r[componentKey(primary, 1, cores)];
    const allW = r[componentKey(primary, cores, cores)];
    return [
      label(row),
      time(r['native-1-thread'], row.paths),
      time(r['native-sse-1-thread'], row.paths),
      time(oneW, row.paths),
      over(oneW, r['native-sse-1-thread']),
      overCpu(oneW, r['native-sse-1-thread'], row.paths),
      over(oneW, r['native-1-thread']),
      time(r[`native-${cores}-threads`], row.paths),
      time(allW, row.paths),
      time(r['wasmtime-python'], row.paths),
      time(r.numpy, row.paths),
      time(r.numba, row.paths),
      over(r.numpy, allW),
      over(r.numba, allW),
      time(r['typescript-reference'], row.paths),
      over(r['typescript-reference'], oneW),
    ];
  }));
}

function nodeTable(results) {
  const cores = results.machine.cores;
  const lines = Object.keys(results.machine.nodeRuntimes).map(Number);
  const last = lines[lines.length - 1];
  const first = lines[0];
  const head = ['workload', 'native-SSE 1T CPU', ...lines.map((l) => `Node ${l} 1W CPU`), ...lines.map((l) => `${l} / SSE`), `${last} / ${first}`,
    ...lines.map((l) => `Node ${l} ${cores}W wall`), `${last} / ${first} ${cores}W`, 'same numbers'];
  return markdown(head, results.workloads.map((row) => {
    const r = row.results;
    const at = (line, workers) => r[componentKey(line, workers, cores)];
    const compared = Object.entries(row.identical).filter(([k]) => /^node\d+VsNode\d+$/.test(k));
    return [
      label(row),
      cpuTime(r['native-sse-1-thread'], row.paths),
      ...lines.map((l) => cpuTime(at(l, 1), row.paths)),
      ...lines.map((l) => overCpu(at(l, 1), r['native-sse-1-thread'], row.paths)),
      overCpu(at(last, 1), at(first, 1), row.paths),
      ...lines.map((l) => time(at(l, cores), row.paths)),
      over(at(last, cores), at(first, cores)),
      compared.length ? (compared.every(([, same]) => same) ? 'yes' : 'NO') : 'n/a*',
    ];
  }));
}

function memoryTable(results) {
  const cores = results.machine.cores;
  const lines = Object.keys(results.machine.nodeRuntimes).map(Number);
  const head = ['workload', 'native 1T', `native ${cores}T`, ...lines.map((l) => `Node ${l} 1W`), ...lines.map((l) => `Node ${l} ${cores}W`), 'Wasmtime', 'NumPy', 'Numba'];
  return markdown(head, results.workloads.map((row) => {
    const r = row.results;
    return [
      label(row),
      mib(r['native-1-thread']),
      mib(r[`native-${cores}-threads`]),
      ...lines.map((l) => mib(r[componentKey(l, 1, cores)])),
      ...lines.map((l) => mib(r[componentKey(l, cores, cores)])),
      mib(r['wasmtime-python']),
      mib(r.numpy),
      mib(r.numba),
    ];
  }));
}

/** The block of docs/performance.md: what ran, where, the three tables and their notes. */
export function report(results) {
  const m = results.machine;
  const cores = m.cores;
  const c = results.coldStart['in-thread'];
  const w = results.coldStart.workers;
  const o = results.perCallOverhead;
  const versions = Object.entries(m.nodeRuntimes).map(([line, v]) => `Node ${line}: ${v}`).join(', ');
  const numba = results.workloads.find((row) => row.numba)?.numba;
  const compile = results.workloads.filter((row) => row.numba).map((row) => row.numba.compileSeconds);
  const numpy = results.workloads.find((row) => row.numpy)?.numpy;
  const wasmtime = results.workloads.find((row) => row.wasmtime)?.wasmtime;
  const agreement = (key) => {
    const values = results.workloads.flatMap((row) => row[key] ?? []).map(Math.abs);
    return values.length ? `${(Math.max(...values) * 100).toFixed(2)}%` : 'n/a';
  };
  const identical = results.workloads.every((row) =>
    Object.entries(row.identical).every(([k, v]) => (k === 'referencePathsCompared' ? true : k === 'referencePathsDiffering' ? v === 0 : v !== false)));
  const star = `* = run on the first paths only (TS reference: about ${results.referenceBudgetSeconds} s of them; Wasmtime, NumPy, Numba, native-SSE and ` +
    `the component under the other Node lines: ${results.secondaryMaxPaths500 / 1000}k for 500 assets) and scaled to the workload by its paths per second`;
  return [
    `\`${results.command}\` on commit ${results.commit}, ${results.date.slice(0, 16).replace('T', ' ')} UTC${results.quick ? ' (the quick run: one row)' : ''}: ` +
      `${m.cpu}, ${cores} cores, ${versions}; ${m.rustc}; ${m.python ?? 'no Python'}` +
      `${numpy ? `, NumPy ${numpy.version}` : ''}${numba ? `, Numba ${numba.version} (${numba.threads} threads)` : ''}${wasmtime ? `, wasmtime-py ${wasmtime.version}` : ''}. ` +
      `The whole run took ${results.benchSeconds.toFixed(0)} s.`,
    '',
    `**Speed** (seconds per run of the whole workload; the component on Node ${results.primaryNode}):`,
    '',
    ...speedTable(results),
    '',
    `**Node versions** (the component on each Node line; one worker in CPU seconds of the whole process, all cores in wall seconds):`,
    '',
    ...nodeTable(results),
    '',
    `**Peak resident memory** (MiB, the whole process of each contender on that workload: runtime, libraries, threads and data):`,
    '',
    ...memoryTable(results),
    '',
    `Best of several runs when under ${results.repeatBelowSeconds} s (until they add up to ${results.repeatBelowSeconds} s, 3 to 9 runs), else one. T = threads, W = workers; native = target-cpu=native (AVX2 here), ` +
      'native-SSE = the same crate at 128-bit SIMD (x86-64-v2), the width wasm SIMD128 has. ' +
      `${star}. Ratios are times over times: 1W / SSE > 1 means the component is slower, NumPy / comp. and TS / comp. > 1 that it is faster. ` +
      'CPU = user + system time of the contender\'s whole process during the run (every thread), for the one-thread comparisons: on a machine ' +
      'shared with other work, wall time also counts the waits for a core, CPU time much less so. ' +
      `Same numbers: the other Node lines report VaR, ES, mean and standard deviation bit-identical to Node ${results.primaryNode}'s (n/a* where they ran a prefix).`,
    '',
    `Agreement: native, native-SSE, the component on 1 and ${cores} workers, every Node line and Wasmtime ${identical ? 'report bit-identical VaR and ES (and the host\'s runs bit-identical moments too; the crate alone, native or under Wasmtime, sums the mean and standard deviation in floating point, the host exactly: they agree to 1e-9 of the standard deviation), and the TypeScript reference reproduces the component\'s P&L path by path, on every workload' : '**DIFFER** somewhere (see bench/results.json, `identical`)'}. ` +
      `NumPy and Numba draw their own random numbers: their VaRs are within ${agreement('numpyVarRelativeDifference')} (NumPy) and ${agreement('numbaVarRelativeDifference')} (Numba) of the component's (the largest difference over both levels and every row).` +
      (compile.length
        ? ` Numba's first call (JIT compilation) took ${compile.length > 1 ? `${seconds(Math.min(...compile))} to ${seconds(Math.max(...compile))}` : seconds(compile[0])} s per process, not counted in its column.`
        : ''),
    '',
    `Cold start (ms): import of the library ${c.importMs.toFixed(0)}; first load with transpilation + first call ${c.transpileLoadAndFirstCallMs.toFixed(0)}; ` +
      `cache hit in a fresh process ${c.freshProcessCachedLoadAndFirstCallMs.toFixed(1)} in-thread / ${w.freshProcessCachedLoadAndFirstCallMs.toFixed(1)} workers; ` +
      `second load (cache hit) + first call ${c.secondLoadAndFirstCallMs.toFixed(1)} in-thread / ${w.secondLoadAndFirstCallMs.toFixed(1)} workers.`,
    `Tiny request (1 asset, 1 path, microseconds per call, best of ${o.rounds} rounds): raw info() ${o.rawInfoUs.toFixed(1)}, raw monteCarlo ${o.rawExportUs.toFixed(1)}, ` +
      `RiskEngine in-thread ${o.inThreadUs.toFixed(1)} (host overhead ${o.hostOverheadUs.toFixed(1)}), worker pool ${o.workerPoolUs.toFixed(1)}.`,
    '',
    '**Against the targets** (issue #14 and the performance issue before it), in this run:',
    '',
    ...targetTable(results),
    '',
  ].join('\n');
}

/** The rows a Node line's one-worker runs miss 1.3x of native-SSE on, worst first, and the range of the others. */
function sseReading(n) {
  if (n.worstCpuOverNativeSse === null) return 'n/a';
  const over = n.rowsOver1_3xOfNativeSse ?? [];
  const others = n.worstWithin1_3xOfNativeSse === null ? '' : `${ratio(n.bestCpuOverNativeSse)} to ${ratio(n.worstWithin1_3xOfNativeSse)}`;
  if (over.length === 0) return others;
  // A ratio just over the bar is shown to three places, so that it does not read as the bar itself (1.30x).
  const missed = over.map(({ workload, ratio: r }) => `${workload} ${r.toFixed(2) === '1.30' ? `${r.toFixed(3)}x` : ratio(r)}`).join(', ');
  return `${over.length} of ${n.rowsOverNativeSse} rows over 1.3x, ${missed}${others ? `; the others ${others}` : ''}`;
}

function targetTable(results) {
  const t = results.targets;
  const verdict = (met) => (met === null || met === undefined ? 'n/a' : met ? '**met**' : '**not met**');
  const rows = Object.entries(t.perNode).map(([line, n]) => [
    `Node ${line}: component on one worker within 1.3x of native at the same vector width (native-SSE), every workload (CPU time)`,
    `${verdict(n.within1_3xOfNativeSse)}: ${sseReading(n)} (against AVX2 native: worst ${n.worstCpuOverNativeAvx2 === null ? 'n/a' : ratio(n.worstCpuOverNativeAvx2)})`,
  ]);
  const lines = Object.keys(t.perNode);
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (last !== first) {
    const worst = t.perNode[last][`worstCpuOverNode${first}`];
    rows.push([`Node ${last} no slower than Node ${first} (one worker, every workload, CPU time)`, worst === null ? 'n/a' : `${verdict(worst <= 1)}: worst ${ratio(worst)} Node ${first}'s time`]);
  }
  rows.push(
    [`all cores faster than NumPy (${t.fasterThanNumpy.workload ?? 'n/a'})`, t.fasterThanNumpy.met === null ? 'n/a (no NumPy)' : `${verdict(t.fasterThanNumpy.met)}: ${ratio(t.fasterThanNumpy.speedup)}`],
    ['at least 5x the TypeScript reference on option-heavy work', t.atLeast5xTypescriptOnOptions.met === null ? 'n/a (no option-heavy row)' : `${verdict(t.atLeast5xTypescriptOnOptions.met)}: worst ${ratio(t.atLeast5xTypescriptOnOptions.worstSpeedup)}`],
    ['second load (cache hit) + first call under 30 ms', `${verdict(t.secondLoadAndFirstCallUnder30ms.met)} in-thread (${t.secondLoadAndFirstCallUnder30ms.inThreadMs.toFixed(1)} ms); workers ${t.secondLoadAndFirstCallUnder30ms.workersMs.toFixed(1)} ms`],
    ['tiny-request overhead under 20 us', `${verdict(t.tinyRequestUnder20us.met)} in-thread (${t.tinyRequestUnder20us.inThreadUs.toFixed(1)} us, host ${t.tinyRequestUnder20us.hostOverheadUs.toFixed(1)} us); worker pool ${t.tinyRequestUnder20us.workerPoolUs.toFixed(1)} us`],
  );
  return ['| target | result |', '| --- | --- |', ...rows.map(([target, result]) => `| ${target} | ${result} |`)];
}

/** The issue's targets, met or not, from the results. */
export function targets(results) {
  const cores = results.machine.cores;
  const rows = results.workloads;
  const lines = Object.keys(results.machine.nodeRuntimes).map(Number);
  const at = (row, line, workers) => row.results[componentKey(line, workers, cores)];
  const worst = (values) => (values.length ? Math.max(...values) : null);
  const perNode = Object.fromEntries(lines.filter((line) => rows.some((row) => at(row, line, 1))).map((line) => {
    // CPU time per path, one worker against one native thread: what the runtime costs, whatever the neighbours do.
    /** Each row's ratio of CPU time per path, one worker against `other`, where both ran. */
    const cpuRatios = (other) => rows.map((row) => ({ workload: label(row), a: cpuPerPath(at(row, line, 1), row.paths), b: cpuPerPath(other(row), row.paths) }))
      .filter(({ a, b }) => a && b).map(({ workload, a, b }) => ({ workload, ratio: a / b }));
    const cpuRatio = (other) => worst(cpuRatios(other).map(({ ratio }) => ratio));
    const bySse = cpuRatios((row) => row.results['native-sse-1-thread']);
    const vsSse = worst(bySse.map(({ ratio }) => ratio));
    const vsNative = cpuRatio((row) => row.results['native-1-thread']);
    const vsFirst = cpuRatio((row) => at(row, lines[0], 1));
    return [line, {
      worstCpuOverNativeSse: vsSse,
      within1_3xOfNativeSse: vsSse === null ? null : vsSse <= 1.3,
      // Which rows miss, worst first, and how the others fare: the table's reading, from the run itself.
      rowsOverNativeSse: bySse.length,
      rowsOver1_3xOfNativeSse: bySse.filter(({ ratio }) => ratio > 1.3).sort((x, y) => y.ratio - x.ratio),
      bestCpuOverNativeSse: bySse.length ? Math.min(...bySse.map(({ ratio }) => ratio)) : null,
      worstWithin1_3xOfNativeSse: worst(bySse.filter(({ ratio }) => ratio <= 1.3).map(({ ratio }) => ratio)),
      worstCpuOverNativeAvx2: vsNative,
      [`worstCpuOverNode${lines[0]}`]: vsFirst,
    }];
  }));
  const find = (assets, portfolio, paths) => rows.find((r) => r.assets === assets && r.portfolio === portfolio && r.paths === paths);
  const numpyRow = find(100, 'linear', 1_000_000) ?? find(100, 'linear', 100_000) ?? rows[0];
  const numpy = numpyRow?.results.numpy;
  const optionRows = rows.filter((r) => r.portfolio === 'options');
  const worstVsTs = optionRows.length
    ? Math.min(...optionRows.map((r) => at(r, results.primaryNode, 1).pathsPerSecond / r.results['typescript-reference'].pathsPerSecond))
    : null;
  const last = lines[lines.length - 1];
  return {
    perNode,
    [`node${last}Within1_3xOfNativeSse`]: perNode[last]?.within1_3xOfNativeSse ?? null,
    [`node${last}NoSlowerThanNode${lines[0]}`]: perNode[last]?.[`worstCpuOverNode${lines[0]}`] ? perNode[last][`worstCpuOverNode${lines[0]}`] <= 1 : null,
    fasterThanNumpy: numpy
      ? (() => {
          const speedup = at(numpyRow, results.primaryNode, cores).pathsPerSecond / numpy.pathsPerSecond;
          return { workload: label(numpyRow), speedup, met: speedup > 1 };
        })()
      : { met: null, reason: 'numpy unavailable' },
    atLeast5xTypescriptOnOptions: worstVsTs === null ? { met: null, reason: 'no option-heavy row' } : { worstSpeedup: worstVsTs, met: worstVsTs >= 5 },
    secondLoadAndFirstCallUnder30ms: {
      inThreadMs: results.coldStart['in-thread'].secondLoadAndFirstCallMs,
      workersMs: results.coldStart.workers.secondLoadAndFirstCallMs,
      met: results.coldStart['in-thread'].secondLoadAndFirstCallMs < 30,
    },
    tinyRequestUnder20us: {
      inThreadUs: results.perCallOverhead.inThreadUs,
      hostOverheadUs: results.perCallOverhead.hostOverheadUs,
      workerPoolUs: results.perCallOverhead.workerPoolUs,
      met: results.perCallOverhead.inThreadUs < 20,
    },
  };
}
