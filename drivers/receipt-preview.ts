// Writes what a printer received as a .txt and a .png preview (the demo's virtual printer,
// and `till-agent receipt preview`).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { interpret, toText, type InterpretOptions } from './escpos-interpreter.ts';
import { renderPng } from './receipt-render.ts';

export interface Preview {
  text: string;
  png: Buffer;
  /** False for jobs that print nothing (a drawer kick). */
  printable: boolean;
}

export function renderPreview(bytes: Uint8Array, options: InterpretOptions = {}): Preview {
  const doc = interpret(bytes, options);
  const printable = doc.blocks.some((b) => b.type === 'text' || b.type === 'barcode' || b.type === 'qr');
  return { text: toText(doc, options.columns), png: renderPng(doc, options.columns), printable };
}

/** Writes `<dir>/<base>.txt` and `<dir>/<base>.png`; returns their paths, or null for a job that prints nothing. */
export async function writePreview(dir: string, base: string, bytes: Uint8Array, options: InterpretOptions = {}): Promise<{ txt: string; png: string } | null> {
  const preview = renderPreview(bytes, options);
  if (!preview.printable) return null;
  await mkdir(dir, { recursive: true });
  const txt = join(dir, `${base}.txt`);
  const png = join(dir, `${base}.png`);
  await writeFile(txt, preview.text);
  await writeFile(png, preview.png);
  return { txt, png };
}
