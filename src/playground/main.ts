/**
 * The playground's script (bundled by scripts/build-assets.mjs into build/assets/playground.js):
 * train a model on a CSV, watch its loss curve and filters, encode a row, through the public API
 * with the token typed into the page. index.html and playground.css are in assets/.
 */
import type { CsvData } from '../data/csv.js';
import { LOCAL_ADMIN_TOKEN, api, missingToken, ok, servedLocally } from './api.js';
import { numericHeaderWarningOf } from '../data/numeric-header.js';
import { readHyperparameters, renderHyperparameters, resetHyperparameters, setHyperparameters } from './hyperparameters.js';
import { cancelJob, trainJob, type JobRequest } from './job.js';
import { encodeRow, loadPictures, showMetrics } from './model-view.js';
import { explainRow, gatherFeatures, resortFeatures } from './feature-browser.js';
import { element, errorMessage, input, setStatus, showError } from './page.js';
import { describeData, exampleCsv, labelsOf, parsePasted, parsePastedData, rowText, rowsOf } from './pasted-data.js';
import { QUICK_DEMO } from './presets.js';

const TOKEN_KEY = 'edge-sae-token';
const csvField = () => element('csv', HTMLTextAreaElement);

/** The CSV as last parsed (null: empty or refused, the data line says why). */
let data: CsvData | null = null;

/** Parses the text area, says what it holds (or what is wrong, by line and column) and fills the encode field with the first row. */
function readData(): void {
  const info = element('data-info', HTMLElement);
  data = null;
  info.className = '';
  if (csvField().value.trim() === '') {
    info.textContent = '';
    return;
  }
  try {
    const labelColumn = input('label-column').value.trim();
    data = parsePastedData(csvField().value, labelColumn);
    // A first row of numbers is data by the CSV rules; one that looks like a header is said so.
    const warning = numericHeaderWarningOf(data, 'the CSV', 'if it is a header, give its columns names or delete the line');
    info.textContent = describeData(data, labelColumn) + (warning ? `. Note: ${warning}.` : '');
    if (!input('row').value) input('row').value = rowText(data, 0);
  } catch (error) {
    info.textContent = errorMessage(error);
    info.className = 'error';
  }
}

function trainRequest(rows: CsvData): JobRequest {
  const name = input('name').value.trim();
  return { data: rowsOf(rows), ...(name ? { name } : {}), ...readHyperparameters() };
}

async function train(): Promise<void> {
  if (data === null) {
    setStatus(csvField().value.trim() === '' ? 'Paste or upload a CSV first.' : `The CSV cannot be used: ${element('data-info', HTMLElement).textContent}`, true);
    return;
  }
  const noToken = missingToken('train');
  if (noToken) return setStatus(noToken, true);
  let request: JobRequest;
  try {
    request = trainRequest(data);
  } catch (error) {
    setStatus(errorMessage(error), true);
    return;
  }
  if (input('asJob').checked) return trainJob(request);
  const button = element('train', HTMLButtonElement);
  button.disabled = true;
  const started = Date.now();
  setStatus('Training…');
  try {
    const client = api();
    const model = await (await ok(await client.v1.models.$post({ json: request, query: {} }))).json();
    setStatus(`Trained ${model.lossHistory.length} epochs in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    input('modelId').value = model.id;
    showMetrics(model);
    await loadPictures(client, model.id, request.data);
  } catch (error) {
    setStatus(errorMessage(error), true);
  } finally {
    button.disabled = false;
  }
}

async function load(): Promise<void> {
  const id = input('modelId').value.trim();
  if (!id) return setStatus('Enter a model id.', true);
  const noToken = missingToken('load a model');
  if (noToken) return setStatus(noToken, true);
  setStatus('Loading…');
  try {
    const client = api();
    const model = await (await ok(await client.v1.models[':id'].$get({ param: { id } }))).json();
    setStatus(`Loaded ${model.name ?? model.id}.`);
    showMetrics(model);
    await loadPictures(client, id, dataFor(model.inputSize));
  } catch (error) {
    setStatus(errorMessage(error), true);
  }
}

/** The page's rows when they fit a model of `inputSize` inputs (the density picture's data), else null. */
function dataFor(inputSize: number): number[][] | null {
  return data !== null && data.cols === inputSize ? rowsOf(data) : null;
}

/** Says which token to type when the page is served from this machine, with a button that types it. */
function showLocalToken(): void {
  if (!servedLocally()) return;
  const note = element('local-token', HTMLElement);
  const code = document.createElement('code');
  code.textContent = LOCAL_ADMIN_TOKEN;
  const use = document.createElement('button');
  use.type = 'button';
  use.id = 'use-local-token';
  use.textContent = 'use it';
  use.addEventListener('click', () => {
    input('token').value = LOCAL_ADMIN_TOKEN;
    input('token').dispatchEvent(new Event('change'));
  });
  note.replaceChildren('Served from this machine (npm run dev): its admin token is ', code, '. ', use);
  note.hidden = false;
}

async function encode(): Promise<void> {
  const id = input('modelId').value.trim();
  if (!id) return showError(element('encode-result', HTMLElement), new Error('Train or load a model first.'));
  // The row by the CSV rules too: one line, so "1,,2" or "0x1f" is refused with its column.
  let row: number[];
  try {
    row = rowsOf(parsePasted(input('row').value, 'the row'))[0] ?? [];
  } catch (error) {
    return showError(element('encode-result', HTMLElement), error);
  }
  const noToken = missingToken('encode');
  if (noToken) return showError(element('encode-result', HTMLElement), new Error(noToken));
  await encodeRow(api(), id, row);
}

/** Section 6: a features job over the page's data, then the browser. */
async function features(): Promise<void> {
  const id = input('modelId').value.trim();
  const status = element('features-status', HTMLElement);
  if (!id) return void (status.textContent = 'Train or load a model first.');
  if (data === null) return void (status.textContent = 'Paste or upload the data (step 2) first.');
  const noToken = missingToken('gather feature statistics');
  if (noToken) return void (status.textContent = noToken);
  await gatherFeatures(id, rowsOf(data), labelsOf(data));
}

async function explain(): Promise<void> {
  const id = input('modelId').value.trim();
  const out = element('explain-result', HTMLElement);
  if (!id) return showError(out, new Error('Train or load a model first.'));
  let row: number[];
  try {
    row = rowsOf(parsePasted(input('explain-row').value, 'the row'))[0] ?? [];
  } catch (error) {
    return showError(out, error);
  }
  await explainRow(id, row);
}

document.addEventListener('DOMContentLoaded', () => {
  renderHyperparameters(element('hyperparameters', HTMLElement));
  showLocalToken();
  const token = input('token');
  try {
    token.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    // storage off: the token is typed each time
  }
  token.addEventListener('change', () => {
    try {
      sessionStorage.setItem(TOKEN_KEY, token.value.trim());
    } catch {
      // storage off
    }
  });
  const replaceData = (text: string) => {
    csvField().value = text;
    input('row').value = '';
    readData();
  };
  element('example', HTMLButtonElement).addEventListener('click', () => replaceData(exampleCsv()));
  input('file').addEventListener('change', () => {
    const file = input('file').files?.[0];
    if (file) void file.text().then(replaceData);
  });
  csvField().addEventListener('input', readData);
  input('label-column').addEventListener('input', readData);
  element('preset-values', HTMLElement).textContent = Object.entries(QUICK_DEMO).map(([key, value]) => `${key} ${value}`).join(', ');
  element('preset', HTMLButtonElement).addEventListener('click', () => setHyperparameters(QUICK_DEMO));
  element('defaults', HTMLButtonElement).addEventListener('click', resetHyperparameters);
  element('train', HTMLButtonElement).addEventListener('click', () => void train());
  input('asJob').addEventListener('change', () => {
    element('train', HTMLButtonElement).textContent = input('asJob').checked ? 'Start job' : 'Train';
  });
  element('cancelJob', HTMLButtonElement).addEventListener('click', () => void cancelJob());
  element('load', HTMLButtonElement).addEventListener('click', () => void load());
  element('encode', HTMLButtonElement).addEventListener('click', () => void encode());
  element('gather-features', HTMLButtonElement).addEventListener('click', () => void features());
  document.getElementById('features-sort')?.addEventListener('change', () => void resortFeatures());
  element('explain', HTMLButtonElement).addEventListener('click', () => void explain());
  input('shape').addEventListener('change', () => {
    const id = input('modelId').value.trim();
    if (id) void loadPictures(api(), id, data ? rowsOf(data) : null);
  });
  document.body.dataset.ready = 'true';
});
