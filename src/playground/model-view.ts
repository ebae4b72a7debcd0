/** A model in the page: its metrics table, its pictures (the server's SVGs) and the codes of a row. */
import { ok, type Answer, type Api } from './api.js';
import { element, input, showError, showSvg } from './page.js';

/** What the metrics table shows of a model (the answer of a train, or GET /v1/models/{id} with its job's validation). */
export interface ModelShown {
  id: string;
  inputSize: number;
  hiddenSize: number;
  version: number;
  backend?: string;
  metrics: Record<string, unknown> | null;
  /** With validation: the metrics on the held-out rows (a column of their own). */
  validationMetrics?: Record<string, unknown> | null;
  /** With early stopping: the epoch whose weights the model kept. */
  bestEpoch?: number | null;
}

const METRICS = ['loss', 'reconstruction', 'weightDecay', 'sparsity', 'meanActivation', 'fvu', 'explainedVariance', 'l0', 'deadUnits', 'denseUnits'];

const shown = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'number' ? String(Number(value.toPrecision(5))) : String(value));

export function showMetrics(model: ModelShown): void {
  const validation = model.validationMetrics ?? null;
  const rows: string[][] = [
    ['id', model.id],
    ['size', `${model.inputSize} → ${model.hiddenSize}`],
    ['version', String(model.version)],
  ];
  if (model.backend) rows.push(['backend', model.backend]);
  if (model.bestEpoch !== undefined && model.bestEpoch !== null) rows.push(['kept epoch', `${model.bestEpoch} (early stopping kept its weights)`]);
  if (validation) rows.push(['', 'training', `validation (${shown(validation.rows)} held-out rows)`]);
  for (const key of METRICS) {
    const value = model.metrics?.[key];
    if (value !== undefined && value !== null) rows.push(validation ? [key, shown(value), shown(validation[key])] : [key, shown(value)]);
  }
  element('metrics', HTMLTableElement).replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      const heading = cells[0] === '';
      for (const value of cells) {
        const cell = document.createElement(heading ? 'th' : 'td');
        cell.textContent = value;
        tr.appendChild(cell);
      }
      return tr;
    }),
  );
}

/**
 * Loads the model's loss curve and filters (the shape field, "W×H", picks the filters' image
 * shape), and its feature density on `rows` (the page's data; none: a note says what it needs).
 */
export async function loadPictures(client: Api, id: string, rows: number[][] | null = null): Promise<void> {
  const shape = input('shape').value.trim().replace(/\s+/g, '').replace('×', 'x');
  const model = client.v1.models[':id'];
  const show = async (container: HTMLElement, answer: Promise<Answer>) => {
    try {
      showSvg(container, await (await ok(await answer)).text());
    } catch (error) {
      showError(container, error);
    }
  };
  await Promise.all([
    show(element('loss-chart', HTMLElement), model['loss.svg'].$get({ param: { id }, query: {} })),
    show(element('filters', HTMLElement), model['filters.svg'].$get({ param: { id }, query: shape ? { shape } : {} })),
    rows === null || rows.length === 0
      ? Promise.resolve(void (element('density', HTMLElement).textContent = 'Paste or upload the data (step 2) to draw how often each unit fires on it.'))
      : show(element('density', HTMLElement), model['density.svg'].$post({ param: { id }, query: {}, json: { inputs: rows } })),
  ]);
}

/** Encodes one row and shows its hidden activations as labelled bars. */
export async function encodeRow(client: Api, id: string, row: number[]): Promise<void> {
  const out = element('encode-result', HTMLElement);
  try {
    const res = await ok(await client.v1.models[':id'].encode.$post({ param: { id }, json: { input: row } }));
    // Asked without top or threshold, the answer is the dense `codes` (the JSON answer's type covers both forms).
    const body = await res.json();
    const codes: number[] = typeof body === 'object' && 'codes' in body ? (body.codes[0] ?? []) : [];
    const summary = document.createElement('p');
    summary.className = 'summary';
    summary.textContent = `${codes.length} hidden activations (mean ${(codes.reduce((a, b) => a + b, 0) / codes.length).toFixed(3)}):`;
    const grid = document.createElement('div');
    grid.className = 'codes';
    codes.forEach((value, j) => {
      const cell = document.createElement('div');
      cell.className = 'code';
      cell.title = `unit ${j}`;
      const label = document.createElement('span');
      label.textContent = `${j}: ${value.toFixed(3)}`;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.max(1, Math.round(value * 50))}px`;
      cell.appendChild(label);
      cell.appendChild(bar);
      grid.appendChild(cell);
    });
    out.replaceChildren(summary, grid);
  } catch (error) {
    showError(out, error);
  }
}
