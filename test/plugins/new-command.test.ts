// `wasm-risk new`: the project a template writes (every template file, placeholders replaced, the
// package's own WIT), and the refusals: an unknown language, a folder that is not empty or not writable, a bad name.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION, PROJECT_ROOT } from '../../host/files/package-paths.js';
import { expectOneLineFailure, runCli } from '../support/run-cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'wasm-risk-new-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

describe.each(['rust', 'python', 'js'])('wasm-risk new --lang %s', (lang) => {
  it('writes every template file with the placeholders replaced, and the installed contract under wit/', () => {
    const dir = join(scratch, `${lang}-project`);
    const run = runCli(['new', dir, '--lang', lang]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`created ${lang} plugin '${lang}-project'`);
    const template = join(PROJECT_ROOT, 'templates', lang);
    expect(filesUnder(dir)).toEqual([...filesUnder(template), 'wit/risk.wit'].sort());
    expect(readFileSync(join(dir, 'wit', 'risk.wit'), 'utf8')).toBe(readFileSync(join(PROJECT_ROOT, 'wit', 'risk.wit'), 'utf8'));
    for (const file of filesUnder(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      expect(text, file).not.toMatch(/__[A-Z_]+__/);
      const original = file === 'wit/risk.wit' ? text : readFileSync(join(template, file), 'utf8');
      expect(text, file).toBe(original.replaceAll('__PLUGIN_NAME__', `${lang}-project`).replaceAll('__WASM_RISK_VERSION__', PACKAGE_VERSION).replaceAll('__WASM_RISK_DEPENDENCY__', `file:${PROJECT_ROOT}`));
    }
    // Run from this checkout, the project tests with it: its version may not be on the registry.
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).devDependencies['wasm-risk']).toBe(`file:${PROJECT_ROOT}`);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toMatch(/^test: .*\n(?:\t.*\n)*\t\$\(WASM_RISK\) conformance build\/plugin\.wasm/m);
  });

  it('takes the package name from --name', () => {
    const dir = join(scratch, `${lang}-named`);
    expect(runCli(['new', dir, '--lang', lang, '--name', 'var-model-2']).status).toBe(0);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# var-model-2\n/);
  });
});

describe('wasm-risk new reports', () => {
  it('a folder whose name holds terminal controls escaped on stdout', () => {
    const dir = join(scratch, 'odd\u001b[2J\r\u202e');
    const run = runCli(['new', dir, '--lang', 'js', '--name', 'odd']);
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain('odd\\x1b[2J\\x0d\\u202e (');
    expect(run.stdout).toContain('next: cd ');
    expect(run.stdout).not.toMatch(/[\u001b\r\u202e]/);
  });
});

describe('wasm-risk new refuses', () => {
  it('an unknown language, naming the choices', () => {
    expectOneLineFailure(runCli(['new', join(scratch, 'go'), '--lang', 'go']), 2, /ERR_USAGE: .*'go' is invalid\. Allowed choices are rust, python, js/);
  });

  it('a folder that is not empty, and leaves what is in it alone', () => {
    const dir = join(scratch, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'Makefile'), 'mine\n');
    expectOneLineFailure(runCli(['new', dir, '--lang', 'rust']), 2, /ERR_INVALID_INPUT: <dir>: .*taken is not empty/);
    expect(readdirSync(dir)).toEqual(['Makefile']);
    expect(readFileSync(join(dir, 'Makefile'), 'utf8')).toBe('mine\n');
  });

  it('a path that is a file', () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    expectOneLineFailure(runCli(['new', file, '--lang', 'js']), 2, /ERR_INVALID_INPUT: <dir>: .*a-file exists and is not a directory/);
    expect(statSync(file).size).toBe(1);
  });

  // Even root cannot create a folder in sysfs (EPERM); other users cannot either (EACCES).
  it.skipIf(!existsSync('/sys/kernel'))('a folder it cannot write, naming the file, not as an internal error', () => {
    expectOneLineFailure(runCli(['new', '/sys/wasm-risk-plugin', '--lang', 'rust']), 2, /^wasm-risk: ERR_INVALID_INPUT: <dir>: cannot write \/sys\/wasm-risk-plugin\/.*: (EPERM|EACCES)/);
  });

  it.each([['Upper'], ['a--b'], ['-lead'], ['9lives'], ['under_score'], ['x'.repeat(65)]])('the package name %s', (name) => {
    const dir = join(scratch, `bad-name-${name.length}`);
    expectOneLineFailure(runCli(['new', dir, '--lang', 'python', '--name', name]), 2, /ERR_INVALID_INPUT: --name: .* is not a valid plugin name/);
    expect(() => statSync(dir)).toThrow();
  });

  it('a folder name that is no package name, unless --name gives one', () => {
    const dir = join(scratch, 'My_Plugin');
    expectOneLineFailure(runCli(['new', dir, '--lang', 'js']), 2, /ERR_INVALID_INPUT: <dir>: "My_Plugin" is not a valid plugin name.*\(or pass --name\)/);
    expect(runCli(['new', dir, '--lang', 'js', '--name', 'my-plugin']).status).toBe(0);
  });
});
