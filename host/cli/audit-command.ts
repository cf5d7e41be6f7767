// `wasm-risk audit`: what a component would be allowed to do, read from its bytes without running it.
// Prints the report (or one JSON object); a denied component then fails the command with exit code 1.
import { readFile } from 'node:fs/promises';
import { auditComponent, refusal } from '../audit/admission.js';
import { ComponentLoadError } from '../errors.js';
import { messageOf } from '../transpile-cache.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { formatAuditReport } from './audit-report-format.js';

export interface AuditCommandOptions extends AdmissionFlags {
  json?: boolean;
}

export async function auditCommand(componentPath: string, options: AuditCommandOptions): Promise<void> {
  const admission = await admissionOptionsFrom(options);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(componentPath);
  } catch (cause) {
    throw new ComponentLoadError(`cannot read component ${componentPath}: ${messageOf(cause)}`, { cause });
  }
  const report = await auditComponent(bytes, componentPath, admission);
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `${formatAuditReport(report)}\n`);
  const error = refusal(report);
  if (error) throw error;
}
