"""The risk-engine component under Wasmtime (PyPI `wasmtime`, its native component-model API), for
`make bench`: the runtime of the published Python case, so we see what V8 through jco costs against
Cranelift. One call of `monte-carlo` over all paths, on one thread.

Usage: python wasmtime_var.py <component.wasm> <portfolio.json> <paths> <repetitions> <seed>
Prints one JSON object: wall and CPU time per repetition (including lowering the portfolio), compile time,
report, peak resident memory.
"""
import json
import sys
import time
from importlib.metadata import version

import wasmtime
from wasmtime.component import Component, Linker, Record

from peak_rss import peak_rss_kb

CONFIDENCE = [0.95, 0.99]


def record(**fields):
    """A WIT record: wasmtime-py reads fields by their WIT (kebab-case) names."""
    r = Record()
    for name, value in fields.items():
        setattr(r, name.replace("_", "-"), value)
    return r


def wit_portfolio(spec):
    index = {a["id"]: i for i, a in enumerate(spec["assets"])}

    def instrument(p):
        # `instrument` is spot | european(option-contract): wasmtime-py lowers it untagged, None for spot.
        if p["type"] == "spot":
            return None
        return record(kind=p["type"], strike=float(p["strike"]), expiry_years=float(p["expiryYears"]))

    return record(
        assets=[record(spot=float(a["spot"]), drift=float(a["drift"]), vol=float(a["vol"])) for a in spec["assets"]],
        correlation=[[float(x) for x in row] for row in spec["correlation"]],
        risk_free_rate=float(spec.get("riskFreeRate", 0.0)),
        positions=[record(asset_index=index[p["asset"]], quantity=float(p["quantity"]), instrument=instrument(p)) for p in spec["positions"]],
    )


def main():
    component_path, spec_path = sys.argv[1], sys.argv[2]
    paths, repetitions, seed = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    with open(spec_path) as f:
        spec = json.load(f)
    started = time.perf_counter()
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    component = Component.from_file(engine, component_path)
    instance = Linker(engine).instantiate(store, component)
    interface = instance.get_export_index(store, "wasm-risk:risk/engine@1.0.0")
    monte_carlo = instance.get_func(store, instance.get_export_index(store, "monte-carlo", interface))
    compile_seconds = time.perf_counter() - started

    portfolio = wit_portfolio(spec)
    run = record(seed=seed, horizon_days=1.0, antithetic=False, first_path=0, path_count=paths)
    seconds = []
    cpu_seconds = []
    for _ in range(repetitions):
        started = time.perf_counter()
        cpu_started = time.process_time()
        report = monte_carlo(store, portfolio, run, CONFIDENCE)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(time.process_time() - cpu_started)
    levels = [{"confidence": l.confidence, "var": l.var, "es": l.es, "stdError": getattr(l, "std-error")} for l in report.levels]
    print(json.dumps({
        "seconds": seconds,
        "cpuSeconds": cpu_seconds,
        "compileSeconds": compile_seconds,
        "report": {"levels": levels, "meanPnl": getattr(report, "mean-pnl"), "stdPnl": getattr(report, "std-pnl")},
        "wasmtime": version("wasmtime"),
        "peakRssKb": peak_rss_kb(),
    }))


if __name__ == "__main__":
    main()
