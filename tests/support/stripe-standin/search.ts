/**
 * A subset of Stripe's Search Query Language, enough for "find the intent for invoice X":
 *   status:'succeeded' AND metadata['invoice']:'INV-1'   amount>1000   -currency:'eur'   description~'rent'
 * Clauses are joined by AND or OR (not mixed, as Stripe requires).
 *
 * Follows https://docs.stripe.com/search#search-query-language (SDK 23.1.0 PaymentIntentSearchParams: query, limit, page).
 */
import { StripeApiError } from './errors';

export type SearchAccessor<T> = (item: T, key: string) => string | number | null;

interface Clause {
  negate: boolean;
  field: string;
  key: string;
  operator: ':' | '>' | '<' | '>=' | '<=' | '~';
  value: string;
  numeric: boolean;
}

const CLAUSE = /^(-)?([a-z_]+)(?:\[(['"])(.+?)\3\])?\s*(:|>=|<=|>|<|~)\s*(?:"([^"]*)"|'([^']*)'|(-?\d+))$/;

function invalid(detail: string): StripeApiError {
  return StripeApiError.invalidRequest(`Invalid search query: ${detail}`, 'query');
}

function parseClause(text: string): Clause {
  const match = CLAUSE.exec(text.trim());
  if (!match) throw invalid(`could not parse \`${text.trim()}\``);
  const [, negate, field, , key, operator, doubleQuoted, singleQuoted, number] = match;
  return {
    negate: negate === '-',
    field,
    key: key ?? '',
    operator: operator as Clause['operator'], // the regex only admits these operators
    value: doubleQuoted ?? singleQuoted ?? number,
    numeric: number !== undefined,
  };
}

function test<T>(clause: Clause, item: T, accessor: SearchAccessor<T>): boolean {
  const actual = accessor(item, clause.key);
  let result: boolean;
  if (actual === null) {
    result = false;
  } else if (clause.operator === ':') {
    result = String(actual) === clause.value;
  } else if (clause.operator === '~') {
    result = String(actual).toLowerCase().includes(clause.value.toLowerCase());
  } else {
    const left = Number(actual);
    const right = Number(clause.value);
    result =
      clause.operator === '>'
        ? left > right
        : clause.operator === '<'
          ? left < right
          : clause.operator === '>='
            ? left >= right
            : left <= right;
  }
  return clause.negate ? !result : result;
}

export function compileSearch<T>(query: string, fields: Record<string, SearchAccessor<T>>): (item: T) => boolean {
  const hasAnd = /\sAND\s/.test(query);
  const hasOr = /\sOR\s/.test(query);
  if (hasAnd && hasOr) throw invalid('AND and OR cannot be combined in one query');
  const clauses = query.split(hasOr ? /\s+OR\s+/ : /\s+AND\s+/).map(parseClause);
  for (const clause of clauses) {
    if (!(clause.field in fields)) throw invalid(`field \`${clause.field}\` is not supported`);
    if (clause.field === 'metadata' && clause.key === '')
      throw invalid("metadata needs a key, e.g. metadata['invoice']");
  }
  return (item) => {
    const results = clauses.map((clause) => test(clause, item, fields[clause.field]));
    return hasOr ? results.some(Boolean) : results.every(Boolean);
  };
}
