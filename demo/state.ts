// The page's state: the loaded data, the fitted model, and the test hook (window.__emgpuDemo)
// through which the browser tests watch the page.

import type { CovarianceType, Criterion, SelectionRow } from '../src/index.ts';
import type { CompareResult, DataSpec } from './protocol.ts';
import type { TextBox } from './chart.ts';
import type { DrawnFrame } from './scatter.ts';

// ---- the test hook ------------------------------------------------------------------------

export interface DemoState {
  ready: boolean;
  running: boolean;
  /** 'idle' | 'loading' | 'fit' | 'compare' | 'select'. */
  phase: string;
  /** The library backend of the last fit, e.g. "webgpu (...)" or "cpu (1 thread): reason". */
  backend: string | null;
  /** The WebGPU adapter the page found (for drawing), or null. */
  adapter: string | null;
  webgpuAvailable: boolean;
  webgpuReason: string;
  renderer: 'webgpu' | 'canvas2d' | null;
  rendererDescription: string;
  points: number;
  columns: string[];
  iteration: number;
  lowerBounds: number[];
  iterationTimes: number[];
  nIter: number;
  converged: boolean | null;
  /** Fraction of points labelled with their generating component, up to relabelling. */
  accuracy: number | null;
  fitCount: number;
  stoppedCount: number;
  /** Rows of the loaded data with at least one missing value. */
  missingRows: number;
  compare: (CompareResult & { speedup: number | null; cpuMedian: number; gpuMedian: number | null }) | null;
  /** "Choose the model": the grid so far, then its best cell. */
  selection: SelectionState | null;
  segmentationColours: number | null;
  error: string | null;
  /** Frames of points that reached the page (drawn, and read back where that is how they are shown). */
  frames: number;
  /** What the last of those frames showed. */
  drawn: DrawnFrame | null;
  /** Fitted labels not yet on the scatter: the "colouring the points…" badge is shown. */
  labelling: boolean;
  /** The worker holds a fitted model (Download model / labels work). */
  fitted: boolean;
  /** The scatter's view: points, uncertainty (1 − max p) or density contours. */
  viewMode: ViewMode;
  /** Density contour levels drawn in the last overlay frame (density view). */
  contours: number;
  /** The texts each chart (by canvas id) drew, in CSS pixels. */
  charts: Record<string, TextBox[]>;
  /** The point under the pointer, as the tooltip shows it (null: none). */
  hover: HoverInfo | null;
  /** The uncertainty view has its per-point 1 − max p (for the current model). */
  uncertaintyShown: boolean;
  /** Names of the files the page saved, in order. */
  downloads: string[];
}

export type ViewMode = 'points' | 'uncertainty' | 'density';

export interface HoverInfo {
  readonly row: number;
  readonly values: number[];
  readonly component: number | null;
  readonly probabilities: number[] | null;
}

export interface SelectionState {
  criterion: Criterion;
  /** Cells in the grid. */
  total: number;
  /** Rows as they arrive; in the grid's order (types outer, K inner) once it is done. */
  table: SelectionRow[];
  /** The best cell by the criterion (null until the grid is done). */
  best: { covarianceType: CovarianceType; nComponents: number; index: number } | null;
  /** The chart's lines (one per covariance type with a fitted cell). */
  series: string[];
  /** Milliseconds for the whole grid and the best model's labels (null until done). */
  totalTime: number | null;
}

export const hook: DemoState = {
  ready: false,
  running: false,
  phase: 'loading',
  backend: null,
  adapter: null,
  webgpuAvailable: false,
  webgpuReason: '',
  renderer: null,
  rendererDescription: '',
  points: 0,
  columns: [],
  iteration: 0,
  lowerBounds: [],
  iterationTimes: [],
  nIter: 0,
  converged: null,
  accuracy: null,
  fitCount: 0,
  stoppedCount: 0,
  missingRows: 0,
  compare: null,
  selection: null,
  segmentationColours: null,
  error: null,
  frames: 0,
  drawn: null,
  labelling: false,
  fitted: false,
  viewMode: 'points',
  contours: 0,
  charts: {},
  hover: null,
  uncertaintyShown: false,
  downloads: [],
};
(window as unknown as { __emgpuDemo: DemoState }).__emgpuDemo = hook;

// ---- data and model -----------------------------------------------------------------------

/** What the scatter overlay and the parameter table show of a (partly) fitted mixture. */
export interface Model {
  readonly covarianceType: CovarianceType;
  readonly d: number;
  readonly weights: Float64Array;
  readonly means: Float64Array;
  readonly covariances: Float64Array;
}

/** A photo decoded to RGBA pixels (kept so the worker can be sent it again). */
export interface ImageSource {
  readonly width: number;
  readonly height: number;
  readonly name: string;
  readonly pixels: Uint8ClampedArray;
}

export type SourceKind = 'generator' | 'csv' | 'image';

/** The page's copy of the data (the worker holds the full dataset) and the fit's outputs. */
export const app = {
  /** The data tab that is shown. */
  source: 'generator' as SourceKind,
  /** How the loaded data was made (images without their pixels), to reload it after a worker restart. */
  lastSpec: null as DataSpec | null,
  image: null as ImageSource | null,
  columnNames: [] as string[],
  /** Every column of the dataset, float32, for drawing. */
  columnData: [] as Float32Array[],
  /** Generating component per point (generated data only). */
  truth: null as Int32Array | null,
  /** Columns the fit uses; the first two are plotted. */
  fitColumns: [0, 1] as number[],
  model: null as Model | null,
  labels: null as Int32Array | null,
  /** 1 − the largest membership probability of each point (the uncertainty view), or null. */
  uncertainty: null as Float32Array | null,
  lowerBounds: [] as number[],
  iterationTimes: [] as number[],
};
