#!/usr/bin/env node
// Runs a TypeScript program from the sources: `node bin/run-ts.js bench/run.ts [args]`.
import './register.js';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

process.env.EGL_PLATFORM ??= 'surfaceless';
process.env.XDG_RUNTIME_DIR ??= '/tmp';

const [script, ...rest] = process.argv.slice(2);
if (!script) {
  console.error('usage: node bin/run-ts.js FILE.ts [args]');
  process.exit(2);
}
process.argv = [process.argv[0], resolve(script), ...rest];
await import(pathToFileURL(resolve(script)).href);
