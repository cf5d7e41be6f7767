// Paths inside the installed package, found from this module's location (works from host/files/ and dist/host/files/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'wasm-risk') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('wasm-risk: cannot find the project root from ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot();

/** The installed package's version (`wasm-risk --version`), read from its own package.json. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The project's own engine, built by `make build`. */
export const DEFAULT_COMPONENT = join(PROJECT_ROOT, 'build', 'components', 'risk-engine.wasm');

/** Its transpiled form, made at build time and shipped beside it (load/shipped-glue.ts). */
export const SHIPPED_GLUE_DIR = join(PROJECT_ROOT, 'build', 'components', 'risk-engine.transpiled');

/** The portfolio the README's examples and `swap` use by default; shipped with the package. */
export const EXAMPLE_PORTFOLIO = join(PROJECT_ROOT, 'examples', 'portfolio.json');
