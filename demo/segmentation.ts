// Image segmentation: a photo decoded into RGBA pixels (shown as the original), and the fitted
// labels painted back as an image, each pixel in its component's mean colour.

import { countColours } from './analysis.ts';
import { MAX_IMAGE_PIXELS } from './datasets.ts';
import type { FitResult } from './protocol.ts';
import { hook, type ImageSource } from './state.ts';
import { ui } from './ui.ts';

/** Decodes an image file (scaled down to MAX_IMAGE_PIXELS) and shows it as the original. */
export async function decodeImage(blob: Blob, name: string): Promise<ImageSource> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error(`${name} could not be read as an image; choose a PNG, JPEG, GIF or WebP file.`);
  }
  let { width, height } = bitmap;
  if (width === 0 || height === 0) throw new Error(`${name} has no pixels.`);
  const scale = Math.min(1, Math.sqrt(MAX_IMAGE_PIXELS / (width * height)));
  width = Math.max(1, Math.round(width * scale));
  height = Math.max(1, Math.round(height * scale));
  ui.original.width = width;
  ui.original.height = height;
  ui.segmented.width = width;
  ui.segmented.height = height;
  const ctx = ui.original.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new Error('The browser refused a 2D canvas for the image.');
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, width, height).data;
  return { width, height, name: scale < 1 ? `${name} (scaled to ${width}×${height})` : name, pixels };
}

/** Paints each pixel in its component's mean colour (fitted columns 0–2 are red, green, blue). */
export function paintSegmentation(result: FitResult, image: ImageSource, fitColumns: readonly number[]): void {
  const ctx = ui.segmented.getContext('2d', { willReadFrequently: true });
  if (ctx === null) return;
  const out = ctx.createImageData(image.width, image.height);
  const d = result.nFeatures;
  const k = result.weights.length;
  // Colour columns may be a subset: fall back to the pixels' own mean where one is not fitted.
  const rgbIndex = [0, 1, 2].map((c) => fitColumns.indexOf(c));
  const colours = new Uint8ClampedArray(k * 3);
  for (let c = 0; c < k; c++) {
    for (let ch = 0; ch < 3; ch++) {
      const j = rgbIndex[ch] as number;
      colours[c * 3 + ch] = j >= 0 ? Math.round((result.means[c * d + j] as number) * 255) : 128;
    }
  }
  const labels = result.labels;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i] as number;
    out.data[i * 4] = colours[c * 3] as number;
    out.data[i * 4 + 1] = colours[c * 3 + 1] as number;
    out.data[i * 4 + 2] = colours[c * 3 + 2] as number;
    out.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
  hook.segmentationColours = countColours(out.data);
  ui.segmentedCaption.textContent = `Segmented into ${hook.segmentationColours} colours: each pixel in its component's mean colour`;
}

export function clearSegmentation(): void {
  hook.segmentationColours = null;
  ui.segmented.getContext('2d')?.clearRect(0, 0, ui.segmented.width, ui.segmented.height);
}
