/**
 * The page's elements and how the script writes into them. Server text reaches the page only as
 * text or as a parsed SVG document, never as HTML.
 */

/** The element with `id`, checked to be a `type` (a missing or different element is a bug in index.html). */
export function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`playground: #${id} is missing or not a ${type.name}`);
  return found;
}

export const input = (id: string) => element(id, HTMLInputElement);

/** The status line under the Train button. */
export function setStatus(text: string, isError = false): void {
  const status = element('status', HTMLElement);
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Shows `error` in place of the container's content. */
export function showError(container: HTMLElement, error: unknown): void {
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = errorMessage(error);
  container.replaceChildren(p);
}

/** Parses an SVG document (the server's, or the loss curve renderer's) and shows it in place of the container's content. */
export function showSvg(container: HTMLElement, text: string): SVGSVGElement | null {
  const svg = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
  if (!(svg instanceof SVGSVGElement)) {
    container.textContent = 'could not read the picture';
    return null;
  }
  const shown = document.importNode(svg, true);
  container.replaceChildren(shown);
  return shown;
}
