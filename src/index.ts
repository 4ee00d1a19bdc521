// hip-engine: a sans-I/O HIPv2 engine (RFC 7401) with mobility (RFC 8046) and multihoming
// (RFC 8047). The root export is the engine and the types it speaks; the codec, crypto, ESP data
// plane, drivers and simulator are the subpaths ./wire, ./crypto, ./esp, ./driver, ./testing.
export * from './engine/index.js';
export type { AssocId, EspSuiteId, Hit, LocalLocator, Locator, LocatorState, Millis, PeerLocator, RandomSource, SaDirection, SaSpec, TrafficType } from './types.js';
export { ESP_SUITE } from './types.js';
export { asLocator, formatHit, formatLocator, isHit, locatorFromBytes, parseHit, parseLocator } from './addr/index.js';
export { generateHostIdentity, importHostIdentity, type HostIdentity } from './crypto/host-id.js';
export { nobleCrypto } from './crypto/noble.js';
