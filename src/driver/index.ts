// hip-engine/driver: the reference driver (docs/architecture.md, Drivers). It owns no I/O: the caller supplies a
// socket, a scheduler and optionally an ESP data plane and a locator sink. A Node UDP driver
// (RFC 9028 framing, node:dgram) is the separate subpath export `hip-engine/driver/node`.
//
//   const driver = createDriver(engine, { socket, scheduler, esp: dataPlane, onEvent });
//   socket receives → driver.onDatagram(bytes, src, dst, 'udp');
//   ESP received    → dataPlane.unprotect(...); driver.pullFeedback(dataPlane);
//   driver.connect({ hit, locators });
export type { DatagramSocket, DriverAdapters, EspDataPlaneAdapter, LocatorSink, Scheduler } from './adapters.js';
export {
  Driver,
  DriverDisposedError,
  createDriver,
  type DrivableEngine,
  type EspFeedbackInput,
  type FeedbackSource,
  type PeerSpec,
} from './driver.js';
