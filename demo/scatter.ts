// Draws millions of points, coloured by label: a WebGPU render pipeline (one instanced quad
// per point, straight from the column buffers), or a Canvas2D fallback that writes pixels.

import shaderCode from './scatter.wgsl?raw';

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
}

export interface PointRenderer {
  readonly kind: 'webgpu' | 'canvas2d';
  readonly description: string;
  setPoints(xs: Float32Array, ys: Float32Array): void;
  /** Per-point labels (null: all neutral). */
  setLabels(labels: Int32Array | null): void;
  draw(view: View, style: DrawStyle): void;
  dispose(): void;
}

export const BACKGROUND: readonly [number, number, number] = [16, 20, 28];
export const NEUTRAL: readonly [number, number, number] = [150, 170, 200];
const PALETTE_SIZE = 32;

/** Distinct colours: a hand-picked ten, then golden-angle hues. RGB 0–255. */
export function paletteColour(i: number): [number, number, number] {
  const base: [number, number, number][] = [
    [78, 160, 255], [255, 140, 60], [90, 210, 120], [240, 80, 90], [180, 130, 255],
    [250, 210, 70], [60, 215, 215], [255, 120, 200], [170, 200, 90], [200, 160, 120],
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

// ---- WebGPU ------------------------------------------------------------------------------

/**
 * Where frames go. 'canvas': presented on a WebGPU canvas (the normal path). 'readback':
 * rendered into a texture, copied back and put on a 2D canvas — used for software fallback
 * adapters, because presenting a WebGPU canvas in headless Chromium on SwiftShader destroys
 * the device (and wipes every 2D canvas of the page) on the first frame.
 */
export type PresentMode = 'canvas' | 'readback';

class WebGpuPoints implements PointRenderer {
  readonly kind = 'webgpu' as const;
  private readonly context: GPUCanvasContext | null = null;
  private readonly context2d: CanvasRenderingContext2D | null = null;
  private readonly format: GPUTextureFormat;
  private readonly pipeline: GPURenderPipeline;
  private readonly pointPipeline: GPURenderPipeline;
  private readonly uniforms: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  private readonly bindGroupLayout: GPUBindGroupLayout;
  private readonly layout: GPUPipelineLayout;
  private xs: GPUBuffer | null = null;
  private ys: GPUBuffer | null = null;
  private labels: GPUBuffer | null = null;
  private count = 0;
  private target: { texture: GPUTexture; buffer: GPUBuffer; bytesPerRow: number; image: ImageData } | null = null;
  private readingBack = false;
  private queued: { view: View; style: DrawStyle } | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly canvas: HTMLCanvasElement,
    readonly description: string,
    readonly mode: PresentMode,
  ) {
    if (mode === 'canvas') {
      const context = canvas.getContext('webgpu');
      if (context === null) throw new Error('The canvas has no WebGPU context.');
      this.context = context;
      this.format = navigator.gpu.getPreferredCanvasFormat();
      context.configure({ device, format: this.format, alphaMode: 'opaque' });
    } else {
      const context2d = canvas.getContext('2d');
      if (context2d === null) throw new Error('The canvas has no 2D context.');
      this.context2d = context2d;
      this.format = 'rgba8unorm';
    }
    const format = this.format;
    const module = device.createShaderModule({ label: 'scatter', code: shaderCode });
    const bindGroupLayout = device.createBindGroupLayout({
      entries: [{ binding: 0, visibility: GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT, buffer: { type: 'uniform' } }],
    });
    this.bindGroupLayout = bindGroupLayout;
    this.layout = device.createPipelineLayout({ bindGroupLayouts: [bindGroupLayout] });
    const blend: GPUBlendState = {
      color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
      alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
    };
    const makePipeline = (points: boolean): GPURenderPipeline => {
      const stepMode: GPUVertexStepMode = points ? 'vertex' : 'instance';
      return device.createRenderPipeline({
        label: points ? 'scatter 1-pixel points' : 'scatter quads',
        layout: this.layout,
        vertex: {
          module,
          entryPoint: points ? 'vsPoint' : 'vs',
          buffers: [
            { arrayStride: 4, stepMode, attributes: [{ shaderLocation: 0, offset: 0, format: 'float32' }] },
            { arrayStride: 4, stepMode, attributes: [{ shaderLocation: 1, offset: 0, format: 'float32' }] },
            { arrayStride: 4, stepMode, attributes: [{ shaderLocation: 2, offset: 0, format: 'sint32' }] },
          ],
        },
        fragment: { module, entryPoint: 'fs', targets: [{ format, blend }] },
        primitive: { topology: points ? 'point-list' : 'triangle-strip' },
      });
    };
    this.pipeline = makePipeline(false);
    this.pointPipeline = makePipeline(true);
    // scale, offset, half size (clip units), alpha, round flag, then the palette (+ neutral).
    this.uniforms = device.createBuffer({ label: 'scatter uniforms', size: 32 + (PALETTE_SIZE + 1) * 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.bindGroup = device.createBindGroup({ layout: this.bindGroupLayout, entries: [{ binding: 0, resource: { buffer: this.uniforms } }] });
    const palette = new Float32Array((PALETTE_SIZE + 1) * 4);
    for (let i = 0; i < PALETTE_SIZE; i++) {
      const [r, g, b] = paletteColour(i);
      palette.set([r / 255, g / 255, b / 255, 1], i * 4);
    }
    palette.set([NEUTRAL[0] / 255, NEUTRAL[1] / 255, NEUTRAL[2] / 255, 1], PALETTE_SIZE * 4);
    device.queue.writeBuffer(this.uniforms, 32, palette);
  }

  private upload(label: string, data: Float32Array | Int32Array): GPUBuffer {
    const buffer = this.device.createBuffer({ label, size: Math.max(4, data.byteLength), usage: GPUBufferUsage.VERTEX | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  setPoints(xs: Float32Array, ys: Float32Array): void {
    this.xs?.destroy();
    this.ys?.destroy();
    this.xs = this.upload('scatter x', xs);
    this.ys = this.upload('scatter y', ys);
    this.count = xs.length;
    this.setLabels(null);
  }

  setLabels(labels: Int32Array | null): void {
    this.labels?.destroy();
    this.labels = this.upload('scatter labels', labels ?? new Int32Array(this.count).fill(-1));
  }

  private readbackTarget(w: number, h: number): NonNullable<WebGpuPoints['target']> {
    const t = this.target;
    if (t !== null && t.image.width === w && t.image.height === h) return t;
    t?.texture.destroy();
    t?.buffer.destroy();
    const bytesPerRow = Math.ceil((w * 4) / 256) * 256;
    const texture = this.device.createTexture({ label: 'scatter frame', size: [w, h], format: this.format, usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC });
    const buffer = this.device.createBuffer({ label: 'scatter readback', size: bytesPerRow * h, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    this.target = { texture, buffer, bytesPerRow, image: new ImageData(w, h) };
    return this.target;
  }

  draw(view: View, style: DrawStyle): void {
    if (this.readingBack) {
      this.queued = { view: { ...view }, style };
      return;
    }
    const canvas = this.canvas;
    const dpr = canvas.width / Math.max(1, canvas.clientWidth);
    const w = canvas.width;
    const h = canvas.height;
    const sx = (2 * view.sx * dpr) / w;
    const sy = (2 * view.sy * dpr) / h;
    const header = new Float32Array(8);
    header.set([sx, sy, -view.cx * sx, -view.cy * sy, style.pointSize / w, style.pointSize / h, style.alpha, style.pointSize >= 3 ? 1 : 0]);
    this.device.queue.writeBuffer(this.uniforms, 0, header);
    const target = this.context === null ? this.readbackTarget(w, h) : null;
    const encoder = this.device.createCommandEncoder({ label: 'scatter frame' });
    const pass = encoder.beginRenderPass({
      colorAttachments: [
        {
          view: target !== null ? target.texture.createView() : (this.context as GPUCanvasContext).getCurrentTexture().createView(),
          clearValue: { r: BACKGROUND[0] / 255, g: BACKGROUND[1] / 255, b: BACKGROUND[2] / 255, a: 1 },
          loadOp: 'clear',
          storeOp: 'store',
        },
      ],
    });
    if (this.count > 0 && this.xs && this.ys && this.labels) {
      // Points of about one pixel: a point list (one vertex each); bigger ones: quads.
      const quads = style.pointSize >= 1.75 && this.count <= 300_000;
      pass.setPipeline(quads ? this.pipeline : this.pointPipeline);
      pass.setBindGroup(0, this.bindGroup);
      pass.setVertexBuffer(0, this.xs);
      pass.setVertexBuffer(1, this.ys);
      pass.setVertexBuffer(2, this.labels);
      if (quads) pass.draw(4, this.count);
      else pass.draw(this.count);
    }
    pass.end();
    if (target !== null) {
      encoder.copyTextureToBuffer({ texture: target.texture }, { buffer: target.buffer, bytesPerRow: target.bytesPerRow }, [w, h]);
    }
    this.device.queue.submit([encoder.finish()]);
    if (target !== null) void this.present(target);
  }

  /** Milliseconds the last frame took from submit to pixels on the page. */
  lastFrameMs = 0;

  private async present(target: NonNullable<WebGpuPoints['target']>): Promise<void> {
    this.readingBack = true;
    const began = performance.now();
    try {
      await target.buffer.mapAsync(GPUMapMode.READ);
      const src = new Uint8Array(target.buffer.getMappedRange());
      const { width, height, data } = target.image;
      for (let y = 0; y < height; y++) data.set(src.subarray(y * target.bytesPerRow, y * target.bytesPerRow + width * 4), y * width * 4);
      target.buffer.unmap();
      if (this.canvas.width === width && this.canvas.height === height) this.context2d?.putImageData(target.image, 0, 0);
      this.lastFrameMs = performance.now() - began;
    } catch (error) {
      console.warn('readback', error);
      // The target was replaced (resize) while mapping; the queued frame redraws.
    } finally {
      this.readingBack = false;
    }
    const next = this.queued;
    this.queued = null;
    if (next !== null) this.draw(next.view, next.style);
  }

  dispose(): void {
    this.xs?.destroy();
    this.ys?.destroy();
    this.labels?.destroy();
    this.target?.texture.destroy();
    this.uniforms.destroy();
  }
}

// ---- Canvas2D fallback -------------------------------------------------------------------

class CanvasPoints implements PointRenderer {
  readonly kind = 'canvas2d' as const;
  private readonly context: CanvasRenderingContext2D;
  private xs: Float32Array = new Float32Array(0);
  private ys: Float32Array = new Float32Array(0);
  private labels: Int32Array | null = null;
  private image: ImageData | null = null;
  private readonly colours: Uint8Array;

  constructor(private readonly canvas: HTMLCanvasElement, readonly description: string) {
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
  }

  setLabels(labels: Int32Array | null): void {
    this.labels = labels;
  }

  draw(view: View, style: DrawStyle): void {
    const w = this.canvas.width;
    const h = this.canvas.height;
    if (this.image === null || this.image.width !== w || this.image.height !== h) this.image = this.context.createImageData(w, h);
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
    const size = Math.max(1, Math.round(style.pointSize));
    const half = Math.floor(size / 2);
    const a = style.alpha;
    const labels = this.labels;
    const colours = this.colours;
    const n = this.xs.length;
    for (let i = 0; i < n; i++) {
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
          px[o] = (px[o] as number) + ((r - (px[o] as number)) * a);
          px[o + 1] = (px[o + 1] as number) + ((g - (px[o + 1] as number)) * a);
          px[o + 2] = (px[o + 2] as number) + ((b - (px[o + 2] as number)) * a);
        }
      }
    }
    this.context.putImageData(this.image, 0, 0);
  }

  dispose(): void {
    this.image = null;
  }
}

/** WebGPU when an adapter exists, else Canvas2D; `reason` says why the fallback was taken. */
export async function createPointRenderer(
  canvas: HTMLCanvasElement,
  preferWebGpu: boolean,
  present: PresentMode | 'auto' = 'auto',
): Promise<{ renderer: PointRenderer; adapterInfo: string; reason: string }> {
  let reason = '';
  if (preferWebGpu && typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu) {
    try {
      const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (adapter === null) {
        reason = 'navigator.gpu.requestAdapter() returned no adapter';
      } else {
        const info = adapter.info;
        const adapterInfo = [info.vendor, info.architecture, info.description].filter((s) => s).join(' ') + (info.isFallbackAdapter ? ' (software fallback adapter)' : '');
        const device = await adapter.requestDevice();
        device.lost.then((lost) => console.warn(`scatter device lost at ${performance.now().toFixed(0)} ms: ${lost.reason} ${lost.message}`)).catch(() => {});
        // Catch pipeline problems here rather than at the first frame.
        device.pushErrorScope('validation');
        const mode: PresentMode = present === 'auto' ? (info.isFallbackAdapter ? 'readback' : 'canvas') : present;
        const renderer = new WebGpuPoints(device, canvas, `WebGPU (${adapterInfo || 'unknown adapter'}${mode === 'readback' ? ', read back' : ''})`, mode);
        const error = await device.popErrorScope();
        if (error !== null) throw new Error(error.message);
        return { renderer, adapterInfo: adapterInfo || 'unknown adapter', reason: '' };
      }
    } catch (error) {
      reason = `WebGPU set-up failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  } else if (preferWebGpu) {
    reason = 'this browser has no navigator.gpu (WebGPU is off or unsupported)';
  }
  // A canvas that received a webgpu context cannot give a 2d one: use a fresh canvas.
  const fresh = canvas.cloneNode(false) as HTMLCanvasElement;
  canvas.replaceWith(fresh);
  return { renderer: new CanvasPoints(fresh, 'Canvas2D'), adapterInfo: '', reason };
}
