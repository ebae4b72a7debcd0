#!/usr/bin/env node
// The edge-sae command: runs the compiled CLI in dist/, which `npm ci` builds in a clone (the
// prepare script) and the package ships. Without it, say what to run rather than die with Node's
// ERR_MODULE_NOT_FOUND stack trace.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\/]$/, '');
  process.stderr.write(`edge-sae: the CLI is not built (${fileURLToPath(main)} is missing): run \`npm run build\` in ${root} (npm ci runs it too)\n`);
  process.exit(1);
}
const { runAsProcess } = await import(main.href);
await runAsProcess();
