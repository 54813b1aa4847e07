/** True when a database error is a unique-constraint violation (PostgreSQL, MySQL/MariaDB, SQLite). */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; errno?: unknown; message?: unknown };
  if (e.code === '23505' || e.code === 'ER_DUP_ENTRY' || e.errno === 1062) return true;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  return (
    typeof e.message === 'string' && /UNIQUE constraint failed|duplicate key value|Duplicate entry/i.test(e.message)
  );
}

/**
 * True when the database chose this transaction as a deadlock victim (or gave up waiting for a row
 * lock): it was rolled back whole, so running it again is safe. MariaDB/MySQL and PostgreSQL.
 */
export function isDeadlock(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; errno?: unknown; message?: unknown };
  if (e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213 || e.code === 'ER_LOCK_WAIT_TIMEOUT' || e.errno === 1205)
    return true;
  if (e.code === '40P01' || e.code === '40001') return true;
  return (
    typeof e.message === 'string' && /Deadlock found|deadlock detected|Lock wait timeout exceeded/i.test(e.message)
  );
}

/** Runs a transaction again when it was a deadlock victim (rolled back whole, so safe), a few times at most. */
export async function retryAfterDeadlock<T>(run: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= tries || !isDeadlock(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }
}
