// Seconds per EM iteration (E-step + statistics + readback; median of 5 after warm-up) for the
// WebGPU backend in Node and the single-threaded CPU engine. Run through run.ts (which loads
// this module with vite so the shaders' `?raw` imports resolve) or as the pre-built bundle
// in .device/ (device.sh). Flags: --sizes 100000,1000000 --dims 2,8 --ks 4,16 --cov full
// --cpu-max 4000000 (largest N the CPU engine is timed at) --no-cpu
// --shape auto|vector|tiled (comma-separated: one column per shape) --wg N --ppi N --tile N
// --tri 0|1 (pass A triangular solve, full/tied) --tri-kc N (components staged at once)
// --tri-wg N --tri-order rows|comps --b-cols 1|2 (pass B column blocks per invocation)
// --b-rows 1|2 (pass B row blocks; 2: 8x8) --b-comps N (pass B components per workgroup);
// --b-cols/--b-rows/--b-comps/--tile take comma lists: one column per shape × combination (data
// made once) --reps 5 --json FILE --stages (one compute pass per dispatch: GPU ms per stage,
// A = per-row values, B = statistics, reduce; adds per-pass overhead, so its totals run
// higher). Every flag is a field of src/gpu/tuning.ts. Where the adapter has
// 'timestamp-query', a kernel-ms column gives the GPU time of the statistics compute pass
// (median over the same reps), apart from submit / readback overhead.

import { toDataset } from '../../src/matrix.ts';
import { CpuBackend } from '../../src/cpu/engine.ts';
import { createWebGpuBackend, type KernelShape, type Tuning } from '../../src/gpu/index.ts';
import { COVARIANCE_MODELS } from '../../src/model/covariance.ts';
import type { CovarianceType } from '../../src/options.ts';
import { Random } from '../../src/random.ts';
import type { Backend, LoadedData, MixtureParams } from '../../src/backend.ts';
import { momentsFor } from '../../src/sufficient-stats.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.lastIndexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? (process.argv[i + 1] as string) : fallback;
}
const list = (s: string): number[] => s.split(',').filter(Boolean).map(Number);

function makeData(n: number, d: number, k: number, seed: number): Float32Array {
  const random = new Random(seed);
  const centres = Float64Array.from({ length: k * d }, () => (random.nextFloat() - 0.5) * 20);
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = (random.nextUint32() % k) * d;
    for (let a = 0; a < d; a++) out[i * d + a] = (centres[c + a] as number) + (random.nextFloat() - 0.5) * 3;
  }
  return out;
}

function makeParams(cov: CovarianceType, k: number, d: number, seed: number): MixtureParams {
  const random = new Random(seed);
  const weights = new Float64Array(k).fill(1 / k);
  const means = Float64Array.from({ length: k * d }, () => (random.nextFloat() - 0.5) * 20);
  const count = cov === 'full' ? k : cov === 'tied' ? 1 : 0;
  let covs: Float64Array;
  if (count > 0) {
    covs = new Float64Array(count * d * d);
    for (let c = 0; c < count; c++)
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) covs[c * d * d + a * d + b] = a === b ? 2 : 0.3;
  } else covs = new Float64Array(cov === 'diag' ? k * d : k).fill(2);
  return {
    covarianceType: cov,
    nComponents: k,
    nFeatures: d,
    weights,
    means,
    precisionsCholesky: COVARIANCE_MODELS[cov].precisionCholesky(covs, k, d),
  };
}

const median = (v: number[]): number => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

/** Median seconds per eStep, and the median GPU kernel ms (NaN without timestamp queries). */
async function timeIt(
  data: LoadedData,
  params: MixtureParams,
  reps: number,
  warm: number,
): Promise<{ s: number; kernelMs: number; stages: string }> {
  const mom = momentsFor(params.covarianceType);
  for (let i = 0; i < warm; i++) await data.eStep(params, mom);
  const times: number[] = [];
  const kernel: number[] = [];
  const stages = new Map<string, number[]>();
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await data.eStep(params, mom);
    times.push((performance.now() - t) / 1000);
    const lt = data.lastTimings;
    if (typeof lt?.kernelMs === 'number') kernel.push(lt.kernelMs);
    for (const [key, ms] of Object.entries(lt?.stages ?? {})) stages.set(key, [...(stages.get(key) ?? []), ms]);
  }
  const stageText = [...stages].map(([key, v]) => `${key} ${median(v).toFixed(3)}`).join(', ');
  return { s: median(times), kernelMs: median(kernel), stages: stageText };
}

export async function main(): Promise<void> {
  const sizes = list(arg('sizes', '100000,1000000,4000000'));
  const dims = list(arg('dims', '2,8'));
  const ks = list(arg('ks', '4,16'));
  const cov = arg('cov', 'full') as CovarianceType;
  const cpuMax = Number(arg('cpu-max', '4000000'));
  const noCpu = process.argv.includes('--no-cpu');
  const reps = Number(arg('reps', '5'));
  const shapeList = arg('shape', 'auto').split(',').filter(Boolean) as KernelShape[];
  const ppi = arg('ppi', '');
  const wg = arg('wg', '');
  const tiles = arg('tile', '').split(',').filter(Boolean);
  const tri = arg('tri', '');
  const triKc = arg('tri-kc', '');
  const triWg = arg('tri-wg', '');
  const triOrder = arg('tri-order', '');
  const bColsList = arg('b-cols', '').split(',').filter(Boolean);
  const bRowsList = arg('b-rows', '').split(',').filter(Boolean);
  const bCompsList = arg('b-comps', '').split(',').filter(Boolean);
  const timeStages = process.argv.includes('--stages');
  // One backend (device) per shape × pass-B setting (columns; the label names the setting).
  const opt = (xs: string[]): Array<string> => (xs.length > 0 ? xs : ['']);
  const variants: Array<{
    shape: KernelShape;
    label: string;
    tile: string;
    bCols: string;
    bRows: string;
    bComps: string;
  }> = [];
  for (const shape of shapeList)
    for (const tile of opt(tiles))
      for (const bCols of opt(bColsList))
        for (const bRows of opt(bRowsList))
          for (const bComps of opt(bCompsList)) {
            const tag = [tile && `t${tile}`, bCols && `c${bCols}`, bRows && `r${bRows}`, bComps && `k${bComps}`]
              .filter(Boolean)
              .join('');
            variants.push({ shape, label: tag ? `${shape}-${tag}` : shape, tile, bCols, bRows, bComps });
          }
  const shapes = variants.map((v) => v.label);
  const gpus: Array<Backend | null> = [];
  for (const { shape, tile, bCols, bRows, bComps } of variants) {
    const tuning: Partial<Tuning> = {
      ...(ppi ? { pointsPerInvocation: Number(ppi) } : {}),
      ...(wg ? { workgroupSize: Number(wg) } : {}),
      ...(tile ? { tileRows: Number(tile) } : {}),
      ...(tri ? { triSolve: tri !== '0' } : {}),
      ...(triKc ? { triComponents: Number(triKc) } : {}),
      ...(triWg ? { triWorkgroupSize: Number(triWg) } : {}),
      ...(triOrder ? { triRowsOuter: triOrder === 'rows' } : {}),
      ...(bCols ? { tiledColumnBlocks: Number(bCols) as 1 | 2 } : {}),
      ...(bRows ? { tiledRowBlocks: Number(bRows) as 1 | 2 } : {}),
      ...(bComps ? { tiledComponents: Number(bComps) } : {}),
    };
    const made = await createWebGpuBackend({ kernelShape: shape, tuning, ...(timeStages ? { timeStages: true } : {}) });
    if (made.ok) gpus.push(made.backend);
    else {
      console.log(`no WebGPU: ${made.reason}`);
      gpus.push(null);
    }
  }
  const cpu = await CpuBackend.create({ threads: 1 });
  console.log(
    `# E-step + stats + readback, seconds per iteration (median of ${reps}), covariance ${cov}; kernel ms = GPU compute-pass time (timestamp queries; '-' where the adapter has none)`,
  );
  console.log(`# gpu: ${gpus[0]?.description ?? 'none'}; cpu: ${cpu.description}`);
  const head = shapes.map((sh) => `webgpu ${sh} s/iter | ${sh} kernel ms`).join(' | ');
  console.log(`| N | D | K | ${head} | cpu 1-thread s/iter | speed-up |`);
  console.log(`|---|---|---|${shapes.map(() => '---|---|').join('')}---|---|`);
  const rows: unknown[] = [];
  for (const n of sizes) {
    for (const d of dims) {
      const data = makeData(n, d, Math.max(...ks), n + d);
      for (const k of ks) {
        const params = makeParams(cov, k, d, 7);
        const gs: number[] = [];
        const ks: number[] = [];
        const st: string[] = [];
        let c = NaN;
        for (const [si, gpu] of gpus.entries()) {
          let g = NaN;
          let km = NaN;
          let stages = '';
          if (gpu) {
            try {
              const loaded = await gpu.load(toDataset({ data: data, rows: n, cols: d }, null));
              ({ s: g, kernelMs: km, stages } = await timeIt(loaded, params, reps, 2));
              loaded.dispose();
            } catch (error) {
              console.log(`webgpu ${shapes[si]} failed at N=${n} D=${d} K=${k}: ${(error as Error).message}`);
            }
          }
          gs.push(g);
          ks.push(km);
          if (stages) st.push(`${shapes[si]}: ${stages}`);
        }
        const g = gs[0] as number;
        if (!noCpu && n <= cpuMax) {
          const loaded = await cpu.load(toDataset({ data: data, rows: n, cols: d }, null));
          c = (await timeIt(loaded, params, n >= 4_000_000 ? Math.min(reps, 3) : reps, n >= 4_000_000 ? 0 : 1)).s;
          loaded.dispose();
        }
        const fmt = (v: number): string => (Number.isNaN(v) ? '-' : v < 0.01 ? v.toFixed(5) : v.toFixed(4));
        const fmtMs = (v: number): string => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(3) : v.toFixed(1));
        const cols = gs.map((v, i) => `${fmt(v)} | ${fmtMs(ks[i] as number)}`).join(' | ');
        console.log(
          `| ${n} | ${d} | ${k} | ${cols} | ${fmt(c)} | ${Number.isNaN(g) || Number.isNaN(c) ? '-' : (c / g).toFixed(1) + 'x'} |`,
        );
        if (st.length > 0) console.log(`#   stage ms (N=${n} D=${d} K=${k}): ${st.join('; ')}`);
        rows.push({
          n,
          d,
          k,
          cov,
          gpu: g,
          cpu: c,
          kernelMs: ks[0],
          shapes: Object.fromEntries(shapes.map((sh, i) => [sh, { s: gs[i], kernelMs: ks[i] }])),
          stages: st,
        });
      }
    }
  }
  const json = arg('json', '');
  if (json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(json, JSON.stringify({ gpu: gpus[0]?.description ?? null, shapes, rows }, null, 2));
  }
  for (const gpu of gpus) gpu?.dispose();
  cpu.dispose();
}
