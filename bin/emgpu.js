#!/usr/bin/env node
// The `emgpu` command. An installed package runs the built CLI (dist/cli.js, plain JavaScript).
// A clone of the repository, which has src/, runs the TypeScript sources through tsx (a
// devDependency), so `npx emgpu` there works right after `npm ci`, with no build step and never
// from a stale dist/.
import { existsSync } from 'node:fs';

// Dawn (the optional `webgpu` package) reads these when it creates a device.
process.env.EGL_PLATFORM ??= 'surfaceless';
process.env.XDG_RUNTIME_DIR ??= '/tmp';

const sources = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(sources)) {
  try {
    await import('./register.js');
  } catch (error) {
    console.error(`emgpu: running from the sources needs the devDependency tsx (${error.message}); run npm ci.`);
    process.exit(70);
  }
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli.js'));
}
const code = await main(process.argv.slice(2));
// After Ctrl-C (130), SIGTERM (143) or SIGHUP (129), leave now: abandoned work (a stdin that
// never closes, a GPU call) must not keep the process alive.
if (code === 130 || code === 143 || code === 129) process.exit(code);
process.exitCode = code;
