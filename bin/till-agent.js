#!/usr/bin/env node
// Entry point: loads the TypeScript sources through tsx so there is one code path
// for the demo, the tests and the service.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../agent/main.ts');
const code = await main(process.argv.slice(2));
// Exit explicitly: a command has finished its own clean shutdown by now, and a stray
// timer or socket in a dependency must not keep a stopped service alive.
process.exit(code);
