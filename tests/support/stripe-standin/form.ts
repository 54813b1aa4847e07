/**
 * Request decoding. Stripe's API takes form-encoded bracket syntax (`metadata[invoice]=INV-1`,
 * `expand[0]=latest_charge`, `line_items[0][price_data][currency]=usd`); qs decodes it into nested
 * values, and ParamReader turns those into typed values with Stripe's validation errors.
 */
import { REMOVED_PARAMS } from './params';
import qs from 'qs';
import { StripeApiError } from './errors';
import type { Json, JsonObject, Metadata } from './types';

export type Param = string | Param[] | Params;
export interface Params {
  [key: string]: Param;
}

function toParam(value: unknown): Param | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return '';
  if (Array.isArray(value)) {
    const items: Param[] = [];
    for (const item of value) {
      const converted = toParam(item);
      if (converted !== undefined) items.push(converted);
    }
    return items;
  }
  if (typeof value === 'object') return toParams(value);
  return undefined;
}

function toParams(value: object): Params {
  const out: Params = {};
  for (const [key, item] of Object.entries(value)) {
    const converted = toParam(item);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

export function decodeForm(body: string): Params {
  // Generous limits: Stripe accepts long line_items arrays and deep payment_method_options.
  const parsed: unknown = qs.parse(body, { depth: 20, arrayLimit: 1000, parameterLimit: 10_000 });
  return typeof parsed === 'object' && parsed !== null ? toParams(parsed) : {};
}

/** Control routes take JSON; values are converted to the same Param shape so one reader serves both. */
export function jsonToParams(value: unknown): Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? toParams(value) : {};
}

export function parseJsonObject(body: string): JsonObject {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw StripeApiError.invalidRequest('Invalid JSON body.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw StripeApiError.invalidRequest('Expected a JSON object body.');
  }
  return parsed as JsonObject; // JSON.parse only yields Json values
}

export interface MetadataPatch {
  clear: boolean;
  set: Metadata;
  unset: string[];
}

const METADATA_MAX_KEYS = 50;
const METADATA_MAX_KEY_LENGTH = 40;
const METADATA_MAX_VALUE_LENGTH = 500;

/** Applies Stripe's metadata semantics: `metadata=` clears, `metadata[k]=` unsets k, others merge. */
export function applyMetadata(current: Metadata, patch: MetadataPatch | undefined, param = 'metadata'): Metadata {
  if (!patch) return { ...current };
  const next: Metadata = patch.clear ? {} : { ...current };
  for (const key of patch.unset) delete next[key];
  for (const [key, value] of Object.entries(patch.set)) next[key] = value;
  if (Object.keys(next).length > METADATA_MAX_KEYS) {
    throw StripeApiError.invalidRequest(
      `Invalid ${param}: metadata can have up to ${METADATA_MAX_KEYS} keys.`,
      param,
      'parameter_invalid_empty',
    );
  }
  return next;
}

export class ParamReader {
  constructor(
    readonly params: Params,
    private readonly prefix = '',
  ) {}

  name(key: string): string {
    return this.prefix ? `${this.prefix}[${key}]` : key;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.params, key);
  }

  keys(): string[] {
    return Object.keys(this.params);
  }

  /** Stripe rejects parameters it does not know: "Received unknown parameter: foo". */
  assertKnown(allowed: readonly string[]): void {
    for (const key of this.keys()) {
      if (allowed.includes(key)) continue;
      const removed = REMOVED_PARAMS[key];
      // Stripe's "Received unknown parameter" (400, invalid_request_error, param), with the reason.
      if (removed)
        throw StripeApiError.invalidRequest(
          `Received unknown parameter: ${this.name(key)}. ${removed}`,
          this.name(key),
          'parameter_unknown',
        );
      throw StripeApiError.parameterUnknown(this.name(key));
    }
  }

  private raw(key: string): Param | undefined {
    return this.has(key) ? this.params[key] : undefined;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw StripeApiError.invalidRequest(
        `Invalid string: ${JSON.stringify(value)}`,
        this.name(key),
        'parameter_invalid_string',
      );
    }
    return value;
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined || value === '') throw StripeApiError.parameterMissing(this.name(key));
    return value;
  }

  /** Empty string means "unset" in Stripe's API (the SDK sends `description=` for ''/null). */
  nullableString(key: string): string | null | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    return value === '' ? null : value;
  }

  integer(key: string): number | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value.trim())) {
      throw StripeApiError.invalidRequest(`Invalid integer: ${value}`, this.name(key), 'parameter_invalid_integer');
    }
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) {
      throw StripeApiError.invalidRequest(`Invalid integer: ${value}`, this.name(key), 'parameter_invalid_integer');
    }
    return parsed;
  }

  requiredInteger(key: string): number {
    const value = this.integer(key);
    if (value === undefined) throw StripeApiError.parameterMissing(this.name(key));
    return value;
  }

  boolean(key: string): boolean | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw StripeApiError.invalidRequest(`Invalid boolean: ${value}`, this.name(key), 'parameter_invalid_boolean');
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const match = values.find((candidate) => candidate === value);
    if (match === undefined) {
      throw StripeApiError.invalidRequest(
        `Invalid ${this.name(key)}: must be one of ${values.join(', ')}`,
        this.name(key),
        'parameter_invalid_string',
      );
    }
    return match;
  }

  stringArray(key: string): string[] | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === '') return [];
    const items = Array.isArray(value) ? value : typeof value === 'object' ? Object.values(value) : undefined;
    if (!items || !items.every((item): item is string => typeof item === 'string')) {
      throw StripeApiError.invalidRequest(`Invalid array`, this.name(key), 'parameter_invalid_array');
    }
    return items;
  }

  object(key: string): ParamReader | undefined {
    const value = this.raw(key);
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw StripeApiError.invalidRequest(`Invalid object`, this.name(key), 'parameter_invalid_object');
    }
    return new ParamReader(value, this.name(key));
  }

  objectArray(key: string): ParamReader[] | undefined {
    const value = this.raw(key);
    if (value === undefined || value === '') return undefined;
    const items = Array.isArray(value) ? value : typeof value === 'object' ? Object.values(value) : undefined;
    if (!items) throw StripeApiError.invalidRequest(`Invalid array`, this.name(key), 'parameter_invalid_array');
    return items.map((item, index) => {
      if (typeof item !== 'object' || Array.isArray(item)) {
        throw StripeApiError.invalidRequest(
          `Invalid object`,
          `${this.name(key)}[${index}]`,
          'parameter_invalid_object',
        );
      }
      return new ParamReader(item, `${this.name(key)}[${index}]`);
    });
  }

  metadata(key = 'metadata'): MetadataPatch | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === '') return { clear: true, set: {}, unset: [] };
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw StripeApiError.invalidRequest(`Invalid object`, this.name(key), 'parameter_invalid_object');
    }
    const patch: MetadataPatch = { clear: false, set: {}, unset: [] };
    for (const [metaKey, metaValue] of Object.entries(value)) {
      if (typeof metaValue !== 'string') {
        throw StripeApiError.invalidRequest(
          `Invalid string: ${JSON.stringify(metaValue)}`,
          `${this.name(key)}[${metaKey}]`,
        );
      }
      if (metaKey.length > METADATA_MAX_KEY_LENGTH) {
        throw StripeApiError.invalidRequest(
          `Metadata keys can have up to ${METADATA_MAX_KEY_LENGTH} characters; "${metaKey}" has ${metaKey.length}.`,
          `${this.name(key)}[${metaKey}]`,
        );
      }
      if (metaValue.length > METADATA_MAX_VALUE_LENGTH) {
        throw StripeApiError.invalidRequest(
          `Metadata values can have up to ${METADATA_MAX_VALUE_LENGTH} characters; "${metaKey}" has ${metaValue.length}.`,
          `${this.name(key)}[${metaKey}]`,
        );
      }
      if (metaValue === '') patch.unset.push(metaKey);
      else patch.set[metaKey] = metaValue;
    }
    return patch;
  }

  /** Loose JSON view of a sub-object (stored verbatim, e.g. shipping). */
  json(key: string): JsonObject | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return paramsToJson(value);
  }
}

function paramToJson(value: Param): Json {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(paramToJson);
  return paramsToJson(value);
}

function paramsToJson(value: Params): JsonObject {
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = paramToJson(item);
  return out;
}
