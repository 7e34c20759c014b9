// Node bootstrap for the CPU engine's worker threads when the library runs from its TypeScript
// sources (tests, benchmarks, the CLI in a clone): the worker runs worker.ts through tsx, a
// devDependency. Built code uses dist/node-worker.js instead (see pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
