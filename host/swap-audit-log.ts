// The append-only record of every change to the serving version: who, when, from, to, with hashes.
// One JSON object per line; each line carries the SHA-256 of the line before it, so an edited or deleted
// line breaks the chain that `verifySwapAuditLog` checks.
import { appendFile, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { sha256Hex } from './content-hash.js';

export interface VersionRef {
  version: string;
  sha256: string;
  path: string;
}

export type SwapEventKind = 'register' | 'refuse' | 'swap' | 'rollback';

export interface SwapEvent {
  event: SwapEventKind;
  at: string;
  actor: string;
  from: VersionRef | null;
  to: VersionRef | null;
  /** Why a candidate was refused. */
  reason?: string;
  /** SHA-256 of the previous line, or null for the first. */
  previous: string | null;
}

const GENESIS = null;

export function defaultActor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export class SwapAuditLog {
  private lastLine: Promise<string | null>;

  constructor(readonly path: string) {
    this.lastLine = readFile(path, 'utf8').then(
      (text) => text.trimEnd().split('\n').filter(Boolean).at(-1) ?? GENESIS,
      () => GENESIS,
    );
  }

  /** Appends one event; appends are serialised so the hash chain stays linear under concurrency. */
  append(event: Omit<SwapEvent, 'at' | 'previous'>): Promise<SwapEvent> {
    const prior = this.lastLine;
    const written = prior.then(async (last) => {
      const entry: SwapEvent = { ...event, at: new Date().toISOString(), previous: last === null ? null : sha256Hex(Buffer.from(last)) };
      const line = JSON.stringify(entry);
      await appendFile(this.path, `${line}\n`, { flag: 'a' });
      return { entry, line };
    });
    this.lastLine = written.then(({ line }) => line, () => prior);
    return written.then(({ entry }) => entry);
  }
}

/** Reads a log and checks its chain; returns the events, or the first line that breaks it. */
export async function verifySwapAuditLog(path: string): Promise<{ events: SwapEvent[]; brokenAt: number | null }> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  const events: SwapEvent[] = [];
  let previous: string | null = null;
  for (const [index, line] of lines.entries()) {
    let event: SwapEvent;
    try {
      event = JSON.parse(line) as SwapEvent;
    } catch {
      return { events, brokenAt: index + 1 };
    }
    if (event.previous !== previous) return { events, brokenAt: index + 1 };
    events.push(event);
    previous = sha256Hex(Buffer.from(line));
  }
  return { events, brokenAt: null };
}
