// The components a worker holds, by SHA-256: the packaged engine and every .wasm in its --components-dir,
// each loaded (admitted locally: policy, lock file in strict mode, signatures) the first time a job names
// it. A job names a hash and never carries code, so a worker runs nothing it was not given.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AdmissionOptions } from '../audit/admission.js';
import { InvalidInputError, messageOf, UnknownComponentError } from '../errors.js';
import { sha256Hex } from '../files/content-hash.js';
import { readInputFile } from '../files/input-files.js';
import { DEFAULT_COMPONENT } from '../files/package-paths.js';
import { RiskEngine } from '../risk-engine.js';

export interface HeldEngineOptions {
  admission: AdmissionOptions;
  workers?: number;
  timeoutMs?: number;
  memoryLimitMb?: number;
}

export class HeldComponents {
  private readonly engines = new Map<string, Promise<RiskEngine>>();

  private constructor(
    /** SHA-256 -> path of the component file. */
    private readonly paths: ReadonlyMap<string, string>,
    private readonly options: HeldEngineOptions,
  ) {}

  /** Hashes the packaged engine and the .wasm files of `componentsDir` (not its subfolders). */
  static async scan(componentsDir: string | undefined, options: HeldEngineOptions): Promise<HeldComponents> {
    const files = [DEFAULT_COMPONENT];
    if (componentsDir !== undefined) {
      const entries = await readdir(componentsDir, { withFileTypes: true }).catch((error: unknown) => {
        throw new InvalidInputError('--components-dir', `cannot read ${componentsDir}: ${messageOf(error)}`);
      });
      files.push(...entries.filter((entry) => entry.isFile() && entry.name.endsWith('.wasm')).map((entry) => join(componentsDir, entry.name)));
    }
    const paths = new Map<string, string>();
    for (const file of files) paths.set(sha256Hex(await readInputFile(file, 'component', '--components-dir')), file);
    return new HeldComponents(paths, options);
  }

  get hashes(): string[] {
    return [...this.paths.keys()];
  }

  /** The engine of the component with this hash, loaded on first use; a failed load fails every job for it
   *  with the same typed error (it is the worker's configuration, not the job, that would have to change). */
  engineFor(sha256: string): Promise<RiskEngine> {
    const path = this.paths.get(sha256);
    if (path === undefined) return Promise.reject(new UnknownComponentError(`this worker holds no component with SHA-256 ${sha256}`));
    let engine = this.engines.get(sha256);
    if (!engine) {
      engine = this.load(path, sha256);
      this.engines.set(sha256, engine);
    }
    return engine;
  }

  private async load(path: string, sha256: string): Promise<RiskEngine> {
    const engine = await RiskEngine.load(path, this.options);
    // The file could have changed since it was hashed: run only what the job named.
    if (engine.component.sha256 !== sha256) {
      await engine.close();
      throw new UnknownComponentError(`${path} changed since the worker started: it no longer has SHA-256 ${sha256}`);
    }
    return engine;
  }

  async close(): Promise<void> {
    const engines = await Promise.allSettled(this.engines.values());
    await Promise.all(engines.map((engine) => (engine.status === 'fulfilled' ? engine.value.close() : undefined)));
  }
}
