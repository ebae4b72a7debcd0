#!/usr/bin/env node
// The edge-sae command: runs the compiled CLI (`npm run build:ts` writes dist/).
import { runAsProcess } from '../dist/src/cli/main.js';

await runAsProcess();
