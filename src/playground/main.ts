/**
 * The playground's script (bundled by scripts/build-assets.mjs into build/assets/playground.js):
 * train a model on a CSV, watch its loss curve and filters, encode a row, through the public API
 * with the token typed into the page. index.html and playground.css are in assets/.
 */
import type { CsvData } from '../data/csv.js';
import { api, ok } from './api.js';
import { readHyperparameters, renderHyperparameters, resetHyperparameters, setHyperparameters } from './hyperparameters.js';
import { cancelJob, trainJob, type JobRequest } from './job.js';
import { encodeRow, loadPictures, showMetrics } from './model-view.js';
import { element, errorMessage, input, setStatus, showError } from './page.js';
import { describeData, exampleCsv, parsePasted, rowText, rowsOf } from './pasted-data.js';
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
    data = parsePasted(csvField().value);
    info.textContent = describeData(data);
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
    await loadPictures(client, model.id);
  } catch (error) {
    setStatus(errorMessage(error), true);
  } finally {
    button.disabled = false;
  }
}

async function load(): Promise<void> {
  const id = input('modelId').value.trim();
  if (!id) return setStatus('Enter a model id.', true);
  setStatus('Loading…');
  try {
    const client = api();
    const model = await (await ok(await client.v1.models[':id'].$get({ param: { id } }))).json();
    setStatus(`Loaded ${model.name ?? model.id}.`);
    showMetrics(model);
    await loadPictures(client, id);
  } catch (error) {
    setStatus(errorMessage(error), true);
  }
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
  await encodeRow(api(), id, row);
}

document.addEventListener('DOMContentLoaded', () => {
  renderHyperparameters(element('hyperparameters', HTMLElement));
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
  input('shape').addEventListener('change', () => {
    const id = input('modelId').value.trim();
    if (id) void loadPictures(api(), id);
  });
  document.body.dataset.ready = 'true';
});
