// docs/grafana-dashboard.json cannot drift from the code: every metric and label its PromQL uses is one a
// real server's /metrics exposes, every service metric of the issue is on it, and the Prometheus data
// source is a variable, not a hard-coded one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../host/files/package-paths.js';
import { get, parsePrometheus, PORTFOLIO, post, startServer, type TestServer } from './service-support.js';

interface Target {
  expr: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

const dashboard = JSON.parse(readFileSync(join(PROJECT_ROOT, 'docs', 'grafana-dashboard.json'), 'utf8')) as Dashboard;
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));

/** Labels Prometheus attaches when it scrapes a target, which /metrics itself does not carry. */
const TARGET_LABELS = ['instance', 'job'];
/** PromQL words that look like metric names: aggregation modifiers, set operators, special values. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;

/** The series names an expression selects: identifiers left once strings, matchers, ranges and grouping
 *  clauses are removed, that are not called (functions, aggregations) and are not keywords. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(GROUPING, '');
  return [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)].map((match) => match[1]!).filter((name) => !KEYWORDS.has(name.toLowerCase()));
}

/** The label names an expression matches on or groups by. */
function labelNames(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const matchers = [...withoutStrings.matchAll(/\{([^}]*)\}/g)].flatMap((match) => [...match[1]!.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((m) => m[1]!));
  const grouped = [...withoutStrings.matchAll(GROUPING)].flatMap((match) => match[1]!.split(',').map((label) => label.trim()).filter(Boolean));
  return [...matchers, ...grouped];
}

/** Every series name /metrics exposes (a histogram as its _bucket, _sum and _count), with the label names
 *  its samples carry. */
function exposedSeries(text: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const names = type === 'histogram' || type === 'summary' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!];
    for (const each of names) series.set(each, new Set());
  }
  for (const key of parsePrometheus(text).keys()) {
    const [, name, labels = ''] = /^([^{]+)(?:\{(.*)\})?$/.exec(key)!;
    for (const [, label] of labels.matchAll(/([a-zA-Z_]\w*)="/g)) series.get(name!)?.add(label!);
  }
  return series;
}

let server: TestServer;
let exposed: Map<string, Set<string>>;
/** The series of a server that has answered nothing yet, by name. */
let fresh: Set<string>;
beforeAll(async () => {
  server = await startServer(undefined, { memoryLimitMb: 64 });
  fresh = new Set([...parsePrometheus((await get(server, '/metrics')).text).keys()].map((key) => key.split('{')[0]!));
  // One answered and one refused request, so the labelled series have samples to read their labels from.
  expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO })).status).toBe(200);
  expect((await post(server, '/v1/parametric', { portfolio: PORTFOLIO, horizonDays: 0 })).status).toBe(400);
  exposed = exposedSeries((await get(server, '/metrics')).text);
});
afterAll(async () => {
  await server?.close();
});

describe('docs/grafana-dashboard.json', () => {
  it('has queries, each selecting at least one series', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const { panel, target } of queries) expect(metricNames(target.expr), `${panel.title}: ${target.expr}`).not.toEqual([]);
  });

  it('uses only metric names a real server exposes on /metrics', () => {
    const unknown = queries.flatMap(({ panel, target }) => metricNames(target.expr).filter((name) => !exposed.has(name)).map((name) => `${panel.title}: ${name}`));
    expect(unknown).toEqual([]);
  });

  it('matches and groups only on labels those metrics carry', () => {
    const unknown = queries.flatMap(({ panel, target }) => {
      const names = metricNames(target.expr);
      const known = new Set([...TARGET_LABELS, ...names.flatMap((name) => [...(exposed.get(name) ?? [])])]);
      return labelNames(target.expr).filter((label) => !known.has(label)).map((label) => `${panel.title}: ${label}`);
    });
    expect(unknown).toEqual([]);
  });

  it('plots every service metric, and p50/p95/p99 of both latency histograms', () => {
    const used = new Set(queries.flatMap(({ target }) => metricNames(target.expr)));
    const serviceMetrics = [...exposed.keys()].filter((name) => name.startsWith('wasm_risk_') && !/_(sum|count)$/.test(name));
    expect(serviceMetrics.length).toBeGreaterThanOrEqual(10);
    expect(serviceMetrics.filter((name) => !used.has(name))).toEqual([]);
    expect(used).toContain('process_resident_memory_bytes');
    for (const histogram of ['wasm_risk_request_duration_seconds', 'wasm_risk_engine_call_duration_seconds']) {
      const quantiles = queries
        .map(({ target }) => new RegExp(`^histogram_quantile\\((0\\.\\d+), .*${histogram}_bucket`).exec(target.expr)?.[1])
        .filter((quantile) => quantile !== undefined);
      expect(quantiles, histogram).toEqual(['0.5', '0.95', '0.99']);
    }
  });

  // A labelled counter has no series before its first increment: a server listed by one was missing from the
  // instance list, and so from every panel once an instance was picked, until it answered a risk request.
  it('lists a server in its instance variable before it has answered anything', () => {
    const variable = dashboard.templating.list.find((each) => each.name === 'instance') as { query: { query: string } } | undefined;
    const metric = /^label_values\((\w+), instance\)$/.exec(variable?.query.query ?? '')?.[1];
    expect(metric).toBeDefined();
    expect(fresh).toContain(metric);
  });

  it('reads from a Prometheus data source variable, never a hard-coded one', () => {
    const variable = dashboard.templating.list.find((each) => each.type === 'datasource');
    expect(variable).toMatchObject({ name: 'datasource', query: 'prometheus' });
    const sources = dashboard.panels.filter((panel) => panel.type !== 'row').flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((target) => target.datasource)]);
    for (const source of sources) expect(source).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });
});
