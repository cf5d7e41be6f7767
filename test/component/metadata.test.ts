// The engine component says what it is: componentize.mjs stamps it with its crate's name, version and
// licence, `wasm-risk audit` shows them, and they agree with what the running engine reports.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditComponent } from '../../host/audit/admission.js';
import { DEFAULT_COMPONENT, PROJECT_ROOT } from '../../host/files/package-paths.js';
import { RiskEngine } from '../../host/risk-engine.js';
import { runCli } from '../support/run-cli.js';
import { fixture } from '../support/fixtures.js';

const manifest = join(PROJECT_ROOT, 'components', 'risk-engine', 'Cargo.toml');
const crate = (JSON.parse(execFileSync('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1', '--manifest-path', manifest], { encoding: 'utf8' })) as {
  packages: { name: string; version: string; license: string; manifest_path: string }[];
}).packages.find((pkg) => pkg.manifest_path === manifest)!;

describe('the risk-engine component metadata', () => {
  it("carries the crate's name, version and licence", async () => {
    const report = await auditComponent(readFileSync(DEFAULT_COMPONENT), DEFAULT_COMPONENT);
    expect(report.metadata).toEqual({ name: crate.name, version: crate.version, license: crate.license });
  });

  it('is shown by wasm-risk audit', () => {
    const run = runCli(['audit', DEFAULT_COMPONENT]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^package {4}${crate.name} ${crate.version.replaceAll('.', '\\.')}$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^license {4}${crate.license}$`, 'm'));
  });

  it('names the same engine its info() export reports', async () => {
    const engine = await RiskEngine.load(DEFAULT_COMPONENT, { isolation: 'in-thread' });
    try {
      expect(engine.component).toMatchObject({ name: crate.name, version: crate.version });
    } finally {
      await engine.close();
    }
  });

  it('is absent from a component built without a Cargo.toml (a test fixture)', async () => {
    const panicker = fixture('panicker');
    expect((await auditComponent(readFileSync(panicker), panicker)).metadata).toEqual({ name: null, version: null, license: null });
    expect(runCli(['audit', panicker]).stdout).not.toMatch(/^(package|license) /m);
  });
});

describe('a custom section nothing validates', () => {
  const panicker = fixture('panicker');
  /** A custom section: its name, then `content`; every length here is below 128, one LEB128 byte. */
  const customSection = (name: string, content: number[]) => {
    const body = [name.length, ...Buffer.from(name), ...content];
    return [0x00, body.length, ...body];
  };
  const withSection = (section: number[]) => Buffer.concat([readFileSync(panicker), Buffer.from(section)]);

  it('that ends inside what it names says nothing, and the audit still reports', async () => {
    // A component-name section with no name subsection, at the end of the file: the audit read past the
    // end of the file and failed with an internal error (exit 70).
    const bytes = withSection(customSection('component-name', []));
    expect((await auditComponent(bytes)).metadata).toEqual({ name: null, version: null, license: null });
    const file = join(tmpdir(), `metadata-${process.pid}.wasm`);
    writeFileSync(file, bytes);
    try {
      const run = runCli(['audit', file]);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    } finally {
      rmSync(file);
    }
  });
});

