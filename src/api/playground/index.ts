/**
 * The playground: a page at `/` to train a model on a CSV, watch its loss curve and filters, and
 * encode a row, using only the public API (the caller's token, from the browser). Three static
 * responses — the page, its script and its style — under a strict Content-Security-Policy.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { PLAYGROUND_CSS, PLAYGROUND_HTML } from './page.js';
import { PLAYGROUND_JS } from './script.js';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Inline style attributes come with the server's SVGs (image-rendering: pixelated).
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const headers = (type: string) => ({
  'content-type': type,
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy': CSP,
  'referrer-policy': 'no-referrer',
});

export const playground = new Hono<AppEnv>()
  .get('/', (c) => c.body(PLAYGROUND_HTML, 200, headers('text/html; charset=utf-8')))
  .get('/playground.js', (c) => c.body(PLAYGROUND_JS, 200, headers('text/javascript; charset=utf-8')))
  .get('/playground.css', (c) => c.body(PLAYGROUND_CSS, 200, headers('text/css; charset=utf-8')));
