// A selectModel worker thread that fails on purpose, by EMGPU_SELECT_FAULT: 'exit' dies
// (process.exit(3), as a crash would) when its first job arrives; 'throw' throws as it starts.
// Used by test/estimator/select-threads.test.ts.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const fault = process.env.EMGPU_SELECT_FAULT;
if (fault === 'throw') throw new Error('this worker fails as it starts');
// The worker attaches the one message listener; wrap it so the crash comes first.
const on = parentPort.on.bind(parentPort);
parentPort.on = (event, listener) =>
  on(
    event,
    event === 'message'
      ? (message) => {
          if (fault === 'exit' && message.type === 'job') process.exit(3);
          listener(message);
        }
      : listener,
  );
await import('../../src/select-thread.ts');
