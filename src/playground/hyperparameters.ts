/**
 * The hyperparameter inputs, generated from the options table (src/model/options.ts): one input
 * per model and training option, with its type, range, default and description, so the page's
 * defaults are the library's and the CLI's, and a new option appears here by itself. They are
 * grouped (option-groups.ts); the options only other architectures use are hidden and not sent.
 */
import { MODEL_OPTIONS, TRAINING_OPTIONS, type OptionSpec, type ValueOf } from '../model/options.js';
import { GROUP_TITLES, groupOf, shownFor, type GroupId } from './option-groups.js';
import { PAGE_HELP } from './option-help.js';

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
  } else if (spec.type === 'integers') {
    // a list (matryoshka's group sizes), typed as 12,12,24
    control = document.createElement('input');
    control.type = 'text';
    control.placeholder = '12,12,24';
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
  const help = PAGE_HELP[key];
  control.title = help?.text ?? spec.description;
  const hint = document.createElement('small');
  hint.textContent = help?.text ?? spec.description;
  if (help?.link) {
    const link = document.createElement('a');
    link.href = help.link.href;
    link.textContent = help.link.label;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    hint.appendChild(document.createTextNode(' ('));
    hint.appendChild(link);
    hint.appendChild(document.createTextNode(')'));
  }
  wrapper.dataset.option = key;
  // appendChild, not append: @cloudflare/workers-types' HTMLRewriter Element merges into the DOM's and retypes append.
  for (const child of [label, control, hint]) wrapper.appendChild(child);
  return wrapper;
}

/** The architecture chosen in the form. */
function architecture(): string {
  const select = document.getElementById('architecture');
  return select instanceof HTMLSelectElement ? select.value : MODEL_OPTIONS.architecture.default;
}

/** Shows the options of the chosen architecture and hides the others' (and names it in its group's title). */
export function showArchitectureOptions(): void {
  const chosen = architecture();
  for (const wrapper of document.querySelectorAll<HTMLElement>('#hyperparameters .field')) {
    wrapper.hidden = !shownFor(wrapper.dataset.option ?? '', chosen);
  }
  const legend = document.querySelector('#group-architecture legend');
  if (legend) legend.textContent = `${GROUP_TITLES.architecture}: ${chosen}`;
}

/** Fills `container` with the inputs, one fieldset a group, in the options table's order within it. */
export function renderHyperparameters(container: HTMLElement): void {
  const groups = new Map<GroupId, HTMLFieldSetElement>();
  for (const id of Object.keys(GROUP_TITLES) as GroupId[]) {
    const fieldset = document.createElement('fieldset');
    fieldset.id = `group-${id}`;
    fieldset.className = 'group';
    const legend = document.createElement('legend');
    legend.textContent = GROUP_TITLES[id];
    const grid = document.createElement('div');
    grid.className = 'grid';
    fieldset.appendChild(legend);
    fieldset.appendChild(grid);
    groups.set(id, fieldset);
  }
  for (const table of Object.values(TABLES)) {
    for (const [key, spec] of entries(table)) groups.get(groupOf(key))!.querySelector('.grid')!.appendChild(field(key, spec));
  }
  container.replaceChildren(...groups.values());
  document.getElementById('architecture')?.addEventListener('change', showArchitectureOptions);
  showArchitectureOptions();
}

function valueOf(key: string, spec: OptionSpec): string | number | number[] | undefined {
  const control = document.getElementById(key);
  if (control instanceof HTMLSelectElement) return control.value;
  if (!(control instanceof HTMLInputElement)) throw new Error(`playground: no input for option ${key}`);
  // A number input with text it cannot read reports an empty value; say so rather than fall back to the default.
  if (control.validity.badInput) throw new Error(`${key}: not a number`);
  const text = control.value.trim();
  if (text === '') return undefined;
  if (spec.type === 'integers') return text.split(',').map((item) => Number(item.trim()));
  return spec.type === 'choice' ? text : Number(text);
}

/** The form's options, as the bodies of POST /v1/models and POST /v1/jobs take them; empty inputs are left out (their defaults apply). */
export function readHyperparameters(): { config: ConfigValues; training: TrainingValues } {
  const read = (table: Record<string, OptionSpec>) => {
    const out: Record<string, string | number | number[]> = {};
    for (const [key, spec] of entries(table)) {
      if (!shownFor(key, architecture())) continue; // another architecture's option: not this model's
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
  showArchitectureOptions();
}

/** Every input back to the options table's default. */
export function resetHyperparameters(): void {
  for (const table of Object.values(TABLES)) {
    for (const [key, spec] of entries(table)) {
      const control = document.getElementById(key);
      if (control instanceof HTMLInputElement || control instanceof HTMLSelectElement) control.value = spec.default === null ? '' : String(spec.default);
    }
  }
  showArchitectureOptions();
}
