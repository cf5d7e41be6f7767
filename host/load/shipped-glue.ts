// The package's own component ships with its transpiled form (written beside it at build time by
// tools/ship-glue.ts), so an install runs its engine without jco, an optional peer dependency. Those files
// are trusted as the host's own code is, since they ship inside the package, and used only for exactly
// the bytes they were made from: the manifest records the component's SHA-256 and every file's. Any other
// component goes through the transpile cache and jco; a stale shipped form (other bytes, other glue
// edits) is passed over silently, a damaged one reported once.
import { chmod, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { messageOf } from '../errors.js';
import { SHIPPED_GLUE_DIR } from '../files/package-paths.js';
import { GLUE_REVISION } from './glue-patches.js';
import {
  MANIFEST,
  readTranspiledFiles,
  reportOnce,
  transpiledManifestSchema,
  writeTranspiledFiles,
  type TranspiledComponent,
} from './transpile-cache.js';

/** The component's WIT and producers as the audit decodes them with jco's wasm-tools (component-inspection.ts). */
export interface ComponentDescription {
  wit: string;
  producers: Record<string, string[]>;
}

const shippedManifestSchema = transpiledManifestSchema.extend({
  /** SHA-256 of the component these files were transpiled from. */
  component: z.string(),
  description: z.object({ wit: z.string(), producers: z.record(z.string(), z.array(z.string())) }),
});
type ShippedManifest = z.infer<typeof shippedManifestSchema>;

/** The shipped transpiled form of exactly these bytes, or undefined (another component, or none shipped). */
export async function readShippedGlue(sha256: string, dir = SHIPPED_GLUE_DIR): Promise<TranspiledComponent | undefined> {
  const manifest = await readShippedManifest(sha256, dir);
  if (!manifest) return undefined;
  try {
    return await readTranspiledFiles(dir, manifest, (file) => readFile(file), 'package');
  } catch (error) {
    reportDamaged(dir, messageOf(error));
    return undefined;
  }
}

/** The shipped description of exactly these bytes, which spares the audit jco's wasm-tools. */
export async function shippedDescription(sha256: string, dir = SHIPPED_GLUE_DIR): Promise<ComponentDescription | undefined> {
  return (await readShippedManifest(sha256, dir))?.description;
}

/** Replaces `dir` with the transpiled form of the component whose hash is `sha256` (build time only). */
export async function writeShippedGlue(sha256: string, transpiled: TranspiledComponent, description: ComponentDescription, dir = SHIPPED_GLUE_DIR): Promise<void> {
  const staging = await mkdtemp(join(dirname(dir), `.${basename(dir)}-`));
  try {
    const files = await writeTranspiledFiles(staging, transpiled, { file: 0o644, dir: 0o755 });
    const manifest: ShippedManifest = { ...files, component: sha256, description };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 });
    // mkdtemp made it private; it ships, so anyone who can read the package reads it.
    await chmod(staging, 0o755);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function readShippedManifest(sha256: string, dir: string): Promise<ShippedManifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch (error) {
    // A source checkout before `make build`: nothing shipped yet.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') reportDamaged(dir, messageOf(error));
    return undefined;
  }
  let manifest: ShippedManifest;
  try {
    manifest = shippedManifestSchema.parse(JSON.parse(text));
  } catch (error) {
    reportDamaged(dir, `unreadable ${MANIFEST}: ${messageOf(error).split('\n', 1)[0]}`);
    return undefined;
  }
  return manifest.component === sha256 && manifest.glueRevision === GLUE_REVISION ? manifest : undefined;
}

function reportDamaged(dir: string, problem: string): void {
  reportOnce('WASM_RISK_SHIPPED_GLUE_DAMAGED', dir, `the package's transpiled engine in ${dir} is damaged (${problem}): not run, transpiling with jco instead`);
}
