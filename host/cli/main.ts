#!/usr/bin/env node
// The `wasm-risk` command line: argument parsing and the one place that turns errors into exit codes.
import { Command, CommanderError, Option } from 'commander';
import { WasmRiskError } from '../errors.js';
import { parseInteger, parseNumber, parseNumberList, parseSeed } from './option-parsers.js';
import { varCommand } from './var-command.js';

/** Exit code for bad input (arguments, portfolio file): the caller can fix it. */
const EXIT_BAD_INPUT = 2;
const EXIT_INTERNAL = 70;

function buildProgram(): Command {
  const program = new Command('wasm-risk')
    .description('Sandboxed WebAssembly risk engines: Monte Carlo, historical and parametric VaR/ES')
    .exitOverride()
    .configureOutput({ outputError: () => undefined });

  program
    .command('var')
    .description('VaR and Expected Shortfall of a portfolio (JSON file)')
    .argument('<portfolio.json>', 'portfolio file (see README: "Portfolio file")')
    .option('--component <path>', 'risk component (.wasm); default: the project\'s own engine')
    .addOption(new Option('--method <method>', 'risk method').choices(['monte-carlo', 'historical', 'parametric']).default('monte-carlo'))
    .option('--paths <n>', 'Monte Carlo paths (default 100000)', parseInteger('--paths'))
    .option('--seed <s>', 'Monte Carlo seed, 0 to 2^64-1 (default 42)', parseSeed)
    .option('--confidence <levels>', 'comma-separated confidence levels (default 0.95,0.99)', parseNumberList('--confidence'))
    .option('--horizon-days <d>', 'horizon in trading days (default 1)', parseNumber('--horizon-days'))
    .option('--antithetic', 'antithetic variates (Monte Carlo)')
    .option('--workers <n>', 'worker threads (default: the number of cores)', parseInteger('--workers'))
    .option('--timeout-ms <ms>', 'deadline of the request (default 120000)', parseInteger('--timeout-ms'))
    .option('--memory-limit-mb <mb>', "cap on the component's linear memory (default 512)", parseInteger('--memory-limit-mb'))
    .option('--json', 'print one JSON object instead of a table')
    .action(varCommand);

  return program;
}

/** The CLI's promise: one line on stderr per failure. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ');
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      process.stderr.write(`wasm-risk: ${error.message.replace(/^error: /, '')}\n`);
      return EXIT_BAD_INPUT;
    }
    if (error instanceof WasmRiskError) {
      process.stderr.write(`wasm-risk: ${error.code}: ${oneLine(error.message)}\n`);
      return error.exitCode;
    }
    process.stderr.write(`wasm-risk: internal error: ${oneLine(error instanceof Error ? error.message : String(error))}\n`);
    return EXIT_INTERNAL;
  }
}

process.exitCode = await main(process.argv);
