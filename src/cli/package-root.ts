// The package's root folder, where package.json and data/ live: two folders above this file in
// the sources (src/cli/*.ts, run through tsx), one above the built CLI, whose files all sit in
// dist/ (dist/cli.js and its chunks, `vite build --mode node`).
export const PACKAGE_ROOT = new URL(import.meta.url.endsWith('.ts') ? '../../' : '../', import.meta.url);
