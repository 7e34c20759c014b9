// Preloaded into a benchmarked command (node --import ./bench/maxrss.mjs …): on exit, writes the
// process's peak resident set size (kB, worker threads included) to $EMGPU_MAXRSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.EMGPU_MAXRSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
