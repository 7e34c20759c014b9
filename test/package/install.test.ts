// The package as a user gets it: `npm pack` (prepack builds dist/), installed from the tarball
// into an empty project from the npm cache, with no TypeScript runner anywhere. There:
// `npx emgpu fit --demo`, a Node script importing 'emgpu' (and 'emgpu/io') that fits on the CPU
// engine's worker threads, a strict TypeScript check against the shipped types, and a Vite build
// of a page importing 'emgpu', which then fits on Web Workers in Chromium. Offline installs need
// every dependency in the npm cache (CI runs `npm ci` first); where one is missing the tests
// skip, and under CI=true they fail.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, missingChromium } from '../helpers/chromium.ts';
import { inCI } from '../helpers/gpu.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Children get the environment of a shell, not npm's or vitest's (npm_config_* from `npm test`
// would configure the inner npm; NODE_ENV=test would change Vite's build).
const ENV = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm_|VITEST|NODE_ENV$|TEST$)/.test(key)),
);

function run(command: string, args: string[], cwd: string, timeoutSeconds = 300): Ran {
  const result = spawnSync(command, args, { cwd, env: ENV, encoding: 'utf8', timeout: timeoutSeconds * 1000 });
  if (result.error) throw new Error(`${command} ${args.join(' ')} could not run: ${result.error.message}`);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function ok(ran: Ran, what: string): Ran {
  if (ran.code !== 0) throw new Error(`${what} exited ${ran.code}:\n${ran.stderr}${ran.stdout}`);
  return ran;
}

/** Linux: a GPU device node, with which Dawn may be asked for an adapter (and may print). */
function gpuDeviceHere(): boolean {
  const list = (folder: string): string[] => (existsSync(folder) ? readdirSync(folder) : []);
  return (
    list('/dev/dri').some((f) => f.startsWith('renderD')) ||
    list('/dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg')
  );
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  peer?: boolean;
  [field: string]: unknown;
}

/**
 * A lockfile for a project that depends on the tarball only: emgpu's dependencies at the
 * versions (and places) of the repository's package-lock.json, the tested ones. With it, npm
 * needs only the packages' tarballs, which `npm ci` leaves in the cache, and no registry
 * metadata (which `npm install --offline` of a bare tarball would ask for).
 */
function appLock(dependency: string, tarballPath: string): object {
  const repo = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as LockEntry & {
    bin: Record<string, string>;
    engines: Record<string, string>;
    license: string;
  };
  const entries = new Map<string, LockEntry>();
  const required = new Set<string>();
  /** Node's resolution: node_modules/NAME in this package's folder, then in each folder above. */
  const locate = (from: string, name: string): string | null => {
    for (let base = from; ; base = base.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '')) {
      const path = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (repo.packages[path] !== undefined) return path;
      if (base === '') return null;
    }
  };
  const visit = (from: string, deps: Record<string, string>, optional: boolean): void => {
    for (const name of Object.keys(deps)) {
      const path = locate(from, name);
      if (path === null) {
        if (optional) continue;
        throw new Error(`package-lock.json has no ${name}, needed by ${from || 'emgpu'}; run npm install`);
      }
      const seen = entries.has(path);
      const wasRequired = required.has(path);
      if (!optional) required.add(path);
      if (seen && (wasRequired || optional)) continue;
      const entry: LockEntry = { ...(repo.packages[path] as LockEntry) };
      for (const flag of ['dev', 'optional', 'devOptional', 'peer']) delete entry[flag];
      entries.set(path, entry);
      visit(path, entry.dependencies ?? {}, optional);
      visit(path, entry.optionalDependencies ?? {}, true);
    }
  };
  visit('', manifest.dependencies ?? {}, false);
  visit('', manifest.optionalDependencies ?? {}, true);
  const integrity = `sha512-${createHash('sha512').update(readFileSync(tarballPath)).digest('base64')}`;
  const packages: Record<string, LockEntry> = {
    '': { name: 'emgpu-install-check', dependencies: { emgpu: dependency } },
    'node_modules/emgpu': {
      version: VERSION,
      resolved: dependency,
      integrity,
      license: manifest.license,
      dependencies: manifest.dependencies ?? {},
      optionalDependencies: manifest.optionalDependencies ?? {},
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of [...entries].sort(([a], [b]) => a.localeCompare(b)))
    packages[path] = required.has(path) ? entry : { ...entry, optional: true };
  return { name: 'emgpu-install-check', lockfileVersion: 3, requires: true, packages };
}

let work = '';
let tarball = '';
let app = '';
/** Why the offline install was impossible here (the tests then skip), or null. */
let cannotInstall: string | null = null;
let installWarnings: string[] = [];
const timings: string[] = [];
/** The Vite-built page's dist/ folder, once built. */
let built = '';

function timed<T>(label: string, job: () => T): T {
  const start = performance.now();
  const value = job();
  timings.push(`${label} ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return value;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'emgpu-package-'));
  timed('npm pack (with the prepack build)', () =>
    ok(run('npm', ['pack', '--pack-destination', work], ROOT, 600), 'npm pack'),
  );
  const packed = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  if (packed.length !== 1) throw new Error(`npm pack left ${packed.length} tarballs in ${work}: ${packed.join(', ')}`);
  tarball = join(work, packed[0] as string);

  app = join(work, 'app');
  mkdirSync(app);
  const dependency = `file:../${packed[0] as string}`;
  // allowScripts as the README advises: webgpu's postinstall (macOS only) may run.
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'emgpu-install-check',
        private: true,
        type: 'module',
        dependencies: { emgpu: dependency },
        allowScripts: { webgpu: true },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock(dependency, tarball), null, 2));
  const install = timed('npm ci --offline', () => run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app, 600));
  if (install.code !== 0) {
    const missing = /ENOTCACHED|only-if-cached/.test(install.stderr);
    if (!missing || inCI()) throw new Error(`npm ci of the tarball failed (exit ${install.code}):\n${install.stderr}`);
    cannotInstall = `a dependency is not in the npm cache, so it cannot be installed offline (run npm ci first): ${install.stderr.split('\n').find((l) => /ENOTCACHED|only-if-cached/.test(l)) ?? ''}`;
  } else {
    installWarnings = install.stderr.split('\n').filter((line) => /npm warn/i.test(line));
  }
}, 1_200_000);

afterAll(() => {
  console.log(`package test: ${timings.join(', ')}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

interface SkipContext {
  skip(note?: string): never;
}
const installed = (ctx: SkipContext): string => (cannotInstall === null ? app : ctx.skip(cannotInstall));

describe('npm pack', () => {
  it('holds the built code, its types, the bin and the demo data, and no TypeScript sources', () => {
    const listing = ok(run('tar', ['tzf', tarball], work), 'tar tzf')
      .stdout.trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const file of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/emgpu.js',
      'dist/emgpu.js',
      'dist/io.js',
      'dist/cli.js',
      'dist/node-worker.js',
      'dist/select-worker.js',
      'dist/types/index.d.ts',
      'dist/types/io/index.d.ts',
      'data/iris.csv',
      'data/iris-species.csv',
    ]) {
      expect(listing, file).toContain(file);
    }
    expect(
      listing.filter(
        (f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('shaders/'),
      ),
    ).toEqual([]);
    expect(listing.filter((f) => f.startsWith('bin/'))).toEqual(['bin/emgpu.js']);
    // Every file the README links to (docs/*.md, their images, BENCHMARKS.md, data/README.md)
    // ships, so the README read from node_modules or npm's page has no dead relative links.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const linked = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z]+:/.test(target));
    expect(linked.length).toBeGreaterThan(5);
    for (const target of linked) expect(listing, `README links to ${target}`).toContain(target);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
    console.log(
      `${tarball.split('/').pop()}: ${listing.length} files, ${(statSync(tarball).size / 1024).toFixed(0)} KiB packed`,
    );
  });
});

describe('installed from the tarball into an empty project', () => {
  it('has no TypeScript runner', (ctx) => {
    const dir = installed(ctx);
    expect(existsSync(join(dir, 'node_modules', 'emgpu', 'package.json'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules', 'typescript'))).toBe(false);
  });

  it('installs without warnings', (ctx) => {
    installed(ctx);
    expect(installWarnings).toEqual([]);
  });

  it('npx emgpu fit --demo prints the summary (and nothing on stderr) and writes the model JSON', (ctx) => {
    const dir = installed(ctx);
    const fit = timed('npx emgpu fit --demo', () =>
      run('npx', ['--offline', 'emgpu', 'fit', '--demo', '--output', 'model.json'], dir, 120),
    );
    expect(fit.code, fit.stderr).toBe(0);
    // Where a GPU device exists, Dawn is asked for an adapter and may print on its own.
    if (!gpuDeviceHere()) expect(fit.stderr).toBe('');
    expect(fit.stdout).toMatch(/^emgpu demo: Gaussian mixture fitted by EM to Fisher's iris data/);
    expect(fit.stdout).toMatch(/150 rows, 4 features, 3 components/);
    const model = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
      nComponents: number;
      nFeatures: number;
      weights: number[];
      converged: boolean;
    };
    expect({ nComponents: model.nComponents, nFeatures: model.nFeatures, converged: model.converged }).toEqual({
      nComponents: 3,
      nFeatures: 4,
      converged: true,
    });
    expect(model.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(run('npx', ['--offline', 'emgpu', '--version'], dir, 60).stdout.trim()).toBe(VERSION);
  });

  it("a Node script imports 'emgpu' and fits on the CPU engine's worker threads; 'emgpu/io' reads a CSV", (ctx) => {
    const dir = installed(ctx);
    // More rows than two of the CPU engine's 4096-row blocks, so the work goes to the threads.
    writeFileSync(
      join(dir, 'fit.mjs'),
      `import { GaussianMixture, releaseBackends } from 'emgpu';
import { readTable } from 'emgpu/io';
const n = 20000, X = new Float64Array(n * 2);
let s = 7; const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
for (let i = 0; i < n; i++) { const c = i % 2; X[2 * i] = c * 8 + rand(); X[2 * i + 1] = rand(); }
const gm = new GaussianMixture({ nComponents: 2, randomState: 0, backend: 'cpu', cpuThreads: 2 });
await gm.fit({ data: X, rows: n, cols: 2 });
const table = await readTable(new TextEncoder().encode('a,b\\n1,2\\n3,4\\n'));
console.log(JSON.stringify({ backend: gm.backend, converged: gm.converged, means: Array.from(gm.means), table: Array.from(table.data) }));
await releaseBackends();
`,
    );
    const script = timed('node fit.mjs', () => run(process.execPath, ['fit.mjs'], dir, 120));
    expect(script.code, script.stderr).toBe(0);
    expect(script.stderr).toBe('');
    const out = JSON.parse(script.stdout) as { backend: string; converged: boolean; means: number[]; table: number[] };
    const threads = Math.min(2, availableParallelism());
    expect(out.backend).toBe(`cpu (${threads} thread${threads === 1 ? '' : 's'})`);
    expect(out.converged).toBe(true);
    const xs = [out.means[0] as number, out.means[2] as number].sort((a, b) => a - b);
    expect(xs[0]).toBeCloseTo(0.5, 1);
    expect(xs[1]).toBeCloseTo(8.5, 1);
    expect(out.table).toEqual([1, 2, 3, 4]);
  });

  it('a strict TypeScript consumer type-checks against the shipped types', (ctx) => {
    const dir = installed(ctx);
    const check = join(dir, 'types-check');
    mkdirSync(check, { recursive: true });
    writeFileSync(
      join(check, 'consumer.ts'),
      `import { GaussianMixture, selectModel, type GaussianMixtureOptions, type Matrix } from 'emgpu';
import { readTable } from 'emgpu/io';
const options: GaussianMixtureOptions = { nComponents: 2, covarianceType: 'diag', backend: 'cpu' };
const X: Matrix = { data: new Float64Array(8), rows: 4, cols: 2 };
export async function run(bytes: Uint8Array): Promise<number> {
  const gm = new GaussianMixture(options);
  await gm.fit(X);
  const table = await readTable(bytes, { columns: ['a'] });
  const best = await selectModel(table, { nComponents: [1, 2] });
  const labels: Int32Array = await gm.predict(X);
  return labels.length + best.table.length + gm.means.length;
}
`,
    );
    writeFileSync(
      join(check, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    // The repository's TypeScript: the project has none, as a user's might not.
    const tsc = timed('tsc', () =>
      run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', check], dir, 120),
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
  });

  it("Vite builds a page that imports 'emgpu'", (ctx) => {
    const dir = installed(ctx);
    const page = join(dir, 'page');
    mkdirSync(page, { recursive: true });
    writeFileSync(
      join(page, 'index.html'),
      '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>\n',
    );
    writeFileSync(
      join(page, 'main.js'),
      `import { GaussianMixture } from 'emgpu';
window.fit = async () => {
  const n = 20000, X = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) { const c = i % 2; X[2 * i] = c * 8 + (i % 97) / 97; X[2 * i + 1] = (i % 89) / 89; }
  const gm = new GaussianMixture({ nComponents: 2, randomState: 0, backend: 'cpu', cpuThreads: 2 });
  await gm.fit({ data: X, rows: n, cols: 2 });
  return { backend: gm.backend, means: Array.from(gm.means) };
};
window.ready = true;
`,
    );
    // The repository's Vite, run from the project as its own would be.
    const vite = timed('vite build', () =>
      run(
        process.execPath,
        [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'],
        page,
        300,
      ),
    );
    expect(vite.code, vite.stderr + vite.stdout).toBe(0);
    expect(vite.stderr).toBe('');
    const assets = readdirSync(join(page, 'dist', 'assets'));
    const code = assets
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(page, 'dist', 'assets', f), 'utf8'))
      .join('\n');
    expect(code).toContain('GaussianMixture');
    // The CPU engine's Web Worker is emitted as a file of its own, and the WGSL is inlined.
    expect(
      assets.some((f) => /^worker-.*\.js$/.test(f)),
      assets.join(', '),
    ).toBe(true);
    expect(code).toMatch(/@compute/);
    built = join(page, 'dist');
  });

  it("the page Vite built fits on the CPU engine's Web Workers in Chromium", async (ctx) => {
    installed(ctx);
    const noChromium = missingChromium();
    if (noChromium !== null) {
      if (inCI()) throw new Error(`CI requires Chromium: ${noChromium}`);
      ctx.skip(noChromium);
    }
    if (built === '') throw new Error('the Vite build above did not finish');
    const root = built;
    // Cross-origin isolated, so SharedArrayBuffer (the CPU engine's threads) is available.
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] as string;
      const file = join(root, path === '/' ? 'index.html' : path);
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      if (!file.startsWith(root) || !existsSync(file)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('Content-Type', file.endsWith('.js') ? 'text/javascript' : 'text/html');
      res.end(readFileSync(file));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const address = server.address();
    const chromium = await launchChromium();
    try {
      const page = await chromium.browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      await page.goto(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`);
      await page.waitForFunction('window.ready === true', { timeout: 60_000 });
      const result = (await page.evaluate('window.fit()')) as { backend: string; means: number[] };
      expect(errors).toEqual([]);
      expect(result.backend).toBe('cpu (2 threads)');
      const xs = [result.means[0] as number, result.means[2] as number].sort((a, b) => a - b);
      expect(xs[0]).toBeCloseTo(0.5, 1);
      expect(xs[1]).toBeCloseTo(8.5, 1);
    } finally {
      await chromium.close();
      server.close();
    }
  });
});
