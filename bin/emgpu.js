#!/usr/bin/env node
// The `emgpu` command. Runs from the TypeScript sources, so `npx emgpu` works right after
// `npm ci` with no build step.
import './register.js';

// Dawn (the optional `webgpu` package) reads these when it creates a device.
process.env.EGL_PLATFORM ??= 'surfaceless';
process.env.XDG_RUNTIME_DIR ??= '/tmp';

const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// After Ctrl-C, leave now: abandoned work (a stdin that never closes, a GPU call) must not
// keep the process alive.
if (code === 130) process.exit(code);
process.exitCode = code;
