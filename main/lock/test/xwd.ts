// Test support: what an X screen really shows, read with `xwd -root` (x11-apps) and parsed
// here (ZPixmap, TrueColor, 24/32 bits per pixel: what Xvfb serves), and written as a PNG for
// the e2e artefacts. Test-only; no image library.
import { execFile } from 'node:child_process';
import { deflateSync } from 'node:zlib';

export interface ScreenImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row after row. */
  rgb: Buffer;
}

function maskShift(mask: number): { shift: number; bits: number } {
  let shift = 0;
  while (shift < 32 && ((mask >>> shift) & 1) === 0) shift += 1;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits += 1;
  return { shift, bits };
}

/** Parses an XWD file (X11 Window Dump, version 7). */
export function parseXwd(data: Buffer): ScreenImage {
  const u32 = (index: number): number => data.readUInt32BE(index * 4);
  const headerSize = u32(0);
  if (u32(1) !== 7 || u32(2) !== 2) throw new Error('not a version-7 ZPixmap xwd dump');
  const width = u32(4);
  const height = u32(5);
  const byteOrder = u32(7); // 0 = LSBFirst
  const bitsPerPixel = u32(11);
  const bytesPerLine = u32(12);
  const masks = [u32(14), u32(15), u32(16)].map(maskShift);
  const ncolors = u32(19);
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) {
    throw new Error(`unsupported ${bitsPerPixel} bits per pixel`);
  }
  const start = headerSize + ncolors * 12;
  if (data.length < start + bytesPerLine * height) throw new Error('truncated xwd dump');
  const bytes = bitsPerPixel / 8;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = start + y * bytesPerLine + x * bytes;
      let pixel = 0;
      for (let b = 0; b < bytes; b++) {
        const byte = data[at + (byteOrder === 0 ? b : bytes - 1 - b)]!;
        pixel |= byte << (8 * b);
      }
      pixel >>>= 0;
      for (let c = 0; c < 3; c++) {
        const { shift, bits } = masks[c]!;
        const value = (pixel >>> shift) & ((1 << bits) - 1);
        rgb[(y * width + x) * 3 + c] = bits >= 8 ? value >>> (bits - 8) : value << (8 - bits);
      }
    }
  }
  return { width, height, rgb };
}

/** Grabs the root window of `display` (every monitor of that X screen). */
export function grabRoot(display: string, xauthority?: string): Promise<ScreenImage> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/xwd',
      ['-root', '-silent', '-display', display],
      {
        env: xauthority ? { DISPLAY: display, XAUTHORITY: xauthority } : { DISPLAY: display },
        encoding: 'buffer',
        maxBuffer: 256 * 1024 * 1024,
        timeout: 10_000,
      },
      (error, stdout) => {
        if (error) reject(new Error(`xwd -root -display ${display}: ${error.message}`));
        else {
          try {
            resolve(parseXwd(stdout));
          } catch (parseError) {
            reject(parseError as Error);
          }
        }
      },
    );
  });
}

/** How many pixels have a channel above `threshold` (0 = every pixel black or near-black). */
export function brightPixels(image: ScreenImage, threshold = 16): number {
  let count = 0;
  for (let i = 0; i < image.rgb.length; i += 3) {
    if (
      image.rgb[i]! > threshold ||
      image.rgb[i + 1]! > threshold ||
      image.rgb[i + 2]! > threshold
    ) {
      count += 1;
    }
  }
  return count;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** Encodes the image as an 8-bit RGB PNG. */
export function toPng(image: ScreenImage): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(image.width, 0);
  header.writeUInt32BE(image.height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((image.width * 3 + 1) * image.height);
  for (let y = 0; y < image.height; y++) {
    image.rgb.copy(
      rows,
      y * (image.width * 3 + 1) + 1,
      y * image.width * 3,
      (y + 1) * image.width * 3,
    );
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
