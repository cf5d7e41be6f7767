// `wasm-risk audit`: what a component would be allowed to do, read from its bytes without running it.
// Prints the report (or one JSON object); a denied component then fails the command with exit code 1.
import { terminalJson } from '../report/terminal-text.js';
import { auditComponent, refusal } from '../audit/admission.js';
import { readComponentFile } from '../load/component-format.js';
import { admissionOptionsFrom, type AdmissionFlags } from './admission-flags.js';
import { formatAuditReport } from './audit-report-format.js';

export interface AuditCommandOptions extends AdmissionFlags {
  json?: boolean;
}

export async function auditCommand(componentPath: string, options: AuditCommandOptions): Promise<void> {
  const admission = await admissionOptionsFrom(options);
  const report = await auditComponent(await readComponentFile(componentPath), componentPath, admission);
  process.stdout.write(options.json ? `${terminalJson(report)}\n` : `${formatAuditReport(report)}\n`);
  const error = refusal(report);
  if (error) throw error;
}
