// Part of `npm test`: the browser tests need Chromium. Use CHROME_PATH or /usr/bin/chromium;
// when neither exists, install Debian's chromium with apt-get if running as root, and
// otherwise stop with a message that says how to install it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const candidate = process.env.CHROME_PATH || '/usr/bin/chromium';
if (existsSync(candidate)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(
    `The browser tests need Chromium, and none was found at ${candidate}. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) or set CHROME_PATH to a Chromium or Chrome binary, then run npm test again.`,
  );
  process.exit(1);
}
console.error(`Chromium not found at ${candidate}; installing Debian's chromium with apt-get (running as root)...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', 'chromium', 'libegl1', 'libegl-mesa0', 'libgl1-mesa-dri'],
]) {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(
      `apt-get ${args.join(' ')} failed (exit ${result.status}); install chromium by hand or set CHROME_PATH.`,
    );
    process.exit(1);
  }
}
if (!existsSync('/usr/bin/chromium')) {
  console.error('apt-get finished but /usr/bin/chromium is still missing; set CHROME_PATH to a Chromium binary.');
  process.exit(1);
}
