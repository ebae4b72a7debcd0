/**
 * The README's count of the routes the fuzz suite calls (test/worker/fuzz.test.ts): the same
 * `routesOf` over the app's own OpenAPI document, so the count cannot go stale as routes are added.
 * An inline region inside the Reliability table's row.
 */
import { PAGE_PATHS, routesOf } from '../../test/worker/fuzz-cases.js';
import type { OpenApiDocument } from './openapi.js';

export function renderFuzzRoutes(doc: OpenApiDocument): string {
  const routes = routesOf(doc);
  const operations = routes.length - PAGE_PATHS.length;
  return `${routes.length} routes: ${operations} operations and the ${PAGE_PATHS.length} pages`;
}
