// The WebGPU point renderer: x, y and labels in storage buffers, one draw per frame
// (scatter.wgsl), presented on a WebGPU canvas or read back onto a 2D canvas.

import shaderCode from './scatter.wgsl?raw';
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
} from './scatter.ts';

/**
 * Where frames go. 'canvas': presented on a WebGPU canvas (the normal path). 'readback':
 * rendered into a texture, copied back and put on a 2D canvas — used for software fallback
 * adapters, because presenting a WebGPU canvas in headless Chromium on SwiftShader destroys
 * the device (and wipes every 2D canvas of the page) on the first frame.
 */
export type PresentMode = 'canvas' | 'readback';

/** Uniform header before the palette: centre, scale, half size, alpha, round, labelled, uncertainty scale (+ padding). */
const HEADER_FLOATS = 12;
/** Points up to this count with a size of ~2 px or more are drawn as squares (6 vertices each). */
const MAX_QUAD_POINTS = 300_000;

interface ReadbackTarget {
  readonly texture: GPUTexture;
  readonly buffer: GPUBuffer;
  readonly bytesPerRow: number;
  readonly image: ImageData;
}

export class WebGpuPoints implements PointRenderer {
  readonly kind = 'webgpu' as const;
  onFrame: ((frame: DrawnFrame) => void) | null = null;
  /** Milliseconds the last read-back frame took from submit to pixels on the page. */
  lastFrameMs = 0;
  private readonly context: GPUCanvasContext | null = null;
  private readonly context2d: CanvasRenderingContext2D | null = null;
  private readonly format: GPUTextureFormat;
  private readonly quadPipeline: GPURenderPipeline;
  private readonly pointPipeline: GPURenderPipeline;
  private readonly uniforms: GPUBuffer;
  private readonly bindGroupLayout: GPUBindGroupLayout;
  /** Bound instead of real labels while the points are unlabelled. */
  private readonly noLabels: GPUBuffer;
  /** Bound instead of real uncertainties when there are none (the uncertainty view is then off). */
  private readonly noUncertainty: GPUBuffer;
  private xs: GPUBuffer | null = null;
  private ys: GPUBuffer | null = null;
  private labels: GPUBuffer | null = null;
  private uncertainty: GPUBuffer | null = null;
  private bindGroup: GPUBindGroup | null = null;
  private count = 0;
  private target: ReadbackTarget | null = null;
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
    const module = device.createShaderModule({ label: 'scatter', code: shaderCode });
    const storage = (binding: number): GPUBindGroupLayoutEntry => ({
      binding,
      visibility: GPUShaderStage.VERTEX,
      buffer: { type: 'read-only-storage' },
    });
    this.bindGroupLayout = device.createBindGroupLayout({
      label: 'scatter',
      entries: [
        { binding: 0, visibility: GPUShaderStage.VERTEX | GPUShaderStage.FRAGMENT, buffer: { type: 'uniform' } },
        storage(1),
        storage(2),
        storage(3),
        storage(4),
      ],
    });
    const layout = device.createPipelineLayout({ label: 'scatter', bindGroupLayouts: [this.bindGroupLayout] });
    const blend: GPUBlendState = {
      color: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
      alpha: { srcFactor: 'one', dstFactor: 'one-minus-src-alpha', operation: 'add' },
    };
    const makePipeline = (label: string, entryPoint: string, topology: GPUPrimitiveTopology): GPURenderPipeline =>
      device.createRenderPipeline({
        label,
        layout,
        vertex: { module, entryPoint },
        fragment: { module, entryPoint: 'fs', targets: [{ format: this.format, blend }] },
        primitive: { topology },
      });
    this.quadPipeline = makePipeline('scatter squares', 'vsQuad', 'triangle-list');
    this.pointPipeline = makePipeline('scatter 1-pixel points', 'vsPoint', 'point-list');
    this.uniforms = device.createBuffer({
      label: 'scatter uniforms',
      size: (HEADER_FLOATS + (PALETTE_SIZE + 1) * 4) * 4,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const palette = new Float32Array((PALETTE_SIZE + 1) * 4);
    for (let i = 0; i < PALETTE_SIZE; i++) {
      const [r, g, b] = paletteColour(i);
      palette.set([r / 255, g / 255, b / 255, 1], i * 4);
    }
    palette.set([NEUTRAL[0] / 255, NEUTRAL[1] / 255, NEUTRAL[2] / 255, 1], PALETTE_SIZE * 4);
    device.queue.writeBuffer(this.uniforms, HEADER_FLOATS * 4, palette);
    this.noLabels = this.upload('scatter no labels', new Int32Array(1));
    this.noUncertainty = this.upload('scatter no uncertainty', new Float32Array(1));
  }

  private upload(label: string, data: Float32Array | Int32Array): GPUBuffer {
    const buffer = this.device.createBuffer({
      label,
      size: Math.max(4, data.byteLength),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  setPoints(xs: Float32Array, ys: Float32Array): void {
    this.xs?.destroy();
    this.ys?.destroy();
    this.xs = this.upload('scatter x', xs);
    this.ys = this.upload('scatter y', ys);
    this.count = xs.length;
    this.uncertainty?.destroy();
    this.uncertainty = null;
    this.setLabels(null);
  }

  setLabels(labels: Int32Array | null): void {
    this.labels?.destroy();
    this.labels = labels === null ? null : this.upload('scatter labels', labels);
    this.bind();
  }

  setUncertainty(uncertainty: Float32Array | null): void {
    this.uncertainty?.destroy();
    this.uncertainty = uncertainty === null ? null : this.upload('scatter uncertainty', uncertainty);
    this.bind();
  }

  private bind(): void {
    this.bindGroup =
      this.xs === null || this.ys === null
        ? null
        : this.device.createBindGroup({
            label: 'scatter',
            layout: this.bindGroupLayout,
            entries: [
              { binding: 0, resource: { buffer: this.uniforms } },
              { binding: 1, resource: { buffer: this.xs } },
              { binding: 2, resource: { buffer: this.ys } },
              { binding: 3, resource: { buffer: this.labels ?? this.noLabels } },
              { binding: 4, resource: { buffer: this.uncertainty ?? this.noUncertainty } },
            ],
          });
  }

  resize(width: number, height: number): void {
    if (this.context2d !== null) resizeKeepingPicture(this.canvas, this.context2d, width, height);
    else if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
  }

  private readbackTarget(w: number, h: number): ReadbackTarget {
    const t = this.target;
    if (t !== null && t.image.width === w && t.image.height === h) return t;
    t?.texture.destroy();
    t?.buffer.destroy();
    const bytesPerRow = Math.ceil((w * 4) / 256) * 256;
    const texture = this.device.createTexture({
      label: 'scatter frame',
      size: [w, h],
      format: this.format,
      usage: GPUTextureUsage.RENDER_ATTACHMENT | GPUTextureUsage.COPY_SRC,
    });
    const buffer = this.device.createBuffer({
      label: 'scatter readback',
      size: bytesPerRow * h,
      usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
    });
    this.target = { texture, buffer, bytesPerRow, image: new ImageData(w, h) };
    return this.target;
  }

  draw(view: View, style: DrawStyle): void {
    if (this.readingBack) {
      // One frame at a time; only the latest request is kept.
      this.queued = { view: { ...view }, style };
      return;
    }
    const canvas = this.canvas;
    const dpr = canvas.width / Math.max(1, canvas.clientWidth);
    const w = canvas.width;
    const h = canvas.height;
    const labelled = this.labels !== null;
    const header = new Float32Array(HEADER_FLOATS);
    header.set([
      view.cx,
      view.cy,
      (2 * view.sx * dpr) / w,
      (2 * view.sy * dpr) / h,
      style.pointSize / w,
      style.pointSize / h,
      style.alpha,
      style.pointSize >= 3 ? 1 : 0,
      labelled ? 1 : 0,
      this.uncertainty !== null ? style.uncertaintyScale : 0,
    ]);
    this.device.queue.writeBuffer(this.uniforms, 0, header);
    const target = this.context === null ? this.readbackTarget(w, h) : null;
    const encoder = this.device.createCommandEncoder({ label: 'scatter frame' });
    const pass = encoder.beginRenderPass({
      label: 'scatter frame',
      colorAttachments: [
        {
          view:
            target !== null
              ? target.texture.createView()
              : (this.context as GPUCanvasContext).getCurrentTexture().createView(),
          clearValue: { r: BACKGROUND[0] / 255, g: BACKGROUND[1] / 255, b: BACKGROUND[2] / 255, a: 1 },
          loadOp: 'clear',
          storeOp: 'store',
        },
      ],
    });
    if (this.count > 0 && this.bindGroup !== null) {
      // Points of about one pixel: a point list (one vertex each); bigger ones: squares.
      const quads = style.pointSize >= 1.75 && this.count <= MAX_QUAD_POINTS;
      pass.setPipeline(quads ? this.quadPipeline : this.pointPipeline);
      pass.setBindGroup(0, this.bindGroup);
      pass.draw(quads ? 6 * this.count : this.count);
    }
    pass.end();
    if (target !== null) {
      encoder.copyTextureToBuffer(
        { texture: target.texture },
        { buffer: target.buffer, bytesPerRow: target.bytesPerRow },
        [w, h],
      );
    }
    this.device.queue.submit([encoder.finish()]);
    const frame = { points: this.count, labelled };
    if (target !== null) void this.present(target, frame);
    else this.onFrame?.(frame); // the browser shows a WebGPU canvas's frame after this task
  }

  private async present(target: ReadbackTarget, frame: DrawnFrame): Promise<void> {
    this.readingBack = true;
    const began = performance.now();
    try {
      await target.buffer.mapAsync(GPUMapMode.READ);
      const src = new Uint8Array(target.buffer.getMappedRange());
      const { width, height, data } = target.image;
      for (let y = 0; y < height; y++)
        data.set(src.subarray(y * target.bytesPerRow, y * target.bytesPerRow + width * 4), y * width * 4);
      target.buffer.unmap();
      // Shown even if the canvas was resized meanwhile (a few pixels off, until the next frame):
      // dropping it would leave the scatter empty for as long as resizes keep coming.
      this.context2d?.putImageData(target.image, 0, 0);
      this.lastFrameMs = performance.now() - began;
      this.onFrame?.(frame);
    } catch (error) {
      // Mapping fails when the device is lost; the next frame tries again.
      console.warn('scatter readback failed', error);
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
    this.uncertainty?.destroy();
    this.noLabels.destroy();
    this.noUncertainty.destroy();
    this.target?.texture.destroy();
    this.target?.buffer.destroy();
    this.uniforms.destroy();
  }
}
