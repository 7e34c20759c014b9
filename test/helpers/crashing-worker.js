// A CPU engine worker that dies (process.exit(3), as a crash would) as its second job arrives
// when the file named by EMGPU_CRASH_MARKER exists; the first worker to see the file removes it,
// so one crash happens per marker. Used by test/estimator/reliability.test.ts.
import { existsSync, unlinkSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
let runs = 0;
const marker = process.env.EMGPU_CRASH_MARKER;
function maybeCrash(message) {
  if (message.type !== 'run' || ++runs !== 2 || !marker || !existsSync(marker)) return;
  try {
    unlinkSync(marker);
  } catch {
    return;
  }
  process.exit(3);
}
// The engine's worker attaches the one message listener; wrap it so the crash comes first.
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, listener) =>
  on(event, event === 'message' ? (message) => (maybeCrash(message), listener(message)) : listener);
await import('../../src/cpu/worker.ts');
