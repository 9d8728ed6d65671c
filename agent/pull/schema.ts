/**
 * The config of a pull route's callers (`routes[].callers`, docs/pull-mode.md): who may pull
 * through the route, and as which recipient their pulls are counted and decided. Kept here so
 * config/schema.ts only names it. Keys are never inline: a file, an environment variable, or the
 * key's SHA-256 (hex) so the config itself holds no secret.
 */
import { Type, type Static } from '@sinclair/typebox';

export const CallerSchema = Type.Object(
  {
    /** The overseas recipient: filings' `covers.recipients` and `declared.recipients` name it. */
    name: Type.String({ minLength: 1 }),
    country: Type.String({ pattern: '^[A-Z]{2}$' }),
    /** Where the caller's API key is read: a file or an environment variable (one of them). */
    apiKey: Type.Optional(
      Type.Object(
        { file: Type.Optional(Type.String({ minLength: 1 })), env: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })) },
        { additionalProperties: false },
      ),
    ),
    /** The SHA-256 of the caller's API key, 64 hex digits (instead of apiKey). */
    apiKeySha256: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{64}$' })),
    /** Source networks (CIDR, IPv4 or IPv6) the caller connects from. */
    networks: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  },
  { additionalProperties: false },
);

export type RawCaller = Static<typeof CallerSchema>;

/** Header carrying a caller's API key, unless `routes[].callerHeader` names another. */
export const DEFAULT_CALLER_HEADER = 'x-api-key';
