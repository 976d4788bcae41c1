#!/usr/bin/env node
// Entry point: loads the TypeScript sources through tsx so there is one code path
// for the demo, the tests and the service.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../agent/main.ts');
process.exitCode = await main(process.argv.slice(2));
