// `make docs`: rewrites every generated block of README.md and docs/*.md from what the built CLI and
// component print now, so no hash, size or output in the docs goes stale. A block is
//   <!-- generated: NAME -->
//   ...written by the generator NAME below...
//   <!-- end -->
// test/docs/ checks that the blocks are what this script would write, with the parts that change from
// run to run (elapsed times, timestamps, the served-by split under load) masked by maskVolatile.
//
// Usage: node tools/write-docs.mjs   (after `make build fixtures versions`)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'host', 'cli', 'main.js');
const ENGINE = 'build/components/risk-engine.wasm';
const PORTFOLIO = 'examples/portfolio.json';
/** Where the docs say the swap log lives; the script writes it into its own scratch folder. */
const SHOWN_SCRATCH = '/tmp';
const BLOCK = /(<!-- generated: ([a-z-]+) -->\n)([\s\S]*?)(<!-- end -->)/g;

export const DOC_FILES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];

/** The parts of an output that differ between two runs of the same build. */
export function maskVolatile(text) {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '<time>')
    // The acting OS user in swap-log lines, which follows the timestamp and the event.
    .replace(/(<time> {2}[a-z]+ +)\S+/g, '$1<user>')
    .replace(/\b\d+(\.\d+)? ms\b/g, '<elapsed> ms')
    .replace(/"elapsedMs": \d+(\.\d+)?/g, '"elapsedMs": <elapsed>')
    .replace(/served by 1\.2\.0: \d+, 1\.3\.0: \d+/g, 'served by 1.2.0: <n>, 1.3.0: <n>')
    // The test-only contract versions (components/fixtures-versions) depend on the engine crate by path, and
    // cargo's symbol hashes include that path: their bytes, unlike the engine's, depend on the checkout's place.
    .replace(/(risk-engine-\d+\.\d+\.\d+\.wasm .*?sha256 )[0-9a-f]{16}/g, '$1<fixture hash>')
    .replace(/(-> 1\.[03]\.0 \(|1\.[03]\.0 \()[0-9a-f]{12}/g, '$1<fixture hash>');
}

/** The blocks as they stand in one file: name to text. */
export function readBlocks(file) {
  return [...readFileSync(join(ROOT, file), 'utf8').matchAll(BLOCK)].map(([, , name, text]) => ({ name, text }));
}

/** Runs every generator once, in a scratch folder that holds the cache, the keys and the logs; name to block text. */
export function generateBlocks() {
  const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-docs-'));
  const env = {
    ...process.env,
    WASM_RISK_CACHE_DIR: join(scratch, 'cache'),
    WASM_RISK_CACHE_KEY_FILE: join(scratch, 'keys', 'cache.key'),
    WASM_RISK_AUDIT_KEY_FILE: join(scratch, 'keys', 'audit-log.key'),
  };
  try {
    const blocks = new Map();
    for (const [name, generate] of Object.entries(GENERATORS)) blocks.set(name, generate({ scratch, env }));
    return blocks;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `wasm-risk <args>` as a user types it, run in `cwd` (default: the project); the block shows the command,
 * its output and, unless it is 0, its exit code. `shown` replaces the command as displayed.
 */
function cli(args, { env, cwd = ROOT, stream = 'stdout', shown = `wasm-risk ${args.join(' ')}`, scratch, expectStatus = 0 }) {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== expectStatus) {
    throw new Error(`${shown}: exit code ${run.status}, expected ${expectStatus}\n${run.stderr}`);
  }
  const output = (stream === 'stdout' ? run.stdout : run.stderr).trimEnd();
  const status = expectStatus === 0 ? '' : `   # exit code ${expectStatus}`;
  return fenced(`$ ${shown}${status}\n${output}`.replaceAll(`${scratch}/`, `${SHOWN_SCRATCH}/`));
}

const fenced = (text, lang = '') => `\`\`\`${lang}\n${text}\n\`\`\`\n`;

const GENERATORS = {
  demo: (run) => cli(['var', PORTFOLIO], { ...run, shown: 'make demo   # wasm-risk var examples/portfolio.json' }),

  'var-json': ({ env }) => {
    const args = ['var', PORTFOLIO, '--paths', '20000', '--json'];
    const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`wasm-risk ${args.join(' ')}: ${result.stderr}`);
    return fenced(`$ wasm-risk ${args.join(' ')}   # one line; indented here\n${JSON.stringify(JSON.parse(result.stdout), null, 2)}`);
  },

  'audit-engine': (run) => cli(['audit', ENGINE], run),

  'audit-fixture': (run) => cli(['audit', 'build/fixtures/env-reader.wasm'], { ...run, expectStatus: 1 }),

  'policy-refusal': (run) =>
    cli(['var', PORTFOLIO, '--component', 'build/fixtures/fs-reader.wasm'], { ...run, stream: 'stderr', expectStatus: 1 }),

  truncated: (run) => {
    writeFileSync(join(run.scratch, 'cut.wasm'), readFileSync(join(ROOT, ENGINE)).subarray(0, 640));
    return cli(['audit', 'cut.wasm'], { ...run, cwd: run.scratch, stream: 'stderr', expectStatus: 2 });
  },

  'lock-file': () => fenced(JSON.stringify(lockFile(), null, 2), 'json'),

  // The lock file above, and the engine with one bit flipped at byte 5000, in a folder laid out like the project.
  'strict-refusal': (run) => {
    const project = join(run.scratch, 'strict');
    mkdirSync(join(project, 'build', 'components'), { recursive: true });
    const tampered = readFileSync(join(ROOT, ENGINE));
    tampered[5000] ^= 0x01;
    writeFileSync(join(project, ENGINE), tampered);
    writeFileSync(join(project, 'components.lock.json'), JSON.stringify(lockFile()));
    copyFileSync(join(ROOT, PORTFOLIO), join(project, 'portfolio.json'));
    return cli(['var', 'portfolio.json', '--component', ENGINE, '--strict'], {
      ...run,
      cwd: project,
      stream: 'stderr',
      expectStatus: 1,
      shown: `wasm-risk var ${PORTFOLIO} --component ${ENGINE} --strict`,
    });
  },

  // With a policy that allows every import, the 2.0.0 test build gets past the audit to the contract check.
  'contract-refusal': (run) => {
    const policy = join(run.scratch, 'allow-all.json');
    writeFileSync(policy, JSON.stringify({ version: 1, name: 'allow all', rules: [{ interface: '*', verdict: 'allow', reason: 'docs' }] }));
    return cli(['compare', ENGINE, 'build/components/versions/risk-engine-2.0.0.wasm', PORTFOLIO, '--policy', policy], {
      ...run,
      expectStatus: 1,
      shown: `wasm-risk compare ${ENGINE} build/components/versions/risk-engine-2.0.0.wasm ${PORTFOLIO} --policy allow-all.json`,
    });
  },

  swap: (run) =>
    cli(['swap', ENGINE, 'build/components/versions/risk-engine-1.3.0.wasm', '--audit-log', join(run.scratch, 'swaps.log')], run),

  // Reads the log the swap block wrote (generators run in order).
  'verify-log': (run) => cli(['verify-log', join(run.scratch, 'swaps.log')], run),

  component: () => {
    const bytes = readFileSync(join(ROOT, ENGINE));
    const wit = spawnSync(process.execPath, ['--input-type=module', '-e', WORLD_OF_ENGINE], { cwd: ROOT, encoding: 'utf8' });
    if (wit.status !== 0) throw new Error(`componentWit: ${wit.stderr}`);
    return fenced(`${ENGINE}: ${bytes.length.toLocaleString('en-US')} bytes\n\n${wit.stdout.trimEnd()}`);
  },
};

/** The world of the engine as wasm-tools decodes it (jco-transpile's `componentWit`), in its own process. */
const WORLD_OF_ENGINE = `
import { readFile } from 'node:fs/promises';
import { componentWit } from '@bytecodealliance/jco-transpile/wasm-tools';
const wit = await componentWit(await readFile(${JSON.stringify(ENGINE)}));
console.log(wit.slice(wit.indexOf('world ')));
`;

function lockFile() {
  const hash = createHash('sha256').update(readFileSync(join(ROOT, ENGINE))).digest('hex');
  return { version: 1, components: [{ name: 'risk-engine', version: '1.0.0', sha256: hash, path: ENGINE }] };
}

/** Rewrites every block in place; a block with no generator is an error (a typo would otherwise go stale). */
function writeDocs() {
  const blocks = generateBlocks();
  for (const file of DOC_FILES) {
    const path = join(ROOT, file);
    const before = readFileSync(path, 'utf8');
    const after = before.replace(BLOCK, (_, open, name, _text, close) => {
      if (!blocks.has(name)) throw new Error(`${file}: no generator for block '${name}'`);
      return `${open}${blocks.get(name)}${close}`;
    });
    if (after !== before) {
      writeFileSync(path, after);
      console.log(`wrote ${file}`);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) writeDocs();
