// `wasm-risk verify-log <log>`: checks a swap audit log's MAC chain and anchor with its key; prints the
// events when the log is intact (exit 0), fails with ERR_AUDIT_LOG_TAMPERED (exit 1) when it is not, and
// with exit 2 when it cannot be checked (no log, not a regular file, no key, a key open to others, or
// a key the log was not written under).
import { terminalJson, terminalText } from '../report/terminal-text.js';
import { AuditLogTamperedError } from '../errors.js';
import { brokenMessage, verifySwapAuditLog } from '../versions/swap-audit-log.js';
import { formatSwapEvent } from './swap-command.js';

export interface VerifyLogCommandOptions {
  auditKey?: string;
  json?: boolean;
}

export async function verifyLogCommand(path: string, options: VerifyLogCommandOptions): Promise<void> {
  const { events, brokenAt, problem } = await verifySwapAuditLog(path, { keyPath: options.auditKey });
  if (brokenAt !== null) throw new AuditLogTamperedError(brokenMessage(path, brokenAt, problem), brokenAt);
  process.stdout.write(
    options.json
      ? `${terminalJson({ path, intact: true, events })}\n`
      : `${[`audit log ${terminalText(path)}: ${events.length} event(s), MAC chain and anchor intact`, ...events.map(formatSwapEvent)].join('\n')}\n`,
  );
}
