// The append-only record of every change to the serving version: who, when, from, to, with hashes.
// Tamper-evident against anyone who can write the log but not the user's private key directory: each line
// ends with an HMAC-SHA-256, under a secret key kept outside the log, of its position, the MAC before it and
// its own bytes, so an edit, insertion or reordering breaks the chain and re-chaining needs the key; and the
// log's head (line count, last MAC) is anchored, MAC'd too, beside the key, so lines cut from the end are
// seen. Every append verifies the log first and refuses a broken one.
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, constants, fdatasyncSync, fstatSync, fsyncSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { constantTimeEqual, sha256Hex } from '../files/content-hash.js';
import { isErrno } from '../files/input-files.js';
import { AuditKeyError, AuditLogTamperedError, AuditLogUnavailableError, messageOf } from '../errors.js';
import { ensurePrivateDirectory } from '../files/private-files.js';
import { createSecretKey, defaultKeyFile, readSecretKey } from '../files/secret-keys.js';
import { hasUnsafeCharacter } from '../report/terminal-text.js';
import { parseOrThrow } from '../request/validation.js';
import { OneAtATime } from './one-at-a-time.js';

export interface VersionRef {
  version: string;
  sha256: string;
  path: string;
}

/** What a line records: a version registered or refused, a swap or rollback of the serving version, shadow
 *  mode started or stopped (candidate and counts). Kinds are only ever added: older logs keep verifying. */
export type SwapEventKind = 'register' | 'refuse' | 'swap' | 'rollback' | 'shadow-start' | 'shadow-stop';

export interface SwapEvent {
  event: SwapEventKind;
  at: string;
  actor: string;
  from: VersionRef | null;
  to: VersionRef | null;
  /** Why a candidate was refused; what shadow mode saw (shadow-stop). */
  reason?: string;
  /** HMAC-SHA-256 (hex) of this line's position, the previous line's MAC and this line without its MAC. */
  mac: string;
}

export interface SwapAuditLogOptions {
  /** The secret key (default: `defaultAuditKeyPath()`); its directory also holds each log's anchor and lock. */
  keyPath?: string;
}

/** What `verifySwapAuditLog` found. */
export interface SwapAuditLogVerification {
  /** The events of the lines before `brokenAt` (all of them when the log is intact), each verified. */
  events: SwapEvent[];
  /** The first line that cannot be trusted (one past the last line when lines were cut from the end), or null. */
  brokenAt: number | null;
  /** Why the log is broken, or null when it is intact. */
  problem: string | null;
}

const MAC_CONTEXT = 'wasm-risk swap audit log v1';
/** The "previous MAC" of the first line. */
const GENESIS = '0'.repeat(64);
/** The largest log the host reads (every append reads it whole to verify it). */
const MAX_LOG_BYTES = 256 * 2 ** 20;
/** The largest anchor: its log's path (at most PATH_MAX, 4,096 bytes, each JSON-escaped to at most six), two
 *  MACs and a count. An anchor was read whole, so a 300 MiB file in its place cost 300 MiB at every append. */
const MAX_ANCHOR_BYTES = 32 * 2 ** 10;
/** Every line is `{...event},"mac":"<hex>"}`: the MAC covers the exact bytes before it, so no JSON canonicalisation is needed. */
const MAC_SUFFIX = /,"mac":"([0-9a-f]{64})"\}$/;

const versionRefSchema = z.strictObject({ version: z.string(), sha256: z.string(), path: z.string() });
const eventSchema = z.strictObject({
  event: z.enum(['register', 'refuse', 'swap', 'rollback', 'shadow-start', 'shadow-stop']),
  at: z.string(),
  actor: z.string(),
  from: versionRefSchema.nullable(),
  to: versionRefSchema.nullable(),
  reason: z.string().optional(),
});
const anchorSchema = z.strictObject({ log: z.string(), lines: z.number().int().positive(), mac: z.string(), anchorMac: z.string() });

/** Where a log's head stands: its line count and last MAC. */
interface Head {
  lines: number;
  mac: string;
}

/** A log and the files beside its key that belong to it. */
interface LogLocation {
  path: string;
  /** The absolute path the anchor is named by and MAC'd with. */
  canonical: string;
  anchorPath: string;
}

type AnchorState = { kind: 'missing' } | { kind: 'invalid'; problem: string } | { kind: 'valid'; head: Head };

interface Inspection {
  /** Neither the log nor its anchor exists: a log not yet written. */
  missing: boolean;
  verification: SwapAuditLogVerification;
  head: Head;
  /** The log's size in bytes as verified: an append writes only onto exactly these. */
  bytes: number;
}

/** The longest actor name a line records (the admin API's token names are at most 64). */
export const MAX_ACTOR_LENGTH = 128;

/** An actor name as a line records it: a name of 10 MB was 10 MB of every line it acted in, one with a newline
 *  or a bidi override broke or reordered the lines `swap` and the server print, and one that was no string
 *  (a library caller's object) was written, and broke the log for good: its verification wants a string. */
export const actorSchema = z
  .string()
  .min(1, { error: 'must not be empty' })
  .max(MAX_ACTOR_LENGTH, { error: `must be at most ${MAX_ACTOR_LENGTH} characters` })
  .refine((name) => !hasUnsafeCharacter(name), { error: 'must hold no control, bidi or line separator character' });

/** The user's name, or 'unknown' when there is none an actor may be. */
export function defaultActor(): string {
  try {
    const { username } = userInfo();
    return actorSchema.safeParse(username).success ? username : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `$WASM_RISK_AUDIT_KEY_FILE`, else `wasm-risk/audit-log.key` under `$XDG_CONFIG_HOME` or `~/.config`. */
export function defaultAuditKeyPath(): string {
  return defaultKeyFile('audit-log.key', 'WASM_RISK_AUDIT_KEY_FILE');
}

export class SwapAuditLog {
  private readonly keyPath: string;
  private readonly appends = new OneAtATime();
  /** The key and the log's anchor location, checked once, on the first append. */
  private opened: { key: Buffer; location: LogLocation } | undefined;

  constructor(
    readonly path: string,
    options: SwapAuditLogOptions = {},
  ) {
    this.keyPath = resolve(options.keyPath ?? defaultAuditKeyPath());
  }

  /**
   * Verifies the log against its anchor, then appends one event and moves the anchor. A broken log gets
   * nothing appended: `AuditLogTamperedError`. Appends are serialised within this process by a queue and
   * across processes by a lock file beside the anchor.
   */
  append(event: Omit<SwapEvent, 'at' | 'mac'>): Promise<SwapEvent> {
    return this.appends.run(() => this.appendLocked(event));
  }

  private async appendLocked(event: Omit<SwapEvent, 'at' | 'mac'>): Promise<SwapEvent> {
    parseOrThrow(actorSchema, event.actor, 'actor');
    const { key, location } = (this.opened ??= await this.open());
    let compromised: Error | undefined;
    // Imported at the first append, not with the package: loading proper-lockfile installs signal-exit's
    // SIGINT and SIGTERM handlers, which hold those signals back while the caller's code blocks.
    const { lock } = await import('proper-lockfile');
    const release = await lock(location.anchorPath, {
      realpath: false,
      retries: { retries: 60, minTimeout: 10, maxTimeout: 250 },
      onCompromised: (error) => (compromised = error),
    }).catch((error: unknown) => {
      throw new AuditLogUnavailableError(`cannot lock the audit log ${this.path} (${location.anchorPath}.lock): ${messageOf(error)}`, { cause: error });
    });
    try {
      // From reading the log to moving its anchor is one synchronous step: under load every await waits
      // behind queued requests (tens of ms a hop, measured), which stretched a swap over many requests.
      const { verification, head, bytes } = inspect(location, key);
      if (verification.brokenAt !== null) {
        throw new AuditLogTamperedError(`${brokenMessage(this.path, verification.brokenAt, verification.problem)}; nothing was appended`, verification.brokenAt);
      }
      const { reason } = event;
      const entry = { event: event.event, at: new Date().toISOString(), actor: event.actor, from: event.from, to: event.to, ...(reason === undefined ? {} : { reason }) };
      const body = JSON.stringify(entry);
      const mac = lineMac(key, head.lines + 1, head.mac, body);
      appendDurably(this.path, `${body.slice(0, -1)},"mac":"${mac}"}\n`, bytes);
      // Without the lock the anchor is not ours to move; the line is in, and verifies as a completed append.
      if (compromised) throw new AuditLogUnavailableError(`lost the lock on the audit log ${this.path}: ${compromised.message}`);
      writeAnchor(location, key, { lines: head.lines + 1, mac });
      return { ...entry, mac };
    } finally {
      await release();
    }
  }

  private async open(): Promise<{ key: Buffer; location: LogLocation }> {
    // Others must not write the key's directory: they could replace the key, an anchor or the lock.
    await ensurePrivateDirectory(dirname(this.keyPath)).catch((error: unknown) => {
      throw new AuditKeyError(`cannot use the audit key's directory: ${messageOf(error)}`, { cause: error });
    });
    return { key: await this.keyForAppend(), location: await locate(this.path, this.keyPath) };
  }

  /** The key; created on first use, but never for a log that has lines already (they were MAC'd under another). */
  private async keyForAppend(): Promise<Buffer> {
    const key = await readKey(this.keyPath);
    if (key) return key;
    if (readLog(this.path)) {
      throw new AuditKeyError(`no audit key at ${this.keyPath}, but ${this.path} already has lines: only the key that wrote them can extend it`);
    }
    return createKey(this.keyPath);
  }
}

/** Reads a log and checks every line's MAC chain and its anchor; returns the events, or the first line that breaks it and why. */
export async function verifySwapAuditLog(path: string, options: SwapAuditLogOptions = {}): Promise<SwapAuditLogVerification> {
  const keyPath = resolve(options.keyPath ?? defaultAuditKeyPath());
  const key = await readKey(keyPath);
  if (!key) throw new AuditKeyError(`no audit key at ${keyPath}: a log is verified with the key that wrote it`);
  const { missing, verification } = inspect(await locate(path, keyPath), key);
  if (missing) throw new AuditLogUnavailableError(`no audit log at ${path}`);
  return verification;
}

/** The one-line description of a broken log, shared by the verifier's callers and the refused append. */
export function brokenMessage(path: string, brokenAt: number, problem: string | null): string {
  return `the audit log ${path} is broken at line ${brokenAt}: ${problem}`;
}

function inspect(location: LogLocation, key: Buffer): Inspection {
  // The anchor before the log: a writer appends the line before it moves the anchor, so the log read here is
  // never behind the anchor read here, even while another process appends.
  const anchor = readAnchor(location, key);
  const text = readLog(location.path);
  const events: SwapEvent[] = [];
  const broken = (brokenAt: number, problem: string, kept = events): Inspection => ({
    missing: false,
    verification: { events: kept, brokenAt, problem },
    head: { lines: 0, mac: GENESIS },
    bytes: 0,
  });
  if (text === undefined) {
    if (anchor.kind === 'missing') return { missing: true, verification: { events, brokenAt: null, problem: null }, head: { lines: 0, mac: GENESIS }, bytes: 0 };
    return broken(1, anchor.kind === 'valid' ? `the log is missing; its anchor records ${anchor.head.lines} line(s)` : anchor.problem);
  }
  const lines = text.split('\n');
  // '' when the log ends with a newline, as every append leaves it.
  const unterminated = lines.pop();
  const macs = [GENESIS];
  for (const [index, line] of lines.entries()) {
    const verified = verifyLine(key, index + 1, macs[index]!, line);
    if (verified === MAC_MISMATCH && index === 0 && anchor.kind === 'missing') {
      // Nothing ties this log to this key: no anchor beside it, and not even its first line verifies. Another
      // key's log is not a tampered one (the anchor of a log written under this key cannot be removed by
      // whoever can edit the log: it is in the key's private folder).
      throw new AuditKeyError(
        `${location.path} was not written under the audit key in ${dirname(location.anchorPath)}: no anchor for it there, and its first line's MAC does not match (another --audit-key, or the log was moved)`,
      );
    }
    if (verified === NO_MAC && index === 0 && anchor.kind === 'missing') {
      // Not a line any audit log has, and no anchor for a log here: another file was named (a typo, a README),
      // which is neither tampering nor anything to append to.
      throw new AuditLogUnavailableError(`${location.path} is not a wasm-risk audit log: its first line carries no MAC, and no audit log was anchored at this path`);
    }
    if (typeof verified === 'string') return broken(index + 1, verified);
    events.push(verified);
    macs.push(verified.mac);
  }
  if (unterminated) return broken(lines.length + 1, 'no newline at its end: a torn write or an edit');
  const head = { lines: lines.length, mac: macs[lines.length]! };
  if (anchor.kind === 'invalid') return broken(head.lines + 1, anchor.problem);
  if (anchor.kind === 'missing') {
    if (head.lines > 0) {
      return broken(head.lines + 1, `it has no anchor in ${dirname(location.anchorPath)}, so lines cut from its end would not show (anchor deleted, log moved, or another key)`);
    }
  } else if (anchor.head.lines > head.lines) {
    return broken(head.lines + 1, `lines were removed from its end: it has ${head.lines}, its anchor records ${anchor.head.lines}`);
  } else if (macs[anchor.head.lines] !== anchor.head.mac) {
    return broken(1, `it is not the log its anchor records (line ${anchor.head.lines} differs): replaced by another log under the same key`, []);
  }
  // Lines past the anchor that verify were written with the key: appends whose anchor move had not happened
  // yet (a crash between the two writes, or a writer mid-append), not tampering.
  // Every verified line is JSON.stringify's output and its MAC, so the text's UTF-8 length is the file's.
  return { missing: false, verification: { events, brokenAt: null, problem: null }, head, bytes: Buffer.byteLength(text) };
}

const MAC_MISMATCH = 'its MAC does not match: the line was edited, moved or inserted, or written under another key';

const NO_MAC = 'the line carries no MAC';

function verifyLine(key: Buffer, position: number, previous: string, line: string): SwapEvent | string {
  const match = MAC_SUFFIX.exec(line);
  if (!match) return NO_MAC;
  const body = `${line.slice(0, match.index)}}`;
  const mac = match[1]!;
  if (!constantTimeEqual(Buffer.from(mac, 'hex'), Buffer.from(lineMac(key, position, previous, body), 'hex'))) return MAC_MISMATCH;
  const event = eventSchema.safeParse(JSON.parse(body));
  if (!event.success) return `a MAC'd line that is not a swap event: ${event.error.issues[0]?.message}`;
  return { ...event.data, mac };
}

function lineMac(key: Buffer, position: number, previous: string, body: string): string {
  return createHmac('sha256', key).update(`${MAC_CONTEXT}\nline ${position}\n${previous}\n${body}`).digest('hex');
}

function anchorMac(key: Buffer, log: string, head: Head): string {
  return createHmac('sha256', key).update(`${MAC_CONTEXT}\nanchor\n${log}\n${head.lines}\n${head.mac}`).digest('hex');
}

async function locate(path: string, keyPath: string): Promise<LogLocation> {
  const absolute = resolve(path);
  // The directory's real path, so `swaps.log`, `./x/../swaps.log` and a symlinked directory share one anchor.
  const directory = await realpath(dirname(absolute)).catch(() => dirname(absolute));
  const canonical = join(directory, basename(absolute));
  // The key read as a log is no log at all (`--audit-log` and `--audit-key` naming one file): it was
  // reported as a torn write, the alarm of a tampered log (exit 1). Compared as files, so any name counts.
  const [log, key] = await Promise.all([stat(absolute).catch(() => undefined), stat(keyPath).catch(() => undefined)]);
  if (log && key && log.dev === key.dev && log.ino === key.ino) throw new AuditLogUnavailableError(`the audit log ${path} is its own key ${keyPath}`);
  return { path, canonical, anchorPath: join(dirname(keyPath), `audit-log-${sha256Hex(Buffer.from(canonical))}.head`) };
}

function readAnchor(location: LogLocation, key: Buffer): AnchorState {
  // Not followed if a link: the anchor is the key folder's own file, as the key is.
  const text = readBoundedText(location.anchorPath, `the anchor ${location.anchorPath}`, MAX_ANCHOR_BYTES, constants.O_NOFOLLOW);
  if (text === undefined) return { kind: 'missing' };
  const anchor = anchorSchema.safeParse(parseJson(text));
  if (anchor.success && anchor.data.log === location.canonical && constantTimeEqual(Buffer.from(anchor.data.anchorMac), Buffer.from(anchorMac(key, location.canonical, anchor.data)))) {
    return { kind: 'valid', head: { lines: anchor.data.lines, mac: anchor.data.mac } };
  }
  return { kind: 'invalid', problem: `its anchor ${location.anchorPath} was not written for this log under this key` };
}

/** Replaces the anchor atomically (write, sync, rename), so a crash leaves the old anchor or the new one. */
function writeAnchor(location: LogLocation, key: Buffer, head: Head): void {
  const temporary = `${location.anchorPath}.${randomBytes(6).toString('hex')}.tmp`;
  const anchor = { log: location.canonical, ...head, anchorMac: anchorMac(key, location.canonical, head) };
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeFileSync(fd, `${JSON.stringify(anchor)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, location.anchorPath);
}

/** The log's text, or undefined when there is none. */
function readLog(path: string): string | undefined {
  return readBoundedText(path, `the audit log ${path}`, MAX_LOG_BYTES);
}

/** The text of `path` (`name` in errors), or undefined when there is none: a regular file of at most
 *  `maxBytes`, read only up to the bytes it held when checked. Synchronous: appends read and move the anchor
 *  in one step. */
function readBoundedText(path: string, name: string, maxBytes: number, openFlags = 0): string | undefined {
  let fd;
  try {
    // Non-blocking, so a FIFO planted at the path is refused below instead of hanging the open (and the
    // process with it: a synchronous open waiting for a writer does not even end on SIGTERM).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | openFlags);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw new AuditLogUnavailableError(`cannot read ${name}: ${messageOf(error)}`, { cause: error });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new AuditLogUnavailableError(`${name} is not a regular file`);
    // Past the log's cap it would not fit a JavaScript string; a log that large should have been rotated long ago.
    if (stats.size > maxBytes) throw new AuditLogUnavailableError(`${name} holds ${stats.size} bytes, over the ${maxBytes} it may hold`);
    // The bytes it held when checked, and one more to see if it has more: readFileSync had read on to the end of
    // the file, however far a writer kept pushing it, past the cap and the memory it stands for.
    const bytes = Buffer.allocUnsafe(stats.size + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < bytes.length; length += read) read = readSync(fd, bytes, length, bytes.length - length, length);
    if (length > stats.size) throw new AuditLogUnavailableError(`${name} grew while it was read: it holds more than the ${stats.size} bytes it had when checked; check it again`);
    return bytes.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** Appends and syncs the line before the anchor moves: after a crash the log may be ahead of its anchor, never
 *  behind. Only onto the `verified` bytes: verifying a log near its cap takes longer than the lock may go
 *  un-refreshed (the event loop is held), so another process can take it as stale and append meanwhile; a
 *  line written after it would sit at the wrong position and break the log for good. */
function appendDurably(path: string, line: string, verified: number): void {
  const failed = (error: unknown) => new AuditLogUnavailableError(`cannot append to the audit log ${path}: ${messageOf(error)}`, { cause: error });
  let fd;
  try {
    fd = openSync(path, 'a');
  } catch (error) {
    throw failed(error);
  }
  try {
    const size = fstatSync(fd).size;
    if (size !== verified) {
      throw new AuditLogUnavailableError(
        `another writer appended to the audit log ${path} while this append verified it (${size} bytes, ${verified} verified; its lock went stale): nothing was appended, try again`,
      );
    }
    writeFileSync(fd, line);
    fdatasyncSync(fd);
  } catch (error) {
    throw error instanceof AuditLogUnavailableError ? error : failed(error);
  } finally {
    closeSync(fd);
  }
}

/** The key, or undefined when there is none; refused unless only this user can read or replace it. */
async function readKey(keyPath: string): Promise<Buffer | undefined> {
  try {
    return await readSecretKey(keyPath);
  } catch (error) {
    throw new AuditKeyError(`cannot use the audit key ${keyPath}: ${messageOf(error)}`, { cause: error });
  }
}

async function createKey(keyPath: string): Promise<Buffer> {
  try {
    return await createSecretKey(keyPath);
  } catch (error) {
    throw new AuditKeyError(`cannot create the audit key ${keyPath}: ${messageOf(error)}`, { cause: error });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
