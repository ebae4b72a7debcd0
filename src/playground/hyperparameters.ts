/**
 * The hyperparameter inputs, generated from the options table (src/model/options.ts): one input
 * per model and training option, with its type, range, default and description, so the page's
 * defaults are the library's and the CLI's, and a new option appears here by itself.
 */
import { MODEL_OPTIONS, TRAINING_OPTIONS, type OptionSpec, type ValueOf } from '../model/options.js';

type Values<T extends Record<string, OptionSpec>> = { -readonly [K in keyof T]?: ValueOf<T[K]> };
export type ConfigValues = Values<typeof MODEL_OPTIONS>;
export type TrainingValues = Values<typeof TRAINING_OPTIONS>;

const TABLES = { config: MODEL_OPTIONS, training: TRAINING_OPTIONS } as const;
const entries = (table: Record<string, OptionSpec>) => Object.entries(table);

/** The input (or select) of one option; its id is the option's key, as in the API's JSON. */
function field(key: string, spec: OptionSpec): HTMLElement {
  const wrapper = document.createElement('div');
  wrapper.className = 'field';
  const label = document.createElement('label');
  label.htmlFor = key;
  label.textContent = key;
  let control: HTMLInputElement | HTMLSelectElement;
  if (spec.type === 'choice') {
    control = document.createElement('select');
    for (const choice of spec.choices) {
      const option = document.createElement('option');
      option.value = option.textContent = choice;
      option.selected = choice === spec.default;
      control.appendChild(option);
    }
  } else {
    control = document.createElement('input');
    control.type = 'number';
    control.step = spec.type === 'integer' ? '1' : 'any';
    // Only inclusive bounds are attributes; an exclusive one (ρ in (0, 1)) is the API's to refuse, with a message.
    if (spec.range.min !== undefined && !spec.range.minExclusive) control.min = String(spec.range.min);
    if (spec.range.max !== undefined && !spec.range.maxExclusive) control.max = String(spec.range.max);
    if (spec.default === null) control.placeholder = 'auto';
    else control.value = String(spec.default);
  }
  control.id = key;
  control.title = spec.description;
  const hint = document.createElement('small');
  hint.textContent = spec.description;
  // appendChild, not append: @cloudflare/workers-types' HTMLRewriter Element merges into the DOM's and retypes append.
  for (const child of [label, control, hint]) wrapper.appendChild(child);
  return wrapper;
}

/** Fills `container` with the inputs, model options first. */
export function renderHyperparameters(container: HTMLElement): void {
  container.replaceChildren(...Object.values(TABLES).flatMap((table) => entries(table).map(([key, spec]) => field(key, spec))));
}

function valueOf(key: string, spec: OptionSpec): string | number | undefined {
  const control = document.getElementById(key);
  if (control instanceof HTMLSelectElement) return control.value;
  if (!(control instanceof HTMLInputElement)) throw new Error(`playground: no input for option ${key}`);
  // A number input with text it cannot read reports an empty value; say so rather than fall back to the default.
  if (control.validity.badInput) throw new Error(`${key}: not a number`);
  const text = control.value.trim();
  if (text === '') return undefined;
  return spec.type === 'choice' ? text : Number(text);
}

/** The form's options, as the bodies of POST /v1/models and POST /v1/jobs take them; empty inputs are left out (their defaults apply). */
export function readHyperparameters(): { config: ConfigValues; training: TrainingValues } {
  const read = (table: Record<string, OptionSpec>) => {
    const out: Record<string, string | number> = {};
    for (const [key, spec] of entries(table)) {
      const value = valueOf(key, spec);
      if (value !== undefined) out[key] = value;
    }
    return out;
  };
  return { config: read(MODEL_OPTIONS) as ConfigValues, training: read(TRAINING_OPTIONS) as TrainingValues };
}

/** Sets some inputs (a preset); the others keep what they have. */
export function setHyperparameters(values: ConfigValues & TrainingValues): void {
  for (const [key, value] of Object.entries(values)) {
    const control = document.getElementById(key);
    if (control instanceof HTMLInputElement || control instanceof HTMLSelectElement) control.value = String(value);
  }
}

/** Every input back to the options table's default. */
export function resetHyperparameters(): void {
  for (const table of Object.values(TABLES)) {
    for (const [key, spec] of entries(table)) {
      const control = document.getElementById(key);
      if (control instanceof HTMLInputElement || control instanceof HTMLSelectElement) control.value = spec.default === null ? '' : String(spec.default);
    }
  }
}
