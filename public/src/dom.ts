/** An element the page's own markup always contains; a missing one is a bug, reported loudly. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`invoice-payments: #${id} is missing from the page`);
  return el as T;
}
