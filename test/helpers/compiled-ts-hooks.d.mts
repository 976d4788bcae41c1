// Types for compiled-ts-hooks.mjs (test/layout/compiled-ts.test.ts imports it).
export function compiledSource(url: string, root?: string, out?: string): string | undefined;
export interface Loaded { format: string; source: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean }
export function load(
  url: string,
  context: { format?: string },
  nextLoad: (url: string, context: { format?: string }) => Promise<Loaded>,
): Promise<Loaded>;
