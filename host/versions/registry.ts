// Several versions of a component loaded side by side, one serving. A candidate is admitted only after
// the audit policy (at load), the contract check and the golden vectors; `swap` and `rollback` switch the
// serving version atomically: a request runs wholly on the version that was active when it started, and
// every version stays loaded, so nothing in flight is dropped. Every change is written to the audit log
// first and takes effect only once it is there: a broken log stops registrations and swaps.
import { debuglog } from 'node:util';
import { z } from 'zod';
import { ComponentImage } from '../load/component-image.js';
import { OneAtATime } from './one-at-a-time.js';
import { echoed } from '../report/echoed-input.js';
import { sourceName, type ComponentBytes } from '../load/component-format.js';
import { checkCompatibility } from '../contract/compatibility.js';
import { validateEngineOptions, type EngineOptions, type ValidatedEngineOptions } from '../request/engine-options.js';
import {
  AuditKeyError,
  AuditLogTamperedError,
  AuditLogUnavailableError,
  CancelledError,
  GoldenVectorsFailedError,
  IncompatibleComponentError,
  InvalidInputError,
  messageOf,
  UnknownVersionError,
  WasmRiskError,
} from '../errors.js';
import { goldenVectorsOptionSchema, loadGoldenVectors, verifyGoldenVectors, type GoldenVectors } from './golden-vectors.js';
import type { PortfolioSpec } from '../request/portfolio.js';
import { validateRiskRequest, type ClosedFormOptions, type RiskRequest, type ValidRiskRequest } from '../request/risk-request.js';
import { engineOverImage, type RiskEngine, type BatchOutcome, type CallOptions, type MonteCarloCallOptions, type RiskResult, type RunOptions } from '../risk-engine.js';
import { parseOrThrow, validateOnce } from '../request/validation.js';
import type { WorkerRestartCounts } from '../run/worker-restarts.js';
import { actorSchema, defaultActor, SwapAuditLog, type VersionRef } from './swap-audit-log.js';

const debug = debuglog('wasm-risk');

export interface RegistryOptions {
  /** Append-only log of registrations, refusals, swaps and rollbacks (JSON lines, MAC'd). */
  auditLogPath: string;
  /** The log's secret key, kept outside it (default: `$XDG_CONFIG_HOME/wasm-risk/audit-log.key`). */
  auditKeyPath?: string;
  /** Who is acting, for the log (default: the OS user); an actor name as ActingOptions' is. */
  actor?: string;
  /** How every version is loaded and run (policy, limits, workers). */
  engine?: EngineOptions;
  /** Default: wit/golden-vectors.json. */
  goldenVectors?: GoldenVectors;
}

/** RegistryOptions as a caller may pass them, checked once by the constructor; `engine` is the engine's own
 *  options, checked by their own schema. */
const registryOptionsSchema = z.strictObject({
  auditLogPath: z.string().min(1, { error: 'must name a file' }),
  auditKeyPath: z.string().min(1, { error: 'must name a file' }).optional(),
  actor: actorSchema.optional(),
  engine: z.unknown().optional(),
  goldenVectors: goldenVectorsOptionSchema.optional(),
});

export interface RegisteredVersion extends VersionRef {
  /** Version of the `engine` interface it exports (its WIT package version). */
  contractVersion: string;
  active: boolean;
}

/** What shadow mode saw: the candidate run on live requests beside the serving version, never served. */
export interface ShadowReport {
  candidate: VersionRef | null;
  requests: number;
  /** Requests whose candidate answer differed from the served one by more than the tolerance, or failed. */
  mismatches: number;
  /** Largest relative difference of any VaR or ES seen. */
  maxRelativeDifference: number;
  /** The first few mismatches, one line each. */
  examples: string[];
}

/** Who a registry call acts for, when not the registry's own actor (the admin API's token names). */
export interface ActingOptions {
  /** 1 to 128 characters, none a control, bidi or line separator character (swap-audit-log.ts's actorSchema). */
  actor?: string;
}

/** A change of the serving version that was made (and logged): `from` is undefined for the first version. */
export interface ServingChange {
  from: string | undefined;
  to: string;
}

export interface RollbackOptions extends ActingOptions {
  /** Roll back only if this version is still serving (an automatic rollback must not undo a later swap). */
  ifServing?: string;
}

const SHADOW_TOLERANCE = 1e-9;
const SHADOW_EXAMPLES = 10;

interface Entry {
  ref: RegisteredVersion;
  engine: RiskEngine;
}

// How the service's admin API logs a candidate it refused before the registry's gates: set by the class
// (which alone reaches its log), exported below as a function, so it is not a method of the public class.
let logRefusalOf: (registry: ComponentRegistry, path: string, error: unknown, actor: string) => Promise<void>;

export class ComponentRegistry {
  static {
    logRefusalOf = (registry, path, error, actor) => registry.logRefusal(path, error, actor);
  }

  private readonly entries = new Map<string, Entry>();
  private activeVersion: string | undefined;
  /** Versions that were active before, most recent last: what `rollback` returns to. */
  private readonly previous: string[] = [];
  private shadow: { entry: Entry; report: ShadowReport; pending: Set<Promise<void>> } | undefined;
  private readonly log: SwapAuditLog;
  /** Changes of the serving version, one at a time, each after the previous one's log entry. */
  private readonly changing = new OneAtATime();
  /** Registrations, one at a time: the "already registered" check and the entry it guards must not
   *  interleave with another registration of the same version. */
  private readonly registering = new OneAtATime();
  /** Starts and stops of shadow mode, one at a time: two starts at once both found no shadow running, both
   *  logged `shadow-start`, and the second replaced the first, which the log never showed stopped. */
  private readonly shadowChanging = new OneAtATime();
  private goldenVectors: GoldenVectors | undefined;
  /** How every version is loaded and run, validated once. */
  private readonly engineOptions: ValidatedEngineOptions;
  /** Set by `close`: every call afterwards fails with CancelledError, as a closed engine's do, and a
   *  registration still under way closes the engine it loaded instead of adding it. */
  private closed = false;

  /** Who acts when a call names no one (default: the OS user). */
  private readonly namedActor: string | undefined;

  constructor(options: RegistryOptions) {
    const { auditLogPath, auditKeyPath, actor, engine, goldenVectors } = parseOrThrow(registryOptionsSchema, options ?? {});
    this.engineOptions = validateEngineOptions(engine);
    this.log = new SwapAuditLog(auditLogPath, { keyPath: auditKeyPath });
    this.goldenVectors = goldenVectors;
    this.namedActor = actor;
  }

  /** Loads, audits, checks and verifies a candidate; the first version registered starts serving. */
  register(source: string | ComponentBytes, options: ActingOptions = {}): Promise<RegisteredVersion> {
    return this.registering.run(() => this.registerNow(source, options));
  }

  /** `source`: a path, or a file's bytes read by a caller that checked where they came from (admin API). */
  private async registerNow(source: string | ComponentBytes, options: ActingOptions): Promise<RegisteredVersion> {
    const actor = this.actorOf(options);
    const { cacheDir, memoryLimitMb, admission } = this.engineOptions;
    const path = sourceName(source);
    let engine: RiskEngine | undefined;
    /** The candidate once it said what it is: a refusal from then on names the bytes it refused, not only a path. */
    let candidate: VersionRef | null = null;
    try {
      this.assertOpen();
      const image = await ComponentImage.load(source, { cacheDir, memoryLimitMb, admission });
      const compatibility = await checkCompatibility(image.contract);
      if (!compatibility.compatible) {
        throw new IncompatibleComponentError(`${path} is incompatible with this host: ${compatibility.differences.join('; ')}`);
      }
      engine = await engineOverImage(image, this.engineOptions);
      const { version, sha256 } = engine.component;
      candidate = { version, sha256, path };
      const existing = this.entries.get(version);
      if (existing?.ref.sha256 === sha256) {
        await engine.close();
        return { ...existing.ref, active: version === this.activeVersion };
      }
      if (existing) {
        throw new IncompatibleComponentError(`version ${version} is already registered with sha256 ${existing.ref.sha256}; ${path} has ${sha256}`);
      }
      this.goldenVectors ??= await loadGoldenVectors();
      const golden = await verifyGoldenVectors(engine, this.goldenVectors, compatibility.contractVersion!);
      if (!golden.passed) {
        throw new GoldenVectorsFailedError(`${path} failed ${golden.failures.length} golden vector check(s): ${golden.failures.slice(0, 3).join('; ')}`);
      }
      const ref: RegisteredVersion = { version, sha256, path, contractVersion: compatibility.contractVersion!, active: false };
      this.assertOpen();
      await this.log.append({ event: 'register', actor, from: null, to: versionRef(ref) });
      this.entries.set(version, { ref, engine });
      await this.changeServing(actor, () => (this.activeVersion === undefined ? { version, event: 'swap' } : undefined));
      return { ...ref, active: version === this.activeVersion };
    } catch (error) {
      if (engine && this.entries.get(engine.component.version)?.engine !== engine) await engine.close();
      await this.logRefusal(path, error, actor, candidate);
      throw error;
    }
  }

  /** Logs a candidate refused (`refuse`, with why, and in `to` the version and hash it ran as, once it ran),
   *  by the registry's gates or before them (the admin API's path checks). Never throws: a log that cannot be written cannot record the refusal either, and a log that
   *  breaks now must not replace the refusal's own typed error, which says what was wrong with the component. */
  private async logRefusal(path: string, error: unknown, actor: string, candidate: VersionRef | null = null): Promise<void> {
    // A registration cut short by close() refused nothing.
    if (isAuditLogError(error) || (this.closed && error instanceof CancelledError)) return;
    await this.log.append({ event: 'refuse', actor, from: null, to: candidate, reason: refusalReason(path, error) }).catch((logError: unknown) => {
      debug('cannot record the refusal of %s: %s', path, messageOf(logError));
    });
  }

  /** Makes `version` the serving one; requests already running finish on the version they started on.
   *  Returns the change made, or undefined when `version` was serving already (by the time its turn came). */
  async swap(version: string, options: ActingOptions = {}): Promise<ServingChange | undefined> {
    const actor = this.actorOf(options);
    this.entry(version);
    return this.changeServing(actor, () => (version === this.activeVersion ? undefined : { version, event: 'swap' }));
  }

  /** Goes back to the version that served before the last swap; returns the change made, or undefined when
   *  `ifServing` no longer serves. */
  async rollback(options: RollbackOptions = {}): Promise<ServingChange | undefined> {
    const { ifServing } = options;
    const actor = this.actorOf(options);
    this.assertOpen();
    return this.changeServing(actor, () => {
      if (ifServing !== undefined && ifServing !== this.activeVersion) return undefined;
      const target = this.previous.at(-1);
      if (target === undefined) throw new UnknownVersionError('nothing to roll back to: no swap is left to undo (none was made, or each was rolled back)');
      return { version: target, event: 'rollback' };
    });
  }

  get active(): RegisteredVersion {
    return { ...this.entry(this.activeVersionOrThrow()).ref, active: true };
  }

  /** The version serving now, or undefined before the first registration. A `run` started in the same
   *  tick runs on this version. */
  get servingVersion(): string | undefined {
    return this.activeVersion;
  }

  list(): RegisteredVersion[] {
    return [...this.entries.values()].map(({ ref }) => ({ ...ref, active: ref.version === this.activeVersion }));
  }

  /** The linear memory each loaded version's instances hold now, in bytes. */
  memoryBytes(): Map<string, number> {
    return new Map([...this.entries].map(([version, { engine }]) => [version, engine.memoryBytes]));
  }

  /** The instances each loaded version's engine has discarded and replaced, by cause (RiskEngine.workerRestarts). */
  workerRestarts(): Map<string, WorkerRestartCounts> {
    return new Map([...this.entries].map(([version, { engine }]) => [version, engine.workerRestarts]));
  }

  /** Runs `version` beside the serving one on every request from now on, comparing, never serving it;
   *  logged (`shadow-start`, serving -> candidate) before it starts. A shadow already running is stopped
   *  first, and logged so (`shadow-stop`, with what it saw): the log never shows two shadows at once. */
  startShadow(version: string, options: ActingOptions = {}): Promise<void> {
    return this.shadowChanging.run(async () => {
      const actor = this.actorOf(options);
      const entry = this.entry(version);
      // A shadow of the serving version compares it with itself: it answered 200 and reported nothing, and stopped
      // a shadow that was comparing something.
      if (this.activeVersionOrThrow() === version) throw new InvalidInputError('version', `${version} is the serving version: shadow another version beside it`);
      if (this.shadow) await this.stopShadowNow(actor);
      // The serving version read and logged between changes of it, so the line names what the log's lines
      // before it leave serving (a swap asked for at the same time is logged wholly before or after it).
      await this.changing.run(async () => {
        const serving = this.entry(this.activeVersionOrThrow());
        await this.log.append({ event: 'shadow-start', actor, from: versionRef(serving.ref), to: versionRef(entry.ref) });
      });
      const report = { candidate: versionRef(entry.ref), requests: 0, mismatches: 0, maxRelativeDifference: 0, examples: [] };
      this.shadow = { entry, report, pending: new Set() };
    });
  }

  /** Stops shadowing once the comparisons under way have finished, and returns what it saw; logged
   *  (`shadow-stop`, candidate -> serving, with the counts) if shadowing was on. A stop the log cannot
   *  record does not happen: the log's error is thrown and shadowing goes on, as a swap it cannot record
   *  does not happen (the requests that arrived while the stop waited are not compared). */
  stopShadow(options: ActingOptions = {}): Promise<ShadowReport> {
    return this.shadowChanging.run(async () => {
      const actor = this.actorOf(options);
      this.assertOpen();
      return this.stopShadowNow(actor);
    });
  }

  private async stopShadowNow(actor: string): Promise<ShadowReport> {
    const shadow = this.shadow;
    this.shadow = undefined;
    if (!shadow) return this.shadowReport();
    await Promise.all(shadow.pending);
    const report = { ...shadow.report, examples: [...shadow.report.examples] };
    const reason = `${report.requests} requests compared, ${report.mismatches} mismatches, largest relative difference ${report.maxRelativeDifference}`;
    // Between changes of the serving version, as a start is logged (startShadow).
    await this.changing
      .run(async () => {
        // Read from the entries, not `entry()`: close() stops a shadow too, once the registry refuses calls.
        const active = this.activeVersion === undefined ? undefined : this.entries.get(this.activeVersion);
        await this.log.append({ event: 'shadow-stop', actor, from: report.candidate, to: active ? versionRef(active.ref) : null, reason });
      })
      .catch((error: unknown) => {
        // Nothing else started one meanwhile (shadow changes wait for each other): this one goes on.
        if (!this.closed) this.shadow = shadow;
        throw error;
      });
    return report;
  }

  /** What shadow mode has seen so far (comparisons still running are not counted yet). */
  shadowReport(): ShadowReport {
    return this.shadow ? { ...this.shadow.report, examples: [...this.shadow.report.examples] } : { candidate: null, requests: 0, mismatches: 0, maxRelativeDifference: 0, examples: [] };
  }

  /** Runs one request on the serving version (and, in shadow mode, on the candidate too). */
  async run(request: RiskRequest | ValidRiskRequest, runOptions: RunOptions = {}): Promise<RiskResult> {
    // null is none, as RiskEngine takes it from a JavaScript caller.
    const options = runOptions ?? {};
    // Read once: a swap after this line does not move this request.
    const engine = this.entry(this.activeVersionOrThrow()).engine;
    // Validated once, for the serving version and the shadow alike.
    const valid = validateOnce<RiskRequest, ValidRiskRequest>(request, validateRiskRequest);
    const result = await engine.run(valid, options);
    this.shadowCompare(engine, valid, options, result);
    return result;
  }

  /** Runs one request on `version`, serving or not, and never in shadow mode: to compare a version with
   *  another on the same request (the service's probation). */
  async runOn(version: string, request: RiskRequest | ValidRiskRequest, runOptions: RunOptions = {}): Promise<RiskResult> {
    return this.entry(version).engine.run(request, runOptions ?? {});
  }

  /** Runs many requests on the serving version (RiskEngine.runBatch), answered in order; in shadow mode
   *  each answered one is compared on the candidate too. */
  async runBatch(requests: readonly (RiskRequest | ValidRiskRequest)[], callOptions: CallOptions = {}): Promise<BatchOutcome[]> {
    const options = callOptions ?? {};
    const engine = this.entry(this.activeVersionOrThrow()).engine;
    const outcomes = await engine.runBatch(requests, options);
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) this.shadowCompare(engine, requests[i]!, options, outcome.result);
    });
    return outcomes;
  }

  /** In shadow mode, runs `request` on the candidate too and records the difference (not awaited). */
  private shadowCompare(served: RiskEngine, request: RiskRequest | ValidRiskRequest, options: CallOptions, result: RiskResult): void {
    const shadow = this.shadow;
    if (!shadow || shadow.entry.engine === served) return;
    const valid = validateOnce<RiskRequest, ValidRiskRequest>(request, validateRiskRequest);
    // Not under the caller's signal: the caller has its answer, and a controller it aborts once done (the usual
    // clean-up) cancelled every comparison, each counted as a mismatch. The deadline still bounds it.
    const comparison = this.compareInShadow(shadow, valid, { timeoutMs: options.timeoutMs }, result);
    shadow.pending.add(comparison);
    void comparison.finally(() => shadow.pending.delete(comparison));
  }

  monteCarlo(portfolio: PortfolioSpec, options: MonteCarloCallOptions = {}): Promise<RiskResult> {
    const { signal, timeoutMs, onProgress, chunkPaths, ...request } = options ?? {};
    return this.run({ method: 'monte-carlo', portfolio, ...request }, { signal, timeoutMs, onProgress, chunkPaths });
  }

  historical(portfolio: PortfolioSpec, options: ClosedFormOptions & CallOptions = {}): Promise<RiskResult> {
    const { signal, timeoutMs, ...request } = options ?? {};
    return this.run({ method: 'historical', portfolio, ...request }, { signal, timeoutMs });
  }

  parametric(portfolio: PortfolioSpec, options: ClosedFormOptions & CallOptions = {}): Promise<RiskResult> {
    const { signal, timeoutMs, ...request } = options ?? {};
    return this.run({ method: 'parametric', portfolio, ...request }, { signal, timeoutMs });
  }

  /** Closes every version's engine (their calls still running fail with CancelledError) once a
   *  registration under way has finished, and logs a shadow still on as stopped; nothing of the registry
   *  runs after it, and nothing more can be asked of it. */
  async close(): Promise<void> {
    this.closed = true;
    // Closed at once, so their running calls end now; then those a registration added as it finished.
    const closing = [...this.entries.values()].map(({ engine }) => engine.close());
    await this.registering.run(async () => undefined);
    await Promise.all([...closing, ...[...this.entries.values()].map(({ engine }) => engine.close())]);
    // A shadow still on is logged stopped, with what it saw, so the log never shows one running that is not.
    await this.shadowChanging.run(() => this.stopShadowNow(this.actor)).catch((error: unknown) => {
      debug('cannot record the end of shadow mode at close: %s', messageOf(error));
    });
    this.entries.clear();
    this.activeVersion = undefined;
  }

  /** `await using registry = new ComponentRegistry(...)` closes every version's engine when the block is left. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs the request on the shadow candidate (without the caller's signal or progress callback) and
   *  records how its answer differs from the served one. */
  private async compareInShadow(shadow: NonNullable<ComponentRegistry['shadow']>, request: ValidRiskRequest, options: CallOptions, served: RiskResult): Promise<void> {
    const report = shadow.report;
    report.requests++;
    let difference: string | undefined;
    try {
      const candidate = await shadow.entry.engine.run(request, options);
      for (const [i, level] of served.levels.entries()) {
        const other = candidate.levels[i]!;
        for (const key of ['var', 'es'] as const) {
          const relative = Math.abs(other[key] - level[key]) / Math.max(1, Math.abs(level[key]));
          report.maxRelativeDifference = Math.max(report.maxRelativeDifference, relative);
          if (relative > SHADOW_TOLERANCE) difference ??= `${request.method} @${level.confidence}: ${key} ${level[key]} served, ${other[key]} from the candidate`;
        }
      }
    } catch (error) {
      // Cut short by close(): not compared, not a difference.
      if (this.closed && error instanceof CancelledError) {
        report.requests--;
        return;
      }
      difference = `${request.method}: candidate failed with ${error instanceof WasmRiskError ? error.code : String(error)}`;
    }
    if (difference) {
      report.mismatches++;
      if (report.examples.length < SHADOW_EXAMPLES) report.examples.push(difference);
    }
  }

  /**
   * Switches the serving version once the audit log has recorded the switch, so no request is served by a
   * version the log does not show serving. `decide` runs when the changes before it are done, and returns
   * nothing when there is nothing to change; the change made is returned, as it was, not as read before
   * the changes queued ahead of it.
   */
  private changeServing(actor: string, decide: () => { version: string; event: 'swap' | 'rollback' } | undefined): Promise<ServingChange | undefined> {
    return this.changing.run(async (): Promise<ServingChange | undefined> => {
      const next = decide();
      if (!next) return undefined;
      const from = this.activeVersion;
      await this.log.append({ event: next.event, actor, from: from === undefined ? null : versionRef(this.entry(from).ref), to: versionRef(this.entry(next.version).ref) });
      if (next.event === 'rollback') this.previous.pop();
      else if (from !== undefined) this.previous.push(from);
      this.activeVersion = next.version;
      return { from, to: next.version };
    });
  }

  private entry(version: string): Entry {
    this.assertOpen();
    const entry = this.entries.get(version);
    if (!entry) throw new UnknownVersionError(`version ${version} is not registered (registered: ${[...this.entries.keys()].join(', ') || 'none'})`);
    return entry;
  }

  private activeVersionOrThrow(): string {
    this.assertOpen();
    if (this.activeVersion === undefined) throw new UnknownVersionError('no version is registered yet');
    return this.activeVersion;
  }

  private assertOpen(): void {
    if (this.closed) throw new CancelledError('the registry was closed');
  }

  private get actor(): string {
    return this.namedActor ?? defaultActor();
  }

  /** The call's actor (checked before anything is done for the call), else the registry's own. */
  private actorOf({ actor }: ActingOptions): string {
    return actor === undefined ? this.actor : parseOrThrow(actorSchema, actor, 'actor');
  }
}

/** Logs a candidate `registry` did not get to refuse (`refuse`, with why): the admin API's path checks. Never throws. */
export function recordRefusal(registry: ComponentRegistry, path: string, error: unknown, actor: string): Promise<void> {
  return logRefusalOf(registry, path, error, actor);
}

/**
 * Why a candidate was refused, naming it once: the gates' messages mostly start with the path already (they are
 * the CLI's too), the admin API's path checks never do (their client sent it). A path the admin API was sent
 * is quoted bounded (report/echoed-input.ts): up to 4 KiB of it, repeated, made every refused request a line
 * of kilobytes. A bad `path` field is the candidate named at the head: its problem is enough.
 */
function refusalReason(path: string, error: unknown): string {
  const message = messageOf(error);
  if (message.startsWith(`${path} `)) return message;
  return `${echoed(path)}: ${error instanceof InvalidInputError && error.field === 'path' ? error.problem : message}`;
}

function isAuditLogError(error: unknown): boolean {
  return error instanceof AuditLogTamperedError || error instanceof AuditLogUnavailableError || error instanceof AuditKeyError;
}

function versionRef({ version, sha256, path }: VersionRef): VersionRef {
  return { version, sha256, path };
}
