// Node bootstrap for the CPU engine's worker threads: the worker runs the TypeScript
// sources through tsx (a dependency), as the CLI does.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
