// Human-readable rendering of an audit report: identity, imports with the rule that decided each and
// what the sandbox answers an allowed one, exports, provenance, and the verdict with its reasons. Names come from the component's bytes, so
// every line is escaped for the terminal.
import type { AuditedImport, AuditReport } from '../audit/admission.js';
import { describeDecision } from '../audit/capability-policy.js';
import type { ComponentExtern } from '../audit/component-inspection.js';
import type { LockCheck, SignatureCheck } from '../audit/provenance.js';
import { terminalText } from '../report/terminal-text.js';

const count = new Intl.NumberFormat('en-US');

export function formatAuditReport(report: AuditReport): string {
  const packages = report.world.packages.map((pkg) => (pkg.version ? `${pkg.name}@${pkg.version}` : pkg.name));
  const producers = Object.entries(report.producers).map(([field, entries]) => `${field}: ${entries.join(', ')}`);
  const { name, version, license } = report.metadata;
  return [
    `component  ${report.path}`,
    `sha256     ${report.sha256}`,
    `size       ${count.format(report.size)} bytes`,
    `world      ${packages.length > 0 ? `implements ${packages.join(', ')}` : 'exports no interface'}`,
    ...(name || version ? [`package    ${[name ?? '(no name)', version].filter(Boolean).join(' ')}`] : []),
    ...(license ? [`license    ${license}`] : []),
    ...producers.map((line, i) => `${i === 0 ? 'producers ' : '          '} ${line}`),
    `policy     ${report.policy}${report.deterministic ? '' : ' (not deterministic: random and clocks are the host\'s)'}`,
    '',
    `imports (${report.imports.length})`,
    ...(report.imports.length > 0 ? report.imports.flatMap(formatImport) : ['  none']),
    '',
    `exports (${report.exports.length})`,
    ...report.exports.map((item) => `  ${item.name}${members(item)}`),
    '',
    'provenance',
    `  lock file  ${formatLock(report.provenance.lock)}`,
    `  signature  ${formatSignature(report.provenance.signature)}`,
    '',
    `verdict: ${report.verdict.toUpperCase()}`,
    ...report.reasons.map((reason) => `  - ${reason}`),
  ]
    .map(terminalText)
    .join('\n');
}

const VERDICT_COLUMN = { allow: 'allow', link: 'link ', deny: 'DENY ' } as const;

function formatImport(item: AuditedImport): string[] {
  return [
    `  ${VERDICT_COLUMN[item.verdict]}  ${item.name}${members(item)}`,
    `         ${describeDecision(item)}`,
    ...(item.answer ? [`         sandbox: ${item.answer}`] : []),
  ];
}

function members(item: ComponentExtern): string {
  if (item.sort !== 'instance') return ` (${item.sort})`;
  return item.functions.length > 0 ? `: ${item.functions.join(', ')}` : ' (types only)';
}

function formatLock(lock: LockCheck): string {
  switch (lock.status) {
    case 'not-checked':
      return 'not checked (use --strict)';
    case 'pinned':
      return `pinned in ${lock.lockFile} as ${lock.name} ${lock.version}`;
    case 'unpinned':
      return `NOT PINNED in ${lock.lockFile}`;
    case 'modified':
      return `MODIFIED: ${lock.lockFile} pins ${lock.name} ${lock.version} at sha256 ${lock.expected}`;
  }
}

function formatSignature(signature: SignatureCheck): string {
  switch (signature.status) {
    case 'not-checked':
      return 'not checked (use --trusted-key)';
    case 'verified':
      return `verified: ${signature.signatureFile} by ${signature.key}`;
    case 'missing':
      return `MISSING: no ${signature.signatureFile}`;
    case 'malformed':
      return `MALFORMED: ${signature.signatureFile}`;
    case 'invalid':
      return `INVALID: ${signature.signatureFile} is not signed by ${signature.keys.join(' or ')}`;
  }
}
