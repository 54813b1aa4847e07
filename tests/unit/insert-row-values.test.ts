import { toDB } from '../../server/src/utils/insert-row';

/**
 * The plugin's set-based writes (insertNow, updateRows) convert values as Strapi's own fields do
 * before they reach the database: a row they write must be the row create()/update() would have
 * written. Strapi's field classes are the reference (not exported by @strapi/database's entry).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Strapi's internal module, no types
const { createField } = require('@strapi/database/dist/fields/index.js') as {
  createField(attribute: { type: string }): { toDB(value: unknown): unknown };
};

const samples: Record<string, unknown[]> = {
  string: ['a', '', 'ü €', 12, null],
  text: ['line\nline', null],
  enumeration: ['paid', null],
  integer: [0, 1827, -5, '42', ' 7 ', null],
  float: [1.5, '2.25', null],
  decimal: [1827.5, '0.001', null],
  biginteger: [9007199254740991, '123456789012345678', null],
  boolean: [true, false, 'true', 't', '1', 1, 'false', 'f', '0', 0, null],
  json: [{ a: 1 }, [1, 'x'], null],
};

for (const [type, values] of Object.entries(samples)) {
  it(`${type}: the value Strapi's field would store`, () => {
    for (const value of values) {
      // Strapi's entity manager writes null as null, without its field (processData).
      const strapis = value === null ? null : createField({ type }).toDB(value);
      expect([value, toDB(type, value)]).toEqual([value, strapis]);
    }
  });
}

it('refuses what it cannot convert as Strapi does, so the batch is settled one by one instead', () => {
  expect(() => toDB('integer', 'twelve')).toThrow();
  expect(() => toDB('integer', '')).toThrow();
  expect(() => toDB('decimal', Number.NaN)).toThrow();
  // A datetime is written from a Date only (Strapi also parses strings; the plugin never passes one).
  expect(() => toDB('datetime', '2026-12-03T08:00:00.000Z')).toThrow();
  expect(toDB('datetime', new Date(0))).toEqual(new Date(0));
  expect(() => toDB('media', {})).toThrow();
});
