// Where the tests find what `make` built and what the repository ships: the one place that knows the paths
// of the hostile fixtures, the engine's test-only contract versions and the example portfolio.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_COMPONENT, EXAMPLE_PORTFOLIO, PROJECT_ROOT } from '../../host/files/package-paths.js';
import type { PortfolioSpec } from '../../host/request/portfolio.js';

/** The project's own engine, as `make build` leaves it. */
export const ENGINE = DEFAULT_COMPONENT;

/** Hostile and faulty components (components/fixtures, components/fixtures-wat), built by `make fixtures`. */
export const FIXTURES_DIR = join(PROJECT_ROOT, 'build', 'fixtures');

export function fixture(name: string): string {
  return join(FIXTURES_DIR, `${name}.wasm`);
}

/** The engine behind another contract version (components/fixtures-versions), built by `make versions`. */
export function engineVersion(version: string): string {
  return join(PROJECT_ROOT, 'build', 'components', 'versions', `risk-engine-${version}.wasm`);
}

/** examples/portfolio.json, which the package ships too. */
export { EXAMPLE_PORTFOLIO };

/** A fresh copy of the example portfolio, parsed. */
export function examplePortfolio(): PortfolioSpec {
  return JSON.parse(readFileSync(EXAMPLE_PORTFOLIO, 'utf8')) as PortfolioSpec;
}

/** A Python plugin fixture (components/fixtures-python), built by `make fixtures` with the Python template's
 *  componentize-py; where it could not be installed, the reason the Makefile wrote instead, for the tests to skip with. */
export function pythonFixture(name: string): { path: string; unavailable: string | undefined } {
  const path = join(FIXTURES_DIR, `${name}-python.wasm`);
  const reasonFile = join(PROJECT_ROOT, 'build', 'plugins', 'python.skipped');
  return { path, unavailable: existsSync(path) ? undefined : existsSync(reasonFile) ? readFileSync(reasonFile, 'utf8').trim() : undefined };
}

/** Where `make plugins` builds one plugin per language from templates/ with `wasm-risk new`. */
export const PLUGINS_DIR = join(PROJECT_ROOT, 'build', 'plugins');

/** The generated project of `lang` under PLUGINS_DIR, its component, and why it was skipped, if it was. */
export function templatePlugin(lang: string): { project: string; component: string; skipped: string | undefined } {
  const project = join(PLUGINS_DIR, lang);
  let skipped: string | undefined;
  try {
    skipped = readFileSync(join(PLUGINS_DIR, `${lang}.skipped`), 'utf8').trim();
  } catch {
    skipped = undefined;
  }
  return { project, component: join(project, 'build', 'plugin.wasm'), skipped };
}
