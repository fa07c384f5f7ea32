/**
 * Reading and writing PNG/JPEG images as plain pixel buffers, with no native
 * dependency (pngjs and jpeg-js are pure JavaScript), so it works wherever Node does.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import type { RawImage } from './raw-image';

export { RawImage, toGrayscale } from './raw-image';

/** File extensions the library reads as images. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];

/** True when the file name ends in an image extension we can decode. */
export function isImageFile(file: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(file).toLowerCase());
}

/** The image format of `bytes` by its magic bytes ('PNG', 'JPEG', 'GIF', 'WebP', 'BMP'), or null. */
export function imageFormat(bytes: Uint8Array): 'PNG' | 'JPEG' | 'GIF' | 'WebP' | 'BMP' | null {
  const at = (i: number, s: string) => [...s].every((c, k) => bytes[i + k] === c.charCodeAt(0));
  if (bytes.length > 8 && bytes[0] === 0x89 && at(1, 'PNG')) return 'PNG';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8) return 'JPEG';
  if (bytes.length > 6 && at(0, 'GIF8')) return 'GIF';
  if (bytes.length > 12 && at(0, 'RIFF') && at(8, 'WEBP')) return 'WebP';
  if (bytes.length > 14 && at(0, 'BM')) return 'BMP';
  return null;
}

/**
 * Decodes a PNG or JPEG (chosen by its magic bytes, not its name) into RGBA pixels.
 * Throws an error naming `source` when the bytes are neither or are corrupt.
 */
export function decodeImage(bytes: Uint8Array, source = '<buffer>'): RawImage {
  if (bytes.length === 0) throw new Error(`${source}: empty file (0 bytes), not an image`);
  const format = imageFormat(bytes);
  const isPng = format === 'PNG';
  const isJpeg = format === 'JPEG';
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return {
        data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
        width: png.width,
        height: png.height,
        channels: 4,
      };
    }
    if (isJpeg) {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      return { data: img.data, width: img.width, height: img.height, channels: 4 };
    }
  } catch (err) {
    const msg = (err as Error).message;
    // pngjs reports a file that ends early with its stream's internals ("read requests waiting").
    const why = /read requests|unexpected end|end of/i.test(msg) ? 'the file is truncated' : msg;
    throw new Error(`${source}: not a readable ${isPng ? 'PNG' : 'JPEG'} image (${why})`);
  }
  throw new Error(`${source}: not a PNG or JPEG file`);
}

/**
 * The smallest side (pixels) a face can have and still carry an expression: below it, a
 * prediction is an upscaled blur, so predict warns (the models read 48x48 faces).
 */
export const MIN_FACE_SIDE = 16;

/** Reads and decodes an image file; errors name the file. */
export function readImage(file: string): RawImage {
  return decodeImage(fs.readFileSync(file), file);
}

/**
 * Encodes an 8-bit grayscale buffer of `width` x `height` as a PNG file's bytes. A fixed Paeth
 * filter gives the same size as pngjs's adaptive choice on faces, about 2.5x faster.
 */
export function encodeGrayPng(gray: Uint8Array, width: number, height: number): Buffer {
  if (gray.length !== width * height) throw new Error(`encodeGrayPng: ${gray.length} pixels for ${width}x${height}`);
  return PNG.sync.write({ width, height, data: Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength) } as unknown as PNG, {
    colorType: 0,
    inputColorType: 0,
    inputHasAlpha: false,
    bitDepth: 8,
    filterType: 4,
  });
}
