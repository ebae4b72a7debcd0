/** The request and response schemas of /v1/keys and /v1/audit. */
import { z } from '@hono/zod-openapi';
import { KEY_CACHE_MS } from '../limits.js';
import { decimalInteger } from '../query-numbers.js';
import { NameSchema } from '../schemas.js';
import { SCOPE_NAMES } from '../scopes.js';

const ID_EXAMPLE = 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs';

export const ScopeSchema = z.enum(SCOPE_NAMES).openapi({ description: 'A scope (docs/API.md, Keys).', example: 'models:encode' });

export const CreateKeyRequestSchema = z
  .object({
    name: NameSchema.openapi({ example: 'mobile-app' }),
    scopes: z
      .array(ScopeSchema)
      .min(1)
      .max(SCOPE_NAMES.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, 'each scope at most once'),
    models: z
      .array(z.string().regex(/^[a-z2-7]{32}$/, 'a model id'))
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'The model ids the key is limited to; omitted = every model.' }),
    expiresAt: z.iso
      .datetime({ offset: true })
      .refine((at) => Date.parse(at) > Date.now(), 'must be in the future')
      .optional()
      .openapi({
        description: "When the key stops working (ISO 8601); omitted = never, or its creator's expiry when the creating key expires. Later than the creating key's own expiry: 403 (a key never outlives the key that made it).",
        example: '2027-01-01T00:00:00Z',
      }),
  })
  .strict()
  .openapi('CreateKeyRequest');

export const KeySchema = z
  .object({
    id: z.string().openapi({ example: ID_EXAMPLE }),
    name: z.string(),
    scopes: z.array(ScopeSchema),
    models: z.array(z.string()).nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable().openapi({ description: "Its own expiry; it also stops working when a key that created it expires, and is revoked with it." }),
    lastUsedAt: z.string().nullable().openapi({ description: `Accurate to the key cache's lifetime (${KEY_CACHE_MS / 1000} s).` }),
    createdBy: z.string().openapi({ description: 'The id of the key that created it (`API_TOKEN` for the bootstrap key).' }),
  })
  .openapi('Key');

export const CreatedKeySchema = KeySchema.extend({
  secret: z.string().openapi({ description: 'The key itself, shown only in this answer.', example: `esk_${ID_EXAMPLE}_ab2cd3ef4gh5ij6kl7mn2op3qr4st5uv` }),
}).openapi('CreatedKey');

export const KeyListSchema = z
  .object({
    keys: z.array(KeySchema),
    cursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last.' }),
  })
  .openapi('KeyList');

const CursorSchema = z.string().regex(/^[1-9][0-9]{0,15}$/, 'a cursor of this listing').optional().openapi({ description: 'The `cursor` of the previous page.' });

export const KeyListQuerySchema = z.object({
  limit: decimalInteger({ min: 1 }).optional().openapi({ description: 'Page size (default 100, at most MAX_LIST_LIMIT).' }),
  cursor: CursorSchema,
});

export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string().openapi({ description: 'When it happened (the first request, for a counted entry).' }),
    lastAt: z.string().openapi({ description: 'When the last request counted in it happened (= at when count is 1).' }),
    count: z.number().int().min(1).openapi({ description: 'Requests it stands for: refused (403) writes of one key on one route within AUDIT_FOLD_SECONDS are one entry.' }),
    keyId: z.string().max(64),
    keyName: z.string().max(200),
    action: z.string().max(200).openapi({ example: 'POST /v1/models/:id/train' }),
    path: z.string().max(300).openapi({ description: 'The route with its parameters filled in where they are plain (an id, a part number); a placeholder where they are not.', example: '/v1/models/q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs/train' }),
    target: z.string().max(64).nullable().openapi({ description: 'The id it created, or the id in its path; null when neither is a well-formed id.' }),
    model: z.string().max(64).nullable().openapi({ description: 'The model it was about, when there is one.' }),
    status: z.number().int(),
  })
  .openapi('AuditEntry');

export const AuditPageSchema = z
  .object({ entries: z.array(AuditEntrySchema), cursor: z.string().nullable() })
  .openapi('AuditPage');

export const AuditQuerySchema = z.object({
  limit: decimalInteger({ min: 1 }).optional().openapi({ description: 'Page size (default 20, at most MAX_LIST_LIMIT).' }),
  cursor: CursorSchema,
});
