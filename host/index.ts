// The library's public API: what `import ... from 'wasm-risk'` gives.
export { RiskEngine } from './risk-engine.js';
export type { BatchOutcome, CallOptions, ComponentIdentity, MonteCarloCallOptions, RiskMethod, RiskRequest, RiskResult, RunOptions } from './risk-engine.js';
export type { EngineInfo } from './contract/types.js';
export type { WorkerRestartCause, WorkerRestartCounts } from './run/worker-restarts.js';
export type { EngineOptions } from './request/engine-options.js';
export type { ComponentSource } from './load/component-format.js';
export type { PortfolioSpec } from './request/portfolio.js';
export type { ClosedFormOptions, MonteCarloOptions, MonteCarloRiskRequest } from './request/risk-request.js';
export { ComponentRegistry } from './versions/registry.js';
export type { ActingOptions, RegisteredVersion, RegistryOptions, RollbackOptions, ServingChange, ShadowReport } from './versions/registry.js';
export { SwapAuditLog, defaultAuditKeyPath, verifySwapAuditLog } from './versions/swap-audit-log.js';
export type { SwapAuditLogOptions, SwapAuditLogVerification, SwapEvent, SwapEventKind, VersionRef } from './versions/swap-audit-log.js';
export { checkCompatibility } from './contract/compatibility.js';
export type { Compatibility } from './contract/compatibility.js';
export { loadGoldenVectors, verifyGoldenVectors } from './versions/golden-vectors.js';
export type { GoldenOutcome, GoldenVectors } from './versions/golden-vectors.js';
export { auditComponent } from './audit/admission.js';
export type { AdmissionOptions, AuditReport } from './audit/admission.js';
// Every error class, by name: the module's helpers (messageOf) are the host's own.
export {
  WasmRiskError, InvalidInputError, NotPositiveSemidefiniteError, RequestTooLargeError, ComponentLoadError,
  UnsupportedWasmFeatureError, ComponentContractError, ComponentTrapError, TimeoutError, OutOfMemoryError,
  QueueTimeoutError, CancelledError, PolicyDeniedError, ProvenanceError, SignatureError, IncompatibleComponentError,
  GoldenVectorsFailedError, UnknownVersionError, AuditLogTamperedError, AuditLogUnavailableError, AuditKeyError,
  MissingDependencyError, QueueFullError, RequestTimeoutError, ExpectationFailedError, ServiceUnavailableError,
  NotFoundError, UnauthorizedError, PathNotAllowedError, RedisUnavailableError, InsecureRedisError,
  UnknownComponentError, ChunkForgedError, ChunkStalledError,
} from './errors.js';
