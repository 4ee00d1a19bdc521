// A worker thread of `hip-engine sweep`: runs the runs it is sent, one at a time, and posts each
// output line back (or the error, which fails the sweep).
import { parentPort } from 'node:worker_threads';
import { runSweepLine, type SweepRun } from '../../testing/sweep.js';

parentPort?.on('message', (run: SweepRun) => {
  try {
    parentPort!.postMessage({ index: run.index, line: runSweepLine(run) });
  } catch (e) {
    parentPort!.postMessage({ index: run.index, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
