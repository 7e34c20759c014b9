// The Canvas2D point renderer (no WebGPU, or ?renderer=canvas2d): writes the pixels of every
// point into one ImageData, blending each point's colour over what is there.

import {
  BACKGROUND,
  NEUTRAL,
  PALETTE_SIZE,
  paletteColour,
  resizeKeepingPicture,
  type DrawnFrame,
  type DrawStyle,
  type PointRenderer,
  type View,
  uncertaintyLook,
} from './scatter.ts';

export class CanvasPoints implements PointRenderer {
  readonly kind = 'canvas2d' as const;
  onFrame: ((frame: DrawnFrame) => void) | null = null;
  private readonly context: CanvasRenderingContext2D;
  private xs: Float32Array = new Float32Array(0);
  private ys: Float32Array = new Float32Array(0);
  private labels: Int32Array | null = null;
  private uncertainty: Float32Array | null = null;
  private image: ImageData | null = null;
  private readonly colours: Uint8Array;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    readonly description: string,
  ) {
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('The canvas has no 2D context.');
    this.context = context;
    this.colours = new Uint8Array((PALETTE_SIZE + 1) * 3);
    for (let i = 0; i < PALETTE_SIZE; i++) this.colours.set(paletteColour(i), i * 3);
    this.colours.set(NEUTRAL, PALETTE_SIZE * 3);
  }

  setPoints(xs: Float32Array, ys: Float32Array): void {
    this.xs = xs;
    this.ys = ys;
    this.labels = null;
    this.uncertainty = null;
  }

  setLabels(labels: Int32Array | null): void {
    this.labels = labels;
  }

  setUncertainty(uncertainty: Float32Array | null): void {
    this.uncertainty = uncertainty;
  }

  resize(width: number, height: number): void {
    resizeKeepingPicture(this.canvas, this.context, width, height);
  }

  draw(view: View, style: DrawStyle): void {
    const w = this.canvas.width;
    const h = this.canvas.height;
    if (this.image === null || this.image.width !== w || this.image.height !== h)
      this.image = this.context.createImageData(w, h);
    const px = this.image.data;
    for (let i = 0; i < px.length; i += 4) {
      px[i] = BACKGROUND[0];
      px[i + 1] = BACKGROUND[1];
      px[i + 2] = BACKGROUND[2];
      px[i + 3] = 255;
    }
    const dpr = w / Math.max(1, this.canvas.clientWidth);
    const ax = view.sx * dpr;
    const ay = view.sy * dpr;
    const bx = w / 2 - view.cx * ax;
    const by = h / 2 + view.cy * ay;
    const baseSize = Math.max(1, Math.round(style.pointSize));
    const uncertainty = style.uncertaintyScale > 0 ? this.uncertainty : null;
    const labels = this.labels;
    const colours = this.colours;
    const n = this.xs.length;
    for (let i = 0; i < n; i++) {
      let size = baseSize;
      let a = style.alpha;
      if (uncertainty !== null) {
        const look = uncertaintyLook(
          style.alpha,
          Math.min(1, Math.max(0, (uncertainty[i] as number) * style.uncertaintyScale)),
        );
        size = Math.max(1, Math.round(style.pointSize * look.size));
        a = look.alpha;
      }
      const half = Math.floor(size / 2);
      const x0 = Math.floor((this.xs[i] as number) * ax + bx) - half;
      const y0 = Math.floor(by - (this.ys[i] as number) * ay) - half;
      if (x0 + size <= 0 || y0 + size <= 0 || x0 >= w || y0 >= h) continue;
      const label = labels === null ? -1 : (labels[i] as number);
      const c = (label < 0 ? PALETTE_SIZE : label % PALETTE_SIZE) * 3;
      const r = colours[c] as number;
      const g = colours[c + 1] as number;
      const b = colours[c + 2] as number;
      for (let yy = Math.max(0, y0); yy < Math.min(h, y0 + size); yy++) {
        for (let xx = Math.max(0, x0); xx < Math.min(w, x0 + size); xx++) {
          const o = (yy * w + xx) * 4;
          px[o] = (px[o] as number) + (r - (px[o] as number)) * a;
          px[o + 1] = (px[o + 1] as number) + (g - (px[o + 1] as number)) * a;
          px[o + 2] = (px[o + 2] as number) + (b - (px[o + 2] as number)) * a;
        }
      }
    }
    this.context.putImageData(this.image, 0, 0);
    this.onFrame?.({ points: n, labelled: labels !== null });
  }

  dispose(): void {
    this.image = null;
  }
}
