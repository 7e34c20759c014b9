// The built command line (dist/cli.js, what an installed package runs), for benchmarks that
// measure a process: `node bench/dist-cli.mjs ARGS` is `emgpu ARGS` without tsx compiling the
// sources (which costs a clone's `emgpu` some 30 MiB of memory and its start-up time).
process.env.EGL_PLATFORM ??= 'surfaceless';
process.env.XDG_RUNTIME_DIR ??= '/tmp';
const { main } = await import('../dist/cli.js');
const code = await main(process.argv.slice(2));
if (code === 130) process.exit(code);
process.exitCode = code;
