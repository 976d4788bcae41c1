// Types of tools/build-tests.mjs for the TypeScript that imports it (through test/helpers/compiled-ts-hooks.mjs).
export const OUT_DIR: string;
export const ESBUILD_OPTIONS: Record<string, unknown>;
/** Compiles the checkout at `root` (a URL ending in '/') into its .test-build/. */
export function buildTests(root: URL): Promise<void>;
