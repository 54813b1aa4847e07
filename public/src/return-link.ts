/**
 * "Return to your invoice" after Checkout. Before leaving for Checkout the invoice page remembers
 * its own address in sessionStorage (this tab, this origin only), so the success and cancel pages
 * can link back without the pay-link token ever travelling in a URL to anyone else.
 */
const key = (documentId: string) => `invoice-payments:return:${documentId}`;

export function rememberReturn(documentId: string): void {
  try {
    sessionStorage.setItem(key(documentId), location.href);
  } catch {
    // Storage disabled: the result pages simply show no link.
  }
}

export function showReturnLink(documentId: string): void {
  let href: string | null = null;
  try {
    href = sessionStorage.getItem(key(documentId));
  } catch {
    href = null;
  }
  const box = document.getElementById('return-link');
  const link = box?.querySelector('a');
  if (!href || !box || !link || new URL(href, location.href).origin !== location.origin) return;
  link.href = href;
  box.hidden = false;
}
