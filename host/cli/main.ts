#!/usr/bin/env node
// The `wasm-risk` command line: argument parsing and the one place that turns errors into exit codes.
import { Command, CommanderError, Option } from 'commander';
import { messageOf, WasmRiskError } from '../errors.js';
import { MAX_INPUT_MB_FLAG, MAX_INPUT_MB_VARIABLE, parseMaxInputMb } from '../files/input-files.js';
import { PACKAGE_VERSION } from '../files/package-paths.js';
import { terminalText } from '../report/terminal-text.js';
import { admissionFlagOptions } from './admission-flags.js';
import { conformanceCommand } from './conformance-command.js';
import { redisFlagOptions } from './redis-flags.js';
import { auditCommand } from './audit-command.js';
import { batchCommand, DEFAULT_BATCH_OUT } from './batch-command.js';
import { compareCommand } from './compare-command.js';
import { newCommand, PLUGIN_LANGUAGES } from './new-command.js';
import { parseInteger, parseLevels, parseNumber, parseOutputFile, parseSeed } from './option-parsers.js';
import { PNL_FORMATS } from './pnl-output.js';
import { watchStandardStreams } from './standard-streams.js';
import { swapCommand } from './swap-command.js';
import { varCommand } from './var-command.js';
import { verifyLogCommand } from './verify-log-command.js';
import { workerCommand } from './worker-command.js';
import { FALLBACKS, serveCommand } from './serve-command.js';
import { namingTheFlag } from './flag-names.js';
import { boundedUsageMessage } from './usage-message.js';
import { writeAboveProgress } from './progress-line.js';

/** Exit code for bad input (arguments, portfolio file): the caller can fix it. */
const EXIT_BAD_INPUT = 2;
/** Code of a command line that does not parse (commander's errors: unknown option or command, missing or
 *  excess argument, invalid choice); a bad option value is ERR_INVALID_INPUT, naming the option. */
const USAGE_ERROR_CODE = 'ERR_USAGE';
const EXIT_INTERNAL = 70;

/** What a risk request asks for: shared by `var` and `compare`. */
function riskRequestOptions(): Option[] {
  return [
    new Option('--paths <n>', 'Monte Carlo paths (default 100000)').argParser(parseInteger('--paths')),
    new Option('--seed <s>', 'Monte Carlo seed, 0 to 2^64-1 (default 42)').argParser(parseSeed),
    new Option('--confidence <levels>', 'comma-separated confidence levels (default 0.95,0.99)').argParser(parseLevels('--confidence')),
    new Option('--horizon-days <d>', 'horizon in trading days (default 1)').argParser(parseNumber('--horizon-days')),
    new Option('--antithetic', 'antithetic variates (Monte Carlo)'),
  ];
}

function buildProgram(): Command {
  const program = new Command('wasm-risk')
    .description('Sandboxed WebAssembly risk engines: Monte Carlo, historical and parametric VaR/ES')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  const riskRun = program
    .command('var')
    .description('VaR and Expected Shortfall of a portfolio (JSON file)')
    .argument('<portfolio.json>', 'portfolio file (its format: docs/portfolio.md)')
    .option('--component <path>', 'risk component (.wasm); default: the project\'s own engine')
    .addOption(new Option('--method <method>', 'risk method').choices(['monte-carlo', 'historical', 'parametric']).default('monte-carlo'))
    .option('--workers <n>', 'worker threads (default: the number of cores)', parseInteger('--workers'))
    .option('--timeout-ms <ms>', 'deadline of the request (default 120000)', parseInteger('--timeout-ms'))
    .option('--memory-limit-mb <mb>', "cap on the component's linear memory (default 512)", parseInteger('--memory-limit-mb'))
    .option('--json', 'print one JSON object instead of a table')
    .option('--pnl-out <file>', "write every path's P&L, in path order: CSV (path,pnl), or raw little-endian float64 if <file> ends in .f64 (Monte Carlo)", parseOutputFile('--pnl-out'))
    .addOption(new Option('--pnl-format <format>', 'format of --pnl-out (default: from its extension)').choices(PNL_FORMATS))
    .option('--force', 'let --pnl-out replace an existing file')
    .addOption(new Option('--histogram', 'plot the P&L distribution under the table, VaR and ES marked (Monte Carlo)').conflicts('json'))
    .action(varCommand);
  const [redis, ...redisCompanions] = redisFlagOptions('the Monte Carlo paths');
  for (const option of [...riskRequestOptions(), ...admissionFlagOptions(), redis!.conflicts(['pnlOut', 'histogram']), ...redisCompanions]) riskRun.addOption(option);

  const batch = program
    .command('batch')
    .description('Monte Carlo VaR/ES of many portfolio files, one JSON line each in --out; resumes where an interrupted run stopped')
    .argument('<books...>', 'portfolio files, directories (their *.json files) or quoted glob patterns')
    .option('--out <file>', 'results, one JSON line per book, appended; books it answers are skipped', parseOutputFile('--out'), DEFAULT_BATCH_OUT)
    .option('--concurrency <n>', 'books in flight at once (default 4)', parseInteger('--concurrency'))
    .option('--component <path>', "risk component (.wasm); default: the project's own engine")
    .option('--workers <n>', 'worker threads (default: the number of cores; 1 with --redis)', parseInteger('--workers'))
    .option('--timeout-ms <ms>', 'deadline of each book (default 120000)', parseInteger('--timeout-ms'))
    .option('--memory-limit-mb <mb>', "cap on the component's linear memory (default 512)", parseInteger('--memory-limit-mb'))
    .action(batchCommand);
  for (const option of [...riskRequestOptions(), ...admissionFlagOptions(), ...redisFlagOptions('each book')]) batch.addOption(option);

  const audit = program
    .command('audit')
    .description('what a component may do, read from its bytes without running it; exit 1 if denied')
    .argument('<component.wasm>', 'component to audit')
    .option('--json', 'print one JSON object instead of a report')
    .action(auditCommand);
  for (const option of admissionFlagOptions()) audit.addOption(option);

  const compare = program
    .command('compare')
    .description('run two components on the same inputs and seeds; per-level differences and a compatibility verdict')
    .argument('<a.wasm>', 'first component')
    .argument('<b.wasm>', 'second component')
    .argument('<portfolio.json>', 'portfolio file')
    .option('--timeout-ms <ms>', 'deadline of each request to each component (default 120000)', parseInteger('--timeout-ms'))
    .option('--json', 'print one JSON object instead of a table')
    .action(compareCommand);
  for (const option of [...riskRequestOptions(), ...admissionFlagOptions()]) compare.addOption(option);

  const swap = program
    .command('swap')
    .description('demonstrate a live swap under load: serve from <from>, swap to <to>, roll back; report who served what')
    .argument('<from.wasm>', 'version serving first')
    .argument('<to.wasm>', 'version swapped in')
    .option('--portfolio <file>', 'portfolio the requests use (default: the example portfolio shipped with wasm-risk)')
    .option('--requests <n>', 'requests to send', parseInteger('--requests'), 300)
    .option('--concurrency <n>', 'requests in flight at once', parseInteger('--concurrency'), 8)
    .option('--paths <n>', 'Monte Carlo paths per request', parseInteger('--paths'), 5_000)
    .option('--audit-log <file>', 'append-only log of the swaps', 'swaps.log')
    .option('--audit-key <file>', 'secret key that MACs the audit log (default: $XDG_CONFIG_HOME/wasm-risk/audit-log.key)')
    .option('--json', 'print one JSON object instead of a summary')
    .action(swapCommand);
  for (const option of admissionFlagOptions()) swap.addOption(option);

  const conformance = program
    .command('conformance')
    .description('run the contract check and the golden vectors against a component: per method pass, fail (worst deviation) or not supported; exit 1 if a supported method fails')
    .argument('<component.wasm>', 'the component (plugin) to check')
    .option('--json', 'print one JSON object instead of a table')
    .option('--timeout-ms <ms>', 'deadline of each call into the plugin (default 120000)', parseInteger('--timeout-ms'))
    .action(conformanceCommand);
  for (const option of admissionFlagOptions()) conformance.addOption(option);

  program
    .command('verify-log')
    .description("check a swap audit log's MAC chain and anchor; exit 1 if tampered, 2 if it cannot be checked")
    .argument('<log>', 'audit log written by `swap` or a ComponentRegistry')
    .option('--audit-key <file>', 'the key that wrote the log (default: $XDG_CONFIG_HOME/wasm-risk/audit-log.key)')
    .option('--json', 'print one JSON object instead of the events')
    .action(verifyLogCommand);

  program
    .command('new')
    .description('write a risk-plugin project (Rust, Python or JavaScript) that builds a component of the installed contract')
    .argument('<dir>', 'folder to create (new or empty)')
    .addOption(new Option('--lang <lang>', 'language of the plugin').choices(PLUGIN_LANGUAGES).makeOptionMandatory())
    .option('--name <name>', 'package name of the plugin (default: the folder name)')
    .action(newCommand);

  const worker = program
    .command('worker')
    .description('run the chunk jobs of distributed Monte Carlo runs from a BullMQ queue (docs/distributed.md)')
    .requiredOption('--redis <url>', 'redis:// or rediss:// URL of the queue')
    .option('--queue <name>', 'BullMQ queue (default wasm-risk)')
    .option('--concurrency <n>', 'chunks run at once, each in its own worker thread (default 1)', parseInteger('--concurrency'))
    .option('--components-dir <dir>', 'the .wasm components this worker holds, besides the packaged engine; jobs name them by SHA-256')
    .option('--insecure-redis', 'accept a --redis off loopback with neither TLS (rediss://) nor a password')
    .option('--results-key <file>', 'secret shared with the requesters (32 bytes, mode 0600): run only jobs it authenticates, and authenticate each result')
    .option('--lock-ms <ms>', "a dead worker's chunk goes to another after about this long (default 30000)", parseInteger('--lock-ms'))
    .option('--timeout-ms <ms>', 'deadline of each chunk (default 120000)', parseInteger('--timeout-ms'))
    .option('--memory-limit-mb <mb>', "cap on the component's linear memory (default 512)", parseInteger('--memory-limit-mb'))
    .action(workerCommand);
  for (const option of admissionFlagOptions()) worker.addOption(option);

  const serve = program
    .command('serve')
    .description('serve risk requests over HTTP: /v1/<method>, /v1/batch, /healthz, /readyz, /metrics, /openapi.json')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parseInteger('--port'), 8080)
    .option('--component <path>', "risk component (.wasm); default: the project's own engine")
    .option('--workers <n>', 'worker threads (default: the number of cores)', parseInteger('--workers'))
    .option('--max-queue <n>', 'requests that may wait for a worker; more are refused with 429 (default 64)', parseInteger('--max-queue'))
    .option('--max-batch <n>', 'evaluations in one /v1/batch (default 1000)', parseInteger('--max-batch'))
    .option('--max-body-mb <mb>', 'largest request body, in MiB; larger is refused with 413 (default 16)', parseInteger('--max-body-mb'))
    .option('--timeout-ms <ms>', 'deadline of each evaluation (default 120000)', parseInteger('--timeout-ms'))
    .option('--request-timeout-ms <ms>', "time to receive a request's headers and body; past it 408 and the connection is closed (default 60000)", parseInteger('--request-timeout-ms'))
    .option('--max-connections <n>', 'open connections at once; more are closed as they come (default 10000)', parseInteger('--max-connections'))
    .option('--memory-limit-mb <mb>', "cap on the component's linear memory (default 512)", parseInteger('--memory-limit-mb'))
    .addOption(new Option('--fallback <engine>', 'what answers when the component traps, times out or runs out of memory').choices(FALLBACKS).default('none'))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM), with --tls-key')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--admin-token-file <file>', 'turn the admin API on: `actor:token` lines (tokens of 32+ characters), readable only by you')
    .option('--components-dir <dir>', 'the only directory POST /admin/versions registers components from')
    .option('--audit-log <file>', 'append-only log of the admin API\'s registrations, swaps and rollbacks (default swaps.log)')
    .option('--audit-key <file>', 'secret key that MACs the audit log (default: $XDG_CONFIG_HOME/wasm-risk/audit-log.key)')
    .option('--auto-rollback-failures <n>', 'traps, timeouts or OOMs that roll a newly swapped-in version back; 0: never (default 3)', parseInteger('--auto-rollback-failures'))
    .option('--auto-rollback-requests <n>', 'counted among its first N requests (default 100)', parseInteger('--auto-rollback-requests'))
    .option('--auto-rollback-seconds <s>', 'counted within its first S seconds (default 60)', parseInteger('--auto-rollback-seconds'))
    .action(serveCommand);
  for (const option of [...admissionFlagOptions(), ...redisFlagOptions('the Monte Carlo requests')]) serve.addOption(option);

  // The commands that read input files take the cap on the large ones; the hook applies it before any is read.
  for (const command of [riskRun, batch, audit, compare, conformance, swap, serve, worker]) {
    command.addOption(new Option(`${MAX_INPUT_MB_FLAG} <mb>`, 'cap on the component and portfolio file sizes, in MiB (default 128)').argParser((mb: string) => parseMaxInputMb(mb, MAX_INPUT_MB_FLAG)));
  }
  program.hook('preAction', (_program, command) => {
    const { maxInputMb } = command.opts<{ maxInputMb?: number }>();
    if (maxInputMb !== undefined) process.env[MAX_INPUT_MB_VARIABLE] = String(maxInputMb);
  });

  return program;
}

/** The CLI's promise: one line on stderr per failure, with nothing in it a terminal would act on
 *  (component text is escaped where it enters; this is the last line of defence). */
function oneLine(message: string): string {
  return terminalText(message.replace(/\s*\n\s*/g, ' '));
}

/** Node prints a warning (a tampered or unsafe transpile cache, say) in two lines; the CLI keeps its
 *  promise of one line per message on stderr. */
function printWarningsOnOneLine(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    writeAboveProgress(process.stderr, `wasm-risk: warning: ${warning.code ? `${warning.code}: ` : ''}${oneLine(warning.message)}\n`);
  });
}

async function main(argv: string[]): Promise<number> {
  printWarningsOnOneLine();
  watchStandardStreams();
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // `wasm-risk` without a command: commander has printed the help to stderr, as for a usage error.
      if (error.code === 'commander.help') return EXIT_BAD_INPUT;
      const message = boundedUsageMessage(error.message.replace(/^error: /, ''), argv.slice(2));
      process.stderr.write(`wasm-risk: ${USAGE_ERROR_CODE}: ${oneLine(message)}\n`);
      return EXIT_BAD_INPUT;
    }
    const named = namingTheFlag(error);
    if (named instanceof WasmRiskError) {
      process.stderr.write(`wasm-risk: ${named.code}: ${oneLine(named.message)}\n`);
      return named.exitCode;
    }
    process.stderr.write(`wasm-risk: internal error: ${oneLine(messageOf(error))}\n`);
    return EXIT_INTERNAL;
  }
}

process.exitCode = await main(process.argv);
