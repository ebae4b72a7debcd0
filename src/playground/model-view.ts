/** A model in the page: its metrics table, its pictures (the server's SVGs) and the codes of a row. */
import { ok, type Answer, type Api } from './api.js';
import { element, input, showError, showSvg } from './page.js';

/** What the metrics table shows of a model (the answer of a train or GET /v1/models/{id}). */
export interface ModelShown {
  id: string;
  inputSize: number;
  hiddenSize: number;
  version: number;
  backend?: string;
  metrics: Record<string, unknown> | null;
}

const METRICS = ['loss', 'reconstruction', 'weightDecay', 'sparsity', 'meanActivation', 'fvu', 'explainedVariance', 'l0', 'deadUnits', 'denseUnits'];

export function showMetrics(model: ModelShown): void {
  const rows: Array<[string, string]> = [
    ['id', model.id],
    ['size', `${model.inputSize} → ${model.hiddenSize}`],
    ['version', String(model.version)],
  ];
  if (model.backend) rows.push(['backend', model.backend]);
  for (const key of METRICS) {
    const value = model.metrics?.[key];
    if (value !== undefined && value !== null) rows.push([key, typeof value === 'number' ? String(Number(value.toPrecision(5))) : String(value)]);
  }
  element('metrics', HTMLTableElement).replaceChildren(
    ...rows.map((pair) => {
      const tr = document.createElement('tr');
      for (const value of pair) tr.insertCell().textContent = value;
      return tr;
    }),
  );
}

/** Loads the model's loss curve and filters (the shape field, "W×H", picks the filters' image shape). */
export async function loadPictures(client: Api, id: string): Promise<void> {
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
  ]);
}

/** Encodes one row and shows its hidden activations as labelled bars. */
export async function encodeRow(client: Api, id: string, row: number[]): Promise<void> {
  const out = element('encode-result', HTMLElement);
  try {
    const res = await ok(await client.v1.models[':id'].encode.$post({ param: { id }, json: { input: row } }));
    const codes = (await res.json()).codes[0] ?? [];
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
