// Node bootstrap for selectModel's worker threads when the library runs from its TypeScript
// sources (tests, benchmarks, the CLI in a clone): the worker runs select-thread.ts through tsx,
// a devDependency. Built code uses dist/select-worker.js instead (see select-pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./select-thread.ts');
