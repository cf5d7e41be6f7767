// What a user gets from npm: the package packed as `npm pack` packs it, installed into an empty project
// (without the optional jco), and used from a directory of its own: the CLI's commands, the library from
// a strict TypeScript program, the footprint of the install, and what only jco can do once it is added.
// Packed with --ignore-scripts: prepack rebuilds dist/, which the other test files run meanwhile; this
// tests what `make build` built (prepack runs the same steps).
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_PORTFOLIO, PROJECT_ROOT, SHIPPED_GLUE_DIR } from '../../host/files/package-paths.js';
import { engineVersion, fixture } from '../support/fixtures.js';
import { expectOneLineFailure } from '../support/run-cli.js';

const JCO = '@bytecodealliance/jco-transpile';
const OTHER_COMPONENT = fixture('panicker');
const LATER_VERSION = engineVersion('1.3.0');
/** Measured 38 MB (`du -sh node_modules` of this install, npm 11); 118 MB while jco was a dependency. */
const MAX_INSTALL_MB = 40;

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-package-'));
const project = join(scratch, 'project');
/** Where the user runs the commands: neither the project root nor anywhere in the repository. */
const elsewhere = join(project, 'elsewhere');
const installed = join(project, 'node_modules', 'wasm-risk');
const SHIPPED_COMPONENT = join(installed, 'build', 'components', 'risk-engine.wasm');
let packedFiles: string[] = [];

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 90_000 });
  if (result.error) throw result.error;
  return result;
}

function npm(args: string[], cwd: string): string {
  const result = run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], cwd);
  expect(result.status, `npm ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** The installed `wasm-risk` command, through the link npm made in node_modules/.bin, with a transpile
 *  cache of its own: the run's shared cache may hold other components that the suite transpiled, which a
 *  user who never installed jco could not have. */
function wasmRisk(...args: string[]): SpawnSyncReturns<string> {
  return wasmRiskIn(elsewhere, args);
}

function wasmRiskIn(cwd: string, args: string[]): SpawnSyncReturns<string> {
  const result = spawnSync(join(project, 'node_modules', '.bin', 'wasm-risk'), args, {
    cwd,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, WASM_RISK_CACHE_DIR: join(scratch, 'user-cache'), WASM_RISK_CACHE_KEY_FILE: join(scratch, 'user-keys', 'cache.key') },
  });
  if (result.error) throw result.error;
  return result;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(PROJECT_ROOT, join(entry.parentPath, entry.name)));
}

/** Compiles `files` in `dir` into `dir/out` as a strict TypeScript program of Node would be (the package's
 *  declarations checked too: skipLibCheck off), and expects no error; `options` change its compiler options. */
function compileStrict(dir: string, files: string[], options: Record<string, unknown> = {}): void {
  const compilerOptions = {
    strict: true,
    target: 'ES2022',
    // A Node program's libraries: without the DOM's, which alone declares the global `WebAssembly` (the
    // package's declarations named `WebAssembly.Module`, and tsc failed on them with TS2503).
    lib: ['ES2023', 'ESNext.Disposable'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    outDir: 'out',
    types: ['node'],
    typeRoots: [join(PROJECT_ROOT, 'node_modules', '@types')],
    ...options,
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files }));
  const compiled = run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], dir);
  expect(compiled.stdout).toBe('');
  expect(compiled.status).toBe(0);
}

/** The JavaScript and TypeScript code blocks of a Markdown page of the repository, in order. */
function codeBlocks(page: string): { language: 'js' | 'ts'; code: string }[] {
  const markdown = readFileSync(join(PROJECT_ROOT, page), 'utf8');
  return [...markdown.matchAll(/^```(js|ts)\n([\s\S]*?)^```$/gm)].map(([, language, code]) => ({ language: language as 'js' | 'ts', code: code! }));
}

beforeAll(() => {
  const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', scratch], PROJECT_ROOT)) as { filename: string; files: { path: string }[] }[];
  packedFiles = packed!.files.map((file) => file.path).sort();
  mkdirSync(elsewhere, { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-wasm-risk', version: '1.0.0', private: true, type: 'module' }));
  copyFileSync(EXAMPLE_PORTFOLIO, join(elsewhere, 'portfolio.json'));
  npm(['install', join(scratch, packed!.filename)], project);
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('holds exactly the allow-list: the built host and reference model, the engine and its glue, policies, the WIT, the plugin templates, an example, the licence', () => {
    const optional = ['CHANGELOG.md'].filter((file) => readdirSync(PROJECT_ROOT).includes(file));
    const expected = [
      ...filesUnder(join(PROJECT_ROOT, 'dist', 'host')).filter((file) => !file.endsWith('.map')),
      // The reference model: `wasm-risk serve --fallback reference` answers with it.
      ...filesUnder(join(PROJECT_ROOT, 'dist', 'reference')).filter((file) => !file.endsWith('.map')),
      'build/components/risk-engine.wasm',
      ...filesUnder(SHIPPED_GLUE_DIR),
      ...filesUnder(join(PROJECT_ROOT, 'policies')),
      ...filesUnder(join(PROJECT_ROOT, 'wit')),
      // What `wasm-risk new` writes plugin projects from.
      ...filesUnder(join(PROJECT_ROOT, 'templates')),
      'examples/portfolio.json',
      'LICENSE',
      'README.md',
      'package.json',
      ...optional,
    ];
    expect(packedFiles).toEqual(expected.sort());
    expect(packedFiles).toContain('wit/golden-vectors.json');
    expect(packedFiles.filter((file) => /^(test|bench|components|tools|reference|host)\/|^dist\/tools\/|fixtures|^Makefile/.test(file))).toEqual([]);
  });
});

describe('installed into an empty project, without jco', () => {
  it(`leaves jco and binaryen out, and stays under ${MAX_INSTALL_MB} MB`, () => {
    const modules = join(project, 'node_modules');
    expect(readdirSync(modules)).not.toContain('binaryen');
    expect(readdirSync(join(modules, '@bytecodealliance'))).not.toContain('jco-transpile');
    const kilobytes = Number(run('du', ['-sk', modules], project).stdout.split('\t')[0]);
    expect(kilobytes / 1024).toBeLessThan(MAX_INSTALL_MB);
  });

  it('`wasm-risk var` runs the shipped engine', () => {
    const result = wasmRisk('var', 'portfolio.json', '--paths', '2000', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { component, levels } = JSON.parse(result.stdout) as { component: { name: string; version: string }; levels: { var: number }[] };
    expect(component).toMatchObject({ name: 'risk-engine', version: '1.2.0' });
    expect(levels[0]!.var).toBeGreaterThan(0);
  });

  it("runs the README's `npx wasm-risk` commands as written, from the project's folder", () => {
    // `audit build/components/risk-engine.wasm` was a path in this checkout, not in an installed package.
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const commands = [...readme.matchAll(/npx wasm-risk ([^`#\n]+)/g)].map(([, line]) => line!.trim().split(/\s+/)).filter(([command]) => command !== 'serve');
    expect(commands.length).toBeGreaterThanOrEqual(4);
    copyFileSync(EXAMPLE_PORTFOLIO, join(project, 'my-portfolio.json'));
    for (const args of commands) {
      const result = wasmRiskIn(project, args);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.status, args.join(' ')).toBe(0);
    }
  });

  it('`wasm-risk audit` describes the shipped engine, WIT and producers included', () => {
    const result = wasmRisk('audit', SHIPPED_COMPONENT, '--json');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { verdict: string; world: { wit: string }; producers: Record<string, string[]> };
    expect(report.verdict).toBe('allow');
    expect(report.world.wit).toMatch(/export wasm-risk:risk\/engine@1\.2\.0;/);
    expect(report.producers.language).toEqual(['Rust']);
  });

  it('`wasm-risk compare` checks the shipped engine against itself', () => {
    const result = wasmRisk('compare', SHIPPED_COMPONENT, SHIPPED_COMPONENT, 'portfolio.json', '--paths', '2000', '--json');
    expect(result.status).toBe(0);
    expect((JSON.parse(result.stdout) as { verdict: string }).verdict).toBe('identical');
  });

  it('`wasm-risk new` writes a plugin project from the shipped templates, with the shipped WIT', () => {
    const result = wasmRisk('new', 'my-plugin', '--lang', 'python');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(join(elsewhere, 'my-plugin', 'wit', 'risk.wit'), 'utf8')).toBe(readFileSync(join(installed, 'wit', 'risk.wit'), 'utf8'));
    expect(readFileSync(join(elsewhere, 'my-plugin', 'src', 'app.py'), 'utf8')).toContain('NAME = "my-plugin"');
    // Installed from the registry, the project tests with the same version from the registry.
    expect(JSON.parse(readFileSync(join(elsewhere, 'my-plugin', 'package.json'), 'utf8')).devDependencies['wasm-risk']).toBe(`^${(JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
  });

  it('says in one line how to load any other component', () => {
    expectOneLineFailure(wasmRisk('var', 'portfolio.json', '--component', OTHER_COMPONENT), 2, /^wasm-risk: ERR_MISSING_DEPENDENCY: npm install @bytecodealliance\/jco-transpile to load other components$/);
    expectOneLineFailure(wasmRisk('audit', OTHER_COMPONENT), 2, /^wasm-risk: ERR_MISSING_DEPENDENCY: npm install @bytecodealliance\/jco-transpile to audit other components$/);
  });

  it('says in one line how to run across processes: BullMQ and ioredis are optional too', () => {
    expect(existsSync(join(project, 'node_modules', 'bullmq'))).toBe(false);
    const install = /^wasm-risk: ERR_MISSING_DEPENDENCY: npm install bullmq ioredis to split Monte Carlo runs across processes \(--redis, wasm-risk worker\)$/;
    expectOneLineFailure(wasmRisk('var', 'portfolio.json', '--redis', 'redis://127.0.0.1:1'), 2, install);
    expectOneLineFailure(wasmRisk('worker', '--redis', 'redis://127.0.0.1:1'), 2, install);
  });

  it('serves a strict TypeScript program of Node (NodeNext, no DOM library): types, RiskEngine.load() and `await using`', () => {
    // Every type a public method takes or returns can be named by its user (BatchOutcome, EngineInfo, ... were not exported).
    writeFileSync(
      join(elsewhere, 'main.mts'),
      `import { readFile } from 'node:fs/promises';
import { RiskEngine, type PortfolioSpec, type RiskResult, type BatchOutcome, type EngineInfo, type MonteCarloRiskRequest } from 'wasm-risk';
import type { ActingOptions, Compatibility, GoldenOutcome, GoldenVectors, RollbackOptions } from 'wasm-risk';

const portfolio = JSON.parse(await readFile('portfolio.json', 'utf8')) as PortfolioSpec;
await using engine = await RiskEngine.load();
const result: RiskResult = await engine.monteCarlo(portfolio, { paths: 2_000, seed: 7n });
const info: EngineInfo = await engine.info();
const request: MonteCarloRiskRequest = { method: 'monte-carlo', portfolio, paths: 2_000 };
const outcomes: BatchOutcome[] = await engine.runBatch([request]);
const registryTypes: [ActingOptions, RollbackOptions, Compatibility?, GoldenOutcome?, GoldenVectors?] = [{ actor: 'me' }, { ifServing: info.version }];
console.log(JSON.stringify({ name: result.component.name, levels: result.levels.length, batch: outcomes.map((o) => o.ok), actor: registryTypes[0].actor }));
`,
    );
    compileStrict(elsewhere, ['main.mts']);
    const result = run(process.execPath, [join('out', 'main.mjs')], elsewhere);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ name: 'risk-engine', levels: 2, batch: [true], actor: 'me' });
  });

  it("declares its types for a program whose library is older than the package's own (ES2020)", () => {
    // The error classes took ES2022's ErrorOptions, which such a program does not have: tsc failed on the
    // package's declarations (TS2304), though nothing in them needs more than a cause.
    const dir = join(elsewhere, 'es2020');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'main.mts'), `import { RiskEngine, InvalidInputError } from 'wasm-risk';\nconsole.log(typeof RiskEngine.load, new InvalidInputError('paths', 'is wrong', { cause: 1 }).code);\n`);
    compileStrict(dir, ['main.mts'], { target: 'ES2020', lib: ['ES2020'] });
    expect(run(process.execPath, [join('out', 'main.mjs')], dir).stdout).toBe('function ERR_INVALID_INPUT\n');
  });

  it.runIf((process.features as { require_module?: boolean }).require_module === true)('can be require()d where Node loads ES modules from require (20.19+, 22.12+)', () => {
    writeFileSync(join(elsewhere, 'main.cjs'), `const { RiskEngine } = require('wasm-risk');\nconsole.log(typeof RiskEngine.load);\n`);
    expect(run(process.execPath, ['--no-warnings', 'main.cjs'], elsewhere).stdout).toBe('function\n');
    // And from TypeScript compiled to CommonJS, with `module: nodenext` as docs/library.md says.
    const cjsDir = join(elsewhere, 'commonjs');
    mkdirSync(cjsDir, { recursive: true });
    writeFileSync(join(cjsDir, 'main.cts'), `import { RiskEngine, InvalidInputError } from 'wasm-risk';\nconsole.log(typeof RiskEngine.load, typeof InvalidInputError);\n`);
    compileStrict(cjsDir, ['main.cts']);
    expect(run(process.execPath, ['--no-warnings', join('out', 'main.cjs')], cjsDir).stdout).toBe('function function\n');
  });
});

describe('with jco added', () => {
  it('`wasm-risk swap` swaps to another version, with the shipped example portfolio by default', () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', JCO, 'package.json'), 'utf8')) as { version: string };
    npm(['install', `${JCO}@${version}`], project);
    const result = wasmRisk('swap', SHIPPED_COMPONENT, LATER_VERSION, '--requests', '12', '--concurrency', '1', '--paths', '1000', '--audit-log', 'swaps.log', '--audit-key', 'audit.key', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as { failed: number; servedBy: Record<string, number>; auditLog: { chainIntact: boolean } };
    expect(summary.failed).toBe(0);
    expect(Object.keys(summary.servedBy).sort()).toEqual(['1.2.0', '1.3.0']);
    expect(summary.auditLog.chainIntact).toBe(true);
  }, 90_000);

  it('runs every JavaScript and TypeScript block of the README, docs/library.md and docs/versions.md as written', () => {
    // Run from the project's folder, where the blocks find node_modules/wasm-risk; versions.md's candidate is
    // the 1.3.0 test build. The audit log's key is the run's own, never the user's.
    const blocksDir = join(project, 'doc-blocks');
    mkdirSync(blocksDir, { recursive: true });
    copyFileSync(LATER_VERSION, join(project, 'risk-engine-1.3.0.wasm'));
    const blocks = ['README.md', 'docs/library.md', 'docs/versions.md'].flatMap((page) => codeBlocks(page).map((block, i) => ({ ...block, name: `${page.replace(/\W/g, '-')}-${i}` })));
    expect(blocks.map((block) => block.name)).toEqual(['README-md-0', 'docs-library-md-0', 'docs-versions-md-0']);
    for (const { language, code, name } of blocks) writeFileSync(join(blocksDir, `${name}.${language === 'ts' ? 'mts' : 'mjs'}`), code);
    compileStrict(blocksDir, blocks.filter((block) => block.language === 'ts').map((block) => `${block.name}.mts`));
    for (const { language, name } of blocks) {
      const script = language === 'ts' ? join(blocksDir, 'out', `${name}.mjs`) : join(blocksDir, `${name}.mjs`);
      const result = spawnSync(process.execPath, [script], { cwd: project, encoding: 'utf8', timeout: 90_000, env: { ...process.env, WASM_RISK_AUDIT_KEY_FILE: join(scratch, 'user-keys', 'audit-log.key') } });
      expect(result.stderr, name).toBe('');
      expect(result.status, name).toBe(0);
    }
  }, 180_000);
});
