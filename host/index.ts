// The library's public API: what `import ... from 'wasm-risk'` gives.
export { RiskEngine } from './risk-engine.js';
export type { CallOptions, ComponentIdentity, MonteCarloCallOptions, RiskMethod, RiskResult } from './risk-engine.js';
export type { EngineOptions } from './engine-options.js';
export type { PortfolioSpec } from './portfolio.js';
export type { ClosedFormOptions, MonteCarloOptions } from './risk-request.js';
export { ComponentRegistry } from './component-registry.js';
export type { RegisteredVersion, RegistryOptions, ShadowReport } from './component-registry.js';
export { SwapAuditLog, defaultAuditKeyPath, verifySwapAuditLog } from './swap-audit-log.js';
export type { SwapAuditLogOptions, SwapAuditLogVerification, SwapEvent, SwapEventKind, VersionRef } from './swap-audit-log.js';
export { checkCompatibility } from './contract-compatibility.js';
export { loadGoldenVectors, verifyGoldenVectors } from './golden-vectors.js';
export { auditComponent } from './audit/admission.js';
export type { AdmissionOptions, AuditReport } from './audit/admission.js';
export * from './errors.js';
