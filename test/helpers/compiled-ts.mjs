// `node --import=./test/helpers/compiled-ts.mjs x.test.ts` (package.json "tap" "node-arg"): runs
// the TypeScript test files and the sources they import, from .test-build/ when it is up to date
// (see compiled-ts-hooks.mjs).
import { register } from 'node:module';

register('./compiled-ts-hooks.mjs', import.meta.url);
