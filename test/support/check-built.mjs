// `npm test`'s pretest: the tests run the compiled host (dist/), the engine, the hostile fixtures and the
// engine's later versions, none of which `npm ci` makes. Unless all of them are there and newer than their
// sources it stops the run at once with one line, rather than let hundreds of tests fail on a missing or
// stale build. make knows the components' sources (`make -q test-inputs`); TypeScript knows what dist/
// holds for each source it compiles.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const PROJECT_ROOT = join(import.meta.dirname, '..', '..');

function mtimeMs(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Every TypeScript source has a compiled .js in dist/ at least as new as itself. */
function hostCompiled() {
  const config = ts.getParsedCommandLineOfConfigFile(join(PROJECT_ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config?.options.outDir || !config.options.rootDir) return false;
  const { outDir, rootDir } = config.options;
  return config.fileNames
    .filter((source) => !source.endsWith('.d.ts'))
    .every((source) => {
      const compiled = mtimeMs(join(outDir, relative(rootDir, source)).replace(/\.ts$/, '.js'));
      return compiled !== undefined && compiled >= mtimeMs(source);
    });
}

function componentsBuilt() {
  return spawnSync('make', ['-q', 'test-inputs'], { cwd: PROJECT_ROOT, stdio: 'ignore' }).status === 0;
}

if (!componentsBuilt() || !hostCompiled()) {
  console.error('wasm-risk tests: run `make test` (builds the component, fixtures and host first)');
  process.exit(1);
}
