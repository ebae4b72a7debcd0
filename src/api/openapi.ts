/**
 * What every route's OpenAPI description shares: the bearer security scheme and the problem
 * responses of auth, rate limiting, storage and input, so the route files state only what is
 * their own and no route forgets one (test/worker/access.test.ts checks the document).
 */
import type { Access } from './auth.js';
import { ProblemSchema } from './schemas.js';

/** The security scheme's name in the document's components. */
export const BEARER_AUTH = 'bearerAuth';

/** The scheme itself, registered once by the app. */
export const BEARER_AUTH_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  description:
    'A managed key (`esk_…`, POST /v1/keys) with the scope each operation lists, API_TOKEN (every scope) or one of ENCODE_TOKENS (models:read, models:encode, datasets:read, jobs:read).',
} as const;

/**
 * A route's `security`: a bearer token. The document lists each operation's scope in it
 * (`withScopes` in app.ts fills them in from scopes.ts).
 */
export const security = [{ [BEARER_AUTH]: [] as string[] }];

/** A problem+json response with this description. */
export const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

const errors = {
  401: problem('Missing, invalid, revoked or expired token.'),
  403: problem('The token lacks the scope this operation lists, or is limited to other models (an encode-only token on a write).'),
  429: problem('The token is over its rate limit; retry after Retry-After seconds.'),
  503: problem('The model store (R2), the key store or the kernel backend is unavailable; a storage failure says when to retry (Retry-After).'),
};

/**
 * The error responses of every route behind `requireAccess(access)`: it authenticates (401),
 * counts the request against the token's rate limit (429) and refuses a token without the
 * route's scope (403); and the stores and backends behind a route may be unavailable (503).
 */
export const accessErrors = {
  read: errors,
  encode: errors,
  download: errors,
  write: errors,
} satisfies Record<Access, object>;

/** The error responses of a route that reads a body. */
export const inputErrors = {
  400: problem('Malformed JSON.'),
  413: problem('A limit was exceeded; the detail names it.'),
  415: problem('Unsupported content type: the detail names the media types the route takes (also in `acceptedMediaTypes`) and how curl sends one.'),
  422: problem('Invalid input; `errors` lists each field at fault.'),
};

/** The Location header of a 201 that created something: where to GET it. */
export const locationHeader = (what: string) => ({
  location: { description: `The path of the new ${what}.`, schema: { type: 'string' as const, example: `/v1/${what}s/…` } },
});

/** 404 for a route on one stored thing. */
export const notFoundResponse = (what: 'model' | 'dataset' | 'job' | 'key' | 'sweep') => ({ 404: problem(`No ${what} with this id.`) });
