// Build step (`make build`, npm's prepack): `node dist/tools/ship-glue.js` transpiles the project's own
// component with jco and writes its glue and description beside it (host/load/shipped-glue.ts), so that an
// install runs and audits it without jco. Does nothing when what is there is already the glue of exactly
// these bytes, with this host's glue edits.
import { inspectComponent } from '../host/audit/component-inspection.js';
import { messageOf } from '../host/errors.js';
import { sha256Hex } from '../host/files/content-hash.js';
import { DEFAULT_COMPONENT, SHIPPED_GLUE_DIR } from '../host/files/package-paths.js';
import { readComponentFile } from '../host/load/component-format.js';
import { readShippedGlue, writeShippedGlue } from '../host/load/shipped-glue.js';
import { transpile } from '../host/load/transpile-cache.js';

async function shipGlue(): Promise<void> {
  const bytes = await readComponentFile(DEFAULT_COMPONENT);
  const sha256 = sha256Hex(bytes);
  if (await readShippedGlue(sha256)) return;
  const [transpiled, { world, producers }] = await Promise.all([transpile(bytes), inspectComponent(bytes, DEFAULT_COMPONENT, 'full')]);
  await writeShippedGlue(sha256, transpiled, { wit: world.wit!, producers });
  process.stdout.write(`wrote ${SHIPPED_GLUE_DIR} for ${DEFAULT_COMPONENT} (sha256 ${sha256.slice(0, 16)}…)\n`);
}

try {
  await shipGlue();
} catch (error) {
  process.stderr.write(`ship-glue: ${messageOf(error)} (\`make build\` builds the component and then runs this)\n`);
  process.exitCode = 1;
}
