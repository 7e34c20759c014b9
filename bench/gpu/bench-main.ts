// Entry of the pre-built device bundle (.device/bench.mjs, see prepare-device.sh).
import { main } from './bench.ts';

await main();
process.exit(0);
