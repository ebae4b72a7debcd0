/**
 * `npm run docs`: writes every generated region of the README and docs (the problem types, the
 * limits, the bundle size, the options table, the CLI synopsis, the fuzz suite's route count, the
 * scopes and the key cache bound of docs/API.md's Keys, the encode load table from bench/encode-load.json,
 * the sparsity figures of the presets on the sample data and their pictures; where each lives: targets.ts);
 * test/docs/generated-docs.test.ts
 * fails when one is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEncodeLoad, type LoadResults } from '../../bench/encode-load-table.js';
import { renderEncodeModel, type SuiteResults } from '../../bench/encode-model-table.js';
import { renderThreads, type ThreadsResults } from '../../bench/threads-table.js';
import { renderShards, type ShardsResults } from '../../bench/e2e-shards-table.js';
import { renderModelParts, type ModelPartsFigures } from '../../bench/model-parts-table.js';
import { renderArchitectureList, renderArchitectures } from './architectures.js';
import { renderSaeFormatList, renderSaeFormats } from './sae-formats.js';
import { measureBundle, renderBundle } from './bundle.js';
import { renderCliSynopsis } from './cli.js';
import { renderCliWalk } from './cli-walk.js';
import { renderFuzzRoutes } from './fuzz-routes.js';
import { renderKeyCacheBound, renderScopes } from './keys.js';
import { renderLimits } from './limits.js';
import { openApiDocument } from './openapi.js';
import { renderOptions } from './options.js';
import { renderProblemTypes } from './problem-types.js';
import { writeRegion } from './regions.js';
import { measureSparsity, pictureFiles, renderSparsity } from './sparsity.js';
import { REGION_FILES } from './targets.js';

const ROOT = resolve(import.meta.dirname, '../..');

writeRegion(resolve(ROOT, 'docs/API.md'), 'problem-types', renderProblemTypes());
writeRegion(resolve(ROOT, 'docs/API.md'), 'limits', renderLimits());
writeRegion(resolve(ROOT, REGION_FILES.options), 'options', renderOptions());
writeRegion(resolve(ROOT, REGION_FILES.architectures), 'architectures', renderArchitectures());
writeRegion(resolve(ROOT, REGION_FILES.saeFormats), 'sae-formats', renderSaeFormats());
writeRegion(resolve(ROOT, REGION_FILES.architectureList), 'architecture-list', renderArchitectureList());
writeRegion(resolve(ROOT, REGION_FILES.saeFormatList), 'sae-format-list', renderSaeFormatList());
for (const file of REGION_FILES.cli) writeRegion(resolve(ROOT, file), 'cli', renderCliSynopsis());
const doc = await openApiDocument();
writeRegion(resolve(ROOT, REGION_FILES.fuzzRoutes), 'fuzz-routes', renderFuzzRoutes(doc));
writeRegion(resolve(ROOT, 'docs/API.md'), 'scopes', renderScopes(doc));
writeRegion(resolve(ROOT, 'docs/API.md'), 'key-cache-bound', renderKeyCacheBound());
writeRegion(resolve(ROOT, REGION_FILES.encodeLoad), 'encode-load', renderEncodeLoad(JSON.parse(readFileSync(resolve(ROOT, 'bench/encode-load.json'), 'utf8')) as LoadResults));
writeRegion(resolve(ROOT, REGION_FILES.e2eShards), 'e2e-shards', renderShards(JSON.parse(readFileSync(resolve(ROOT, 'bench/e2e-shards.json'), 'utf8')) as ShardsResults));
writeRegion(resolve(ROOT, REGION_FILES.modelParts), 'model-parts', renderModelParts(JSON.parse(readFileSync(resolve(ROOT, 'bench/workerd-model-parts.json'), 'utf8')) as ModelPartsFigures));
writeRegion(resolve(ROOT, REGION_FILES.threads), 'threads', renderThreads(JSON.parse(readFileSync(resolve(ROOT, 'bench/threads.json'), 'utf8')) as ThreadsResults));
const suiteFile = (name: string): SuiteResults => JSON.parse(readFileSync(resolve(ROOT, `bench/${name}.json`), 'utf8')) as SuiteResults;
writeRegion(resolve(ROOT, REGION_FILES.encodeModel), 'encode-model', renderEncodeModel(suiteFile('encode-model'), suiteFile('encode-memory')));
writeRegion(resolve(ROOT, REGION_FILES.bundle), 'bundle', renderBundle(measureBundle()));
const sparsity = await measureSparsity();
for (const file of REGION_FILES.sparsity) writeRegion(resolve(ROOT, file), 'sparsity', renderSparsity(sparsity));
for (const picture of pictureFiles(sparsity)) writeFileSync(resolve(ROOT, picture.path), picture.bytes);
writeRegion(resolve(ROOT, REGION_FILES.cliWalk), 'cli-walk', await renderCliWalk());
console.log("docs: problem types, limits, options, architectures, imported formats, CLI synopsis, fuzz route count, scopes, key cache bound, encode load table, sharded encoder table, model-parts table, threads table, encode-model table, bundle size, sparsity figures and pictures, the output of the README's CLI walk written");
