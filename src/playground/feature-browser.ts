/**
 * The feature browser (section 6): stores the page's data as a dataset, runs a features job on the
 * model, then shows the density histogram, a list sortable by frequency or max activation, the
 * chosen feature's card (top rows as images when a row is a square picture, as row numbers and
 * labels otherwise; interval samples; nearest features) and which features a pasted row lights
 * up. Built with the DOM (server text only ever as text, the histogram as a parsed SVG).
 */
import type { FeatureSummary } from '../features/feature-stats.js';
import { histogramSvg, rowImageUri, squareSide } from '../features/cards.js';
import { renderDensityHistogramSvg } from '../viz/density.js';
import { ApiError } from './api.js';
import { element, errorMessage, input, showError, showSvg } from './page.js';

type FeatureRow = FeatureSummary['top'][number];
interface ListItem {
  index: number;
  frequency: number;
  meanActivation: number;
  maxActivation: number;
}
interface ExplainedFeature {
  index: number;
  value: number;
  frequency: number;
  maxActivation: number;
  topLabels: string[];
  topRows: number[];
}

/** The page's rows (what the dataset holds: row i of the job is rows[i]) and the model. */
let rows: number[][] = [];
let modelId = '';

/** A JSON call to the API with the page's token; a problem becomes an ApiError with its detail. */
async function call<T>(path: string, init: { method?: string; json?: unknown } = {}): Promise<T> {
  const token = input('token').value.trim();
  const res = await fetch(path, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await res.text();
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const problem = JSON.parse(text) as { title?: string; detail?: string };
      message = `${problem.title ?? message}${problem.detail ? `: ${problem.detail}` : ''}`;
    } catch {
      // not problem details
    }
    throw new ApiError(res.status, message);
  }
  return JSON.parse(text) as T;
}

const num = (v: number) => String(Number(v.toPrecision(3)));
const pct = (f: number) => (f === 0 ? '0' : f < 0.001 ? `${num(f * 100)}%` : `${(f * 100).toFixed(1)}%`);
const status = (text: string) => void (element('features-status', HTMLElement).textContent = text);

function make<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className !== undefined) node.className = className;
  return node;
}

/** Appends `children` to `parent` in order. */
function add(parent: HTMLElement, ...children: Node[]): void {
  for (const child of children) parent.appendChild(child);
}

/** A row of the data as an image (square rows) or as its label / row number. */
function example(r: FeatureRow): HTMLElement {
  const side = squareSide(rows[0]?.length ?? 0);
  const values = rows[r.row];
  // Explain's top rows come without their values (NaN): the caption is then the row alone.
  const caption = `${r.label ? r.label : `row ${r.row}`}${Number.isNaN(r.value) ? '' : ` · ${num(r.value)}`}`;
  if (side !== null && values !== undefined) {
    const figure = make('figure', undefined, 'ex');
    const img = make('img');
    img.src = rowImageUri(values, side);
    // At least 48 pixels a side: a 4×4 row is a picture too, not a speck.
    img.width = Math.max(48, side * 2);
    img.height = Math.max(48, side * 2);
    img.alt = `row ${r.row}`;
    figure.appendChild(img);
    figure.appendChild(make('figcaption', caption));
    return figure;
  }
  return make('li', caption, 'ex');
}

function examples(list: readonly FeatureRow[]): HTMLElement {
  const box = make(squareSide(rows[0]?.length ?? 0) === null ? 'ol' : 'div', undefined, 'examples');
  for (const item of list) box.appendChild(example(item));
  return box;
}

/** Feature j's card, from GET /v1/models/{id}/features/{j}. */
async function showCard(j: number): Promise<void> {
  const box = element('feature-card', HTMLElement);
  try {
    const { statistics: f } = await call<{ feature: number; decoder: number[]; statistics: FeatureSummary | null }>(`/v1/models/${modelId}/features/${j}`);
    if (f === null) throw new Error('No statistics for this model yet: gather them first.');
    for (const b of element('features-list', HTMLElement).querySelectorAll('button')) b.classList.toggle('chosen', b.dataset.feature === String(j));
    const card = make('article', undefined, 'card');
    card.id = `feature-${j}`;
    add(card, make('h3', `Feature ${j}`), make('p', `frequency ${pct(f.frequency)} · mean ${num(f.meanActivation)} · max ${num(f.maxActivation)}`, 'stats'));
    const hist = make('div');
    if (f.histogram.counts.length > 0) showSvg(hist, histogramSvg(f).replace('<svg ', '<svg xmlns="http://www.w3.org/2000/svg" '));
    else hist.textContent = 'never active';
    add(card, hist, make('h4', `Top ${f.top.length}`), examples(f.top));
    for (const q of f.quantileSamples.filter((s) => s.rows.length > 0)) add(card, make('h4', `(${num(q.lower)}, ${num(q.upper)}] · ${q.count} rows`), examples(q.rows));
    if (f.neighbours.length > 0) {
      const list = make('ul', undefined, 'neighbours');
      for (const n of f.neighbours) {
        const li = make('li');
        const button = make('button', `#${n.index}`);
        button.type = 'button';
        button.addEventListener('click', () => void showCard(n.index));
        add(li, button, document.createTextNode(` ${num(n.cosine)}`));
        list.appendChild(li);
      }
      add(card, make('h4', 'Nearest by decoder cosine'), list);
    }
    box.replaceChildren(card);
  } catch (error) {
    showError(box, error);
  }
}

/** The density histogram and the list, in the chosen order. */
async function showList(): Promise<void> {
  const select = document.getElementById('features-sort');
  const sort = select instanceof HTMLSelectElement ? select.value : 'frequency';
  const page = await call<{ items: ListItem[]; hiddenSize: number }>(`/v1/models/${modelId}/features?sort=${sort}&limit=1000`);
  showSvg(element('features-density', HTMLElement), renderDensityHistogramSvg(page.items.map((f) => f.frequency), { width: 480, height: 260 }));
  const list = element('features-list', HTMLElement);
  list.replaceChildren(
    ...page.items.map((f) => {
      const li = make('li');
      const button = make('button', `#${f.index} · ${pct(f.frequency)} · max ${num(f.maxActivation)}`);
      button.type = 'button';
      button.dataset.feature = String(f.index);
      button.addEventListener('click', () => void showCard(f.index));
      li.appendChild(button);
      return li;
    }),
  );
  const first = page.items.find((f) => f.frequency > 0) ?? page.items[0];
  if (first) await showCard(first.index);
}

/** Stores `data` (with each row's label, if any) as a dataset, runs a features job on `id` over it, and shows the result. */
export async function gatherFeatures(id: string, data: number[][], labels?: string[]): Promise<void> {
  const button = element('gather-features', HTMLButtonElement);
  button.disabled = true;
  try {
    rows = data;
    modelId = id;
    status('Storing the data as a dataset…');
    const dataset = await call<{ id: string }>('/v1/datasets', { json: { data, ...(labels === undefined ? {} : { labels }) } });
    status('Gathering feature statistics…');
    let job = await call<{ id: string; status: string; step: number; steps: number; error: { detail: string } | null }>(`/v1/models/${id}/features`, { json: { datasetId: dataset.id } });
    while (job.status === 'queued' || job.status === 'running') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      job = await call(`/v1/feature-jobs/${job.id}`);
      status(`Gathering feature statistics… step ${job.step} of ${job.steps}`);
    }
    if (job.status !== 'succeeded') throw new Error(`The features job ${job.status}${job.error ? `: ${job.error.detail}` : ''}`);
    status(`Statistics of ${data.length} rows.`);
    await showList();
  } catch (error) {
    status(errorMessage(error));
  } finally {
    button.disabled = false;
  }
}

/** Re-sorts the list (after a features job). */
export async function resortFeatures(): Promise<void> {
  if (modelId) await showList().catch((error: unknown) => status(errorMessage(error)));
}

/** Which features a pasted row lights up, each with its frequency and its top rows. */
export async function explainRow(id: string, row: number[]): Promise<void> {
  const out = element('explain-result', HTMLElement);
  try {
    const { rows: answered } = await call<{ rows: ExplainedFeature[][] }>(`/v1/models/${id}/explain`, { json: { input: row, top: 5 } });
    const list = make('ol', undefined, 'explained');
    for (const f of answered[0] ?? []) {
      const li = make('li');
      const button = make('button', `#${f.index}`);
      button.type = 'button';
      button.addEventListener('click', () => void showCard(f.index));
      add(li, button, document.createTextNode(` ${num(f.value)} (fires on ${pct(f.frequency)} of rows, max ${num(f.maxActivation)}) `));
      li.appendChild(examples(f.topRows.slice(0, 5).map((r, k) => ({ row: r, value: NaN, label: f.topLabels[k] ?? '' }))));
      list.appendChild(li);
    }
    out.replaceChildren(answered[0]?.length ? list : make('p', 'No feature is active on this row.'));
  } catch (error) {
    showError(out, error);
  }
}

