// What the scatter's point renderers share: the interface (WebGPU in scatter-webgpu.ts,
// Canvas2D in scatter-canvas.ts), the view transform, and the palette.

/** Data -> CSS pixels: px = (x − cx)·sx + w/2, py = h/2 − (y − cy)·sy. */
export interface View {
  cx: number;
  cy: number;
  sx: number;
  sy: number;
}

export interface DrawStyle {
  /** Point diameter in device pixels. */
  readonly pointSize: number;
  /** Opacity of one point (dense regions saturate). */
  readonly alpha: number;
  /**
   * Uncertainty view: > 0 scales each point's 1 − max p to t in [0, 1], and the point is drawn
   * faint and small when certain (t = 0), opaque and larger when uncertain (t = 1); 0: off.
   */
  readonly uncertaintyScale: number;
}

/** A point's opacity and size factor in the uncertainty view, t in [0, 1] (see DrawStyle). */
export function uncertaintyLook(alpha: number, t: number): { alpha: number; size: number } {
  return { alpha: alpha * 0.15 + (Math.min(0.95, alpha * 4 + 0.3) - alpha * 0.15) * t, size: 1 + 1.5 * t };
}

/** What a frame that reached the page showed. */
export interface DrawnFrame {
  readonly points: number;
  readonly labelled: boolean;
}

export interface PointRenderer {
  readonly kind: 'webgpu' | 'canvas2d';
  readonly description: string;
  setPoints(xs: Float32Array, ys: Float32Array): void;
  /** Per-point labels (null: all neutral). */
  setLabels(labels: Int32Array | null): void;
  /** Per-point 1 − max p for the uncertainty view (null: none). */
  setUncertainty(uncertainty: Float32Array | null): void;
  /** Sizes the drawing buffer (device pixels); the picture stays until the next frame lands. */
  resize(width: number, height: number): void;
  /** Draws a frame; it may land later (`onFrame` says when). */
  draw(view: View, style: DrawStyle): void;
  /** Called when a frame has reached the page. */
  onFrame: ((frame: DrawnFrame) => void) | null;
  dispose(): void;
}

export const BACKGROUND: readonly [number, number, number] = [16, 20, 28];
export const NEUTRAL: readonly [number, number, number] = [150, 170, 200];
export const PALETTE_SIZE = 32;

/** Distinct colours: a hand-picked ten, then golden-angle hues. RGB 0–255. */
export function paletteColour(i: number): [number, number, number] {
  const base: [number, number, number][] = [
    [78, 160, 255],
    [255, 140, 60],
    [90, 210, 120],
    [240, 80, 90],
    [180, 130, 255],
    [250, 210, 70],
    [60, 215, 215],
    [255, 120, 200],
    [170, 200, 90],
    [200, 160, 120],
  ];
  const b = base[i % PALETTE_SIZE];
  if (b !== undefined) return b;
  const h = (i * 137.508) % 360;
  const s = 0.7;
  const l = 0.6;
  const f = (n: number): number => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function cssColour(i: number, alpha = 1): string {
  const [r, g, b] = paletteColour(i);
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/**
 * Resizes a 2D canvas without blanking it: the old picture stays (top-left aligned, on the
 * background colour) until the next frame replaces it. Setting a canvas's size clears it, and
 * a frame can take seconds on a software adapter.
 */
export function resizeKeepingPicture(
  canvas: HTMLCanvasElement,
  context: CanvasRenderingContext2D,
  width: number,
  height: number,
): void {
  if (canvas.width === width && canvas.height === height) return;
  const picture =
    canvas.width > 0 && canvas.height > 0 ? context.getImageData(0, 0, canvas.width, canvas.height) : null;
  canvas.width = width;
  canvas.height = height;
  context.fillStyle = `rgb(${BACKGROUND.join(', ')})`;
  context.fillRect(0, 0, width, height);
  if (picture !== null) context.putImageData(picture, 0, 0);
}
