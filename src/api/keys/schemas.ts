/** The request and response schemas of /v1/keys and /v1/audit. */
import { z } from '@hono/zod-openapi';
import { KEY_CACHE_MS } from '../limits.js';
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
      .openapi({ description: 'When the key stops working (ISO 8601); omitted = never.', example: '2027-01-01T00:00:00Z' }),
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
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: `Accurate to the key cache's lifetime (${KEY_CACHE_MS / 1000} s).` }),
    createdBy: z.string().openapi({ description: 'The id of the key that created it (`API_TOKEN` for the bootstrap key).' }),
  })
  .openapi('Key');

export const CreatedKeySchema = KeySchema.extend({
  secret: z.string().openapi({ description: 'The key itself, shown only in this answer.', example: `esk_${ID_EXAMPLE}_ab2cd3ef4gh5ij6kl7mn2op3qr4st5uv` }),
}).openapi('CreatedKey');

export const KeyListSchema = z.object({ keys: z.array(KeySchema) }).openapi('KeyList');

export const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    at: z.string(),
    keyId: z.string(),
    keyName: z.string(),
    action: z.string().openapi({ example: 'POST /v1/models/:id/train' }),
    path: z.string(),
    target: z.string().nullable(),
    status: z.number().int(),
  })
  .openapi('AuditEntry');

export const AuditPageSchema = z
  .object({ entries: z.array(AuditEntrySchema), cursor: z.string().nullable() })
  .openapi('AuditPage');

export const AuditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).optional().openapi({ description: 'Page size (default 20, at most MAX_LIST_LIMIT).' }),
  cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a cursor of this listing').optional().openapi({ description: 'The `cursor` of the previous page.' }),
});
