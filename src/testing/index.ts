// hip-engine/testing: the deterministic simulation substrate (DESIGN C3.10). Browser-safe, no
// I/O, deterministic from seeds. The N-host `Sim` builds on these pieces.
export { Prng, deriveSeed, seedBytes, seedKey, seededRandom, type Seed } from './rng.js';
export { EventHeap, type HeapEntry } from './heap.js';
export { VirtualClock } from './clock.js';
export {
  DROP_CAUSES,
  Link,
  duplexLink,
  fragmentCount,
  havoc,
  type CorruptKind,
  type Delivery,
  type DropCause,
  type GilbertElliott,
  type IpFamily,
  type LinkCounters,
  type LinkOptions,
  type LinkOutcome,
  type LinkPacket,
  type LossModel,
} from './netem.js';
export {
  IPV4_HEADER_BYTES,
  IPV6_HEADER_BYTES,
  buildIpPacket,
  ipv4HeaderChecksum,
  nthLocator,
  onesComplementSum,
  parseIpPacket,
  type IpPacketSpec,
  type IpParseError,
  type IpParseResult,
  type ParsedIpPacket,
} from './ip.js';
export {
  LINKTYPE,
  PCAP_GLOBAL_HEADER_BYTES,
  PCAP_MAGIC,
  PCAP_MAGIC_NANO,
  PCAP_RECORD_HEADER_BYTES,
  PcapWriter,
  readPcap,
  type PcapError,
  type PcapErrorCode,
  type PcapFile,
  type PcapReadResult,
  type PcapRecord,
  type PcapWriterOptions,
} from './pcap.js';
export {
  TRACE_ARROWS,
  TraceFormatter,
  TraceLog,
  formatTrace,
  traceHit,
  traceLoc,
  type TraceDir,
  type TraceFormatOptions,
  type TraceHit,
  type TraceLocator,
  type TraceRecord,
  type TraceValue,
} from './trace.js';
export { rvsHost, registerRendezvous, connectVia, type RvsHostOptions } from './rvs-host.js';
export { FAST_CRYPTO_NAME, fastCrypto, fastIdentity, type FastCryptoOptions } from './fast-crypto.js';
export {
  RESPONDER_STEPS,
  establishDirect,
  exchangeDirect,
  responderLifecycle,
  type DirectExchange,
  type DirectExchangeOptions,
  type ResponderStep,
} from './exchange.js';
export {
  Sim,
  SimError,
  SimHost,
  paramFields,
  type DuplexLink,
  type PathCount,
  type ReceivedPayload,
  type RunBounds,
  type RunResult,
  type SaProblem,
  type SendOptions,
  type SimCryptoChoice,
  type SimEvent,
  type SimHostOptions,
  type SimLocalLocator,
  type SimLocatorInput,
  type SimOptions,
  type TraceTextOptions,
} from './sim.js';
export {
  delay,
  dropFirst,
  dropNth,
  duplicate,
  fixHipChecksum,
  flipBit,
  matchesPacket,
  on,
  tamperParam,
  type InterceptAction,
  type InterceptContext,
  type InterceptVerdict,
  type Interceptor,
  type OnOptions,
  type PacketMatch,
  type SimPacketKind,
} from './intercept.js';
export { plotSvg, simPlotData, simPlotSvg, type PlotMark, type PlotMarkKind, type PlotOptions, type PlotSeries } from './plot.js';
