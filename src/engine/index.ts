// The engine's public surface (re-exported from the package root).
export { HipEngine } from './hip-engine.js';
export type { AssociationInfo, ConnectPeer, EngineOptions, EngineStats } from './engine.js';
export type { RegistrationInfo } from './registration.js';
export { REG_TYPES, REG_TYPE_RENDEZVOUS, REG_TYPE_RELAY_UDP_HIP, REG_TYPE_RELAY_UDP_ESP, REG_FAILURE, lifetimeSeconds, encodeLifetime, type RegTypeInfo } from './reg-types.js';
export type { Input, Output, HipEvent, FailReason, PathErrorCause, Role } from './io.js';
export { DEFAULT_CONFIG, resolveConfig, type HipConfig } from './config.js';
export { DEFAULT_POLICY, type EnginePolicy, type AnnounceContext, type Announced, type PuzzleLoad, type R1Budget, type RegistrationRequest, type RegistrationVerdict } from './policy.js';
export { HipStateError, HipInternalError, type DropReason, type HipStateErrorCode } from './errors.js';
export type { StateName } from './states.js';
export { TRANSITIONS, stateDiagramMermaid, type Trigger } from './transitions.js';
export type { EngineTraceRecord, EngineTraceSink, TraceLocatorEntry, TraceParam } from './trace.js';
