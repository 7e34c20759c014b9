// Runs the TypeScript sources in Node: tsx for TypeScript, raw-loader.js for `?raw` imports.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./raw-loader.js', import.meta.url);
