import type { Core, UID as StrapiUID } from '@strapi/strapi';

/**
 * Inserts one row and returns its id, without create()'s read of the row back when that is safe.
 * Inside a transaction (settlement's), createMany's INSERT is part of it and the caller's commit
 * decides. Outside one, create(): its INSERT commits on its own. createMany would open a
 * transaction of its own, and Strapi reports such a transaction as committed when its connection
 * dropped before the commit (a completed knex transaction is skipped, not checked): a row
 * reported written and lost (seen in tests/faults/db-connection-killed).
 */
export async function insertRow(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  data: Record<string, unknown>,
): Promise<number> {
  if (strapi.db.inTransaction()) {
    const { ids } = await strapi.db.query(uid).createMany({ data: [data] });
    return Number(ids[0]);
  }
  const row = (await strapi.db.query(uid).create({ data, select: ['id'] })) as { id: number };
  return row.id;
}

/**
 * Inserts rows in one statement (chunked by the dialect's batch size), inside the caller's
 * transaction only: its commit decides, for the reason given at insertRow.
 */
export async function insertRows(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  data: Array<Record<string, unknown>>,
): Promise<void> {
  if (data.length === 0) return;
  if (!strapi.db.inTransaction()) throw new Error('insertRows runs inside a transaction only.');
  await strapi.db.query(uid).createMany({ data });
}

interface JoinTable {
  name: string;
  joinColumn: { name: string };
  inverseJoinColumn: { name: string };
  inverseOrderColumnName?: string;
  on?: Record<string, unknown>;
}

/** The join table of a plain manyToOne relation (Strapi's metadata), the only kind written here. */
function joinTableOf(strapi: Core.Strapi, uid: StrapiUID.Schema, name: string): JoinTable {
  const { attributes } = strapi.db.metadata.get(uid) as unknown as {
    attributes: Record<string, { relation?: string; joinTable?: JoinTable }>;
  };
  const attribute = attributes[name];
  const table = attribute?.joinTable;
  if (attribute?.relation !== 'manyToOne' || !table || (table.on && Object.keys(table.on).length))
    throw new Error(`insertLinkedRow writes plain manyToOne join tables only (${name}).`);
  return table;
}

/**
 * A new row that belongs to one row of a manyToOne relation (a ledger entry's invoice), inside the
 * caller's transaction, in two statements where create() takes four (the INSERT, a read of the
 * relation's order, the link's INSERT, the row read back): insertRow's INSERT, then the link in
 * Strapi's join table, with the place in the target's list create() would give it (last: the
 * highest so far + 1) computed by the same INSERT … SELECT (on MySQL/MariaDB a read, then the
 * INSERT). Table and column names are Strapi's own, from its metadata. Returns the new row's id.
 */
export async function insertLinkedRow(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  data: Record<string, unknown>,
  link: { attribute: string; id: number },
): Promise<number> {
  if (!strapi.db.inTransaction()) throw new Error('insertLinkedRow runs inside a transaction only.');
  const table = joinTableOf(strapi, uid, link.attribute);
  const id = await insertRow(strapi, uid, data);
  const own = table.joinColumn.name;
  const target = table.inverseJoinColumn.name;
  const order = table.inverseOrderColumnName;
  await strapi.db.transaction(async ({ trx }) => {
    if (!order) {
      await trx(table.name).insert({ [own]: id, [target]: link.id });
      return;
    }
    if (strapi.db.dialect.client === 'mysql') {
      // InnoDB's INSERT … SELECT takes shared next-key locks on the rows and gaps it reads (at
      // REPEATABLE READ): two settlements of neighbouring invoices could deadlock on the link
      // table's gaps. A plain SELECT reads without locks, as create() does.
      const [top] = (await trx(table.name).where(target, link.id).max({ max: order })) as Array<{ max: unknown }>;
      await trx(table.name).insert({ [own]: id, [target]: link.id, [order]: Number(top?.max ?? 0) + 1 });
      return;
    }
    await trx.raw('insert into ?? (??, ??, ??) select ?, ?, coalesce(max(??), 0) + 1 from ?? where ?? = ?', [
      table.name,
      own,
      target,
      order,
      id,
      link.id,
      order,
      table.name,
      target,
      link.id,
    ]);
  });
  return id;
}

/**
 * insertLinkedRow for several rows (each of its own target), inside the caller's transaction: the
 * rows in one INSERT (createMany), their ids read back by an attribute unique to each (`key`; the
 * order RETURNING gives rows in is not defined), the links in one INSERT, each placed last in its
 * target's list as insertLinkedRow places it. Returns the ids in the order given. Not on
 * MySQL/MariaDB (insertLinkedRow says why its reads differ there).
 */
export async function insertLinkedRows(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  rows: ReadonlyArray<{ data: Record<string, unknown>; linkId: number }>,
  link: { attribute: string; key: string },
): Promise<number[]> {
  if (rows.length === 0) return [];
  if (!strapi.db.inTransaction()) throw new Error('insertLinkedRows runs inside a transaction only.');
  if (strapi.db.dialect.client === 'mysql') throw new Error('insertLinkedRows does not run on MySQL/MariaDB.');
  const table = joinTableOf(strapi, uid, link.attribute);
  const keys = rows.map((r) => r.data[link.key]);
  if (keys.some((k) => typeof k !== 'string' || k === '') || new Set(keys).size !== keys.length)
    throw new Error(`insertLinkedRows needs a distinct ${link.key} on every row.`);
  await strapi.db.query(uid).createMany({ data: rows.map((r) => r.data) });
  const found = (await strapi.db.query(uid).findMany({
    where: { [link.key]: { $in: keys } },
    select: ['id', link.key],
  })) as Array<Record<string, unknown>>;
  const idOf = new Map(found.map((row) => [row[link.key], Number(row.id)]));
  const ids = keys.map((k) => idOf.get(k));
  if (found.length !== keys.length || ids.some((id) => id === undefined))
    throw new Error(`insertLinkedRows: the rows written were not found again by ${link.key}.`);
  const own = table.joinColumn.name;
  const target = table.inverseJoinColumn.name;
  const order = table.inverseOrderColumnName;
  await strapi.db.transaction(async ({ trx }) => {
    if (!order) {
      await trx(table.name).insert(rows.map((r, i) => ({ [own]: ids[i], [target]: r.linkId })));
      return;
    }
    // Each last in its target's list: the highest place so far + 1, + 1 more for each earlier
    // row of this INSERT with the same target (the subqueries all see the table before it).
    const seen = new Map<number, number>();
    const bindings: unknown[] = [table.name, own, target, order];
    const values = rows.map((r, i) => {
      const before = seen.get(r.linkId) ?? 0;
      seen.set(r.linkId, before + 1);
      bindings.push(ids[i], r.linkId, order, table.name, target, r.linkId, before + 1);
      return '(?, ?, (select coalesce(max(??), 0) from ?? where ?? = ?) + ?)';
    });
    await trx.raw(`insert into ?? (??, ??, ??) values ${values.join(', ')}`, bindings);
  });
  return ids as number[];
}

type Attribute = { type: string; default?: unknown };

/** What Strapi's fields write for a value (@strapi/database fields' toDB), for the types handled here. */
export function toDB(type: string, value: unknown): unknown {
  if (value === null) return null;
  switch (type) {
    case 'string':
    case 'text':
    case 'richtext':
    case 'enumeration':
    case 'uid':
    case 'email':
      return String(value);
    case 'integer':
    case 'float':
    case 'decimal': {
      // As NumberField: a number, or a string holding one.
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`Expected a number, got ${value}`);
      return n;
    }
    case 'biginteger':
      if (typeof value === 'number' && Number.isInteger(value)) return value.toString();
      if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) return BigInt(value.trim()).toString();
      throw new Error(`Expected a big integer, got ${value}`);
    case 'boolean':
      // As BooleanField: 'false', 'f', '0' and 0 are false, as 'true', 't', '1' and 1 are true.
      if (['true', 't', '1', 1].includes(value as string | number)) return true;
      if (['false', 'f', '0', 0].includes(value as string | number)) return false;
      return Boolean(value);
    case 'json':
      return typeof value === 'object' ? JSON.stringify(value) : value;
    case 'datetime':
      if (value instanceof Date) return value;
      throw new Error(`Expected a Date, got ${typeof value}`);
    default:
      throw new Error(`insertNow does not write ${type} attributes.`);
  }
}

/**
 * create() for a content type of plain columns, without what it adds around the INSERT: the
 * transaction for relations (there are none), the read of the row back. The row is what create()
 * writes: each attribute's default (the documentId, publishedAt) and the timestamps from Strapi's
 * lifecycle, values converted as Strapi's fields convert them. Its INSERT commits on its own
 * (insertRow says why that matters); an error from it is the caller's, as create()'s would be.
 * Returns the new row's id. An attribute of a type not handled by toDB (date, time, media,
 * components) makes it throw: add the type there (with Strapi's conversion) before storing one.
 */
export async function insertNow(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  data: Record<string, unknown>,
): Promise<number> {
  const params = { data: { ...data } };
  const states = await strapi.db.lifecycles.run('beforeCreate', uid, { params });
  const { attributes } = strapi.db.metadata.get(uid) as unknown as { attributes: Record<string, Attribute> };
  const row: Record<string, unknown> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute.type === 'increments') continue;
    if (attribute.type === 'relation') {
      if (params.data[name] !== undefined) throw new Error(`insertNow does not write relations (${name}).`);
      continue;
    }
    let value = params.data[name];
    if (value === undefined)
      value = typeof attribute.default === 'function' ? (attribute.default as () => unknown)() : attribute.default;
    if (value !== undefined) row[name] = toDB(attribute.type, value);
  }
  const inserted = (await strapi.db.queryBuilder(uid).insert(row).execute()) as unknown[];
  const first = inserted[0];
  const id = Number(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
  await strapi.db.lifecycles.run('afterCreate', uid, { params, result: { id, ...params.data } }, states);
  return id;
}

/**
 * Updates rows of one content type, each with values of its own, in one statement for each set of
 * attributes written (updateMany writes one value to all its rows): INSERT … ON CONFLICT (id) DO
 * UPDATE of those columns, values converted as Strapi's fields convert them (toDB; a datetime may
 * be given as a Date or an ISO string). Inside the caller's transaction, for rows it holds locked:
 * an id that is not there would be inserted with only these columns. That is checked: such a row
 * has no documentId (every row Strapi writes has one), and it throws, to roll the caller back.
 * PostgreSQL and SQLite (RETURNING); not MySQL/MariaDB.
 */
export async function updateRows(
  strapi: Core.Strapi,
  uid: StrapiUID.Schema,
  rows: ReadonlyArray<{ id: number; data: Record<string, unknown> }>,
): Promise<void> {
  if (rows.length === 0) return;
  if (!strapi.db.inTransaction()) throw new Error('updateRows runs inside a transaction only.');
  if (strapi.db.dialect.client === 'mysql') throw new Error('updateRows does not run on MySQL/MariaDB.');
  const { tableName, attributes } = strapi.db.metadata.get(uid) as unknown as {
    tableName: string;
    attributes: Record<string, Attribute & { columnName?: string }>;
  };
  const bySet = new Map<string, Array<{ id: number; data: Record<string, unknown> }>>();
  for (const row of rows) {
    // As Strapi's updates, an undefined value writes nothing.
    const set = Object.keys(row.data)
      .filter((name) => row.data[name] !== undefined)
      .sort()
      .join(',');
    bySet.set(set, [...(bySet.get(set) ?? []), row]);
  }
  const column = (name: string) => {
    const attribute = attributes[name];
    if (!attribute || attribute.type === 'relation' || attribute.type === 'increments')
      throw new Error(`updateRows writes plain attributes only (${name}).`);
    return attribute.columnName || name;
  };
  await strapi.db.transaction(async ({ trx }) => {
    for (const [set, group] of bySet) {
      const names = set ? set.split(',') : [];
      if (names.length === 0) continue;
      const values = group.map(({ id, data }) => {
        const value: Record<string, unknown> = { id };
        for (const name of names) {
          const type = attributes[name]!.type;
          const raw = data[name];
          value[column(name)] =
            type === 'datetime' && (typeof raw === 'string' || typeof raw === 'number') && raw !== ''
              ? toDB(type, new Date(raw))
              : toDB(type, raw);
        }
        return value;
      });
      const documentId = column('documentId');
      const written = (await trx(tableName)
        .insert(values)
        .onConflict('id')
        .merge(names.map(column))
        .returning(['id', documentId])) as Array<Record<string, unknown>>;
      const missing = written.filter((row) => row[documentId] == null).map((row) => row.id);
      if (missing.length || written.length !== group.length)
        throw new Error(`updateRows: rows ${missing.join(', ') || '?'} of ${tableName} did not exist.`);
    }
  });
}
