#!/usr/bin/env node
// wrangler's [build] command: builds the kernels only when they are missing or older than their
// sources, so `npm ci && npm run dev` works on a fresh checkout while a restart of `wrangler dev`
// (or a test starting it) does not rewrite build/*.wasm under other processes reading it.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

// the production kernels (asconfig.json: portable, relaxed and the threads' shared-memory build) and the bench-only roofline build (asconfig.bench.json)
const outputs = ['build/kernels.wasm', 'build/kernels-relaxed.wasm', 'build/kernels-shared.wasm', 'build/bench-roofline.wasm', 'build/bench-roofline-relaxed.wasm'];
const sources = [
  'asconfig.json',
  'asconfig.bench.json',
  ...readdirSync('assembly', { recursive: true }).map((name) => join('assembly', String(name))),
];

const newestSource = Math.max(...sources.map((path) => statSync(path).mtimeMs));
const stale = outputs.some((path) => !existsSync(path) || statSync(path).mtimeMs < newestSource);
if (stale) {
  execSync('npm run build:wasm', { stdio: 'inherit' });
} else {
  console.log('kernels up to date (build/*.wasm newer than assembly/)');
}
