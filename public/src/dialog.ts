/**
 * Modal behaviour for the payment drawer: the invoice behind it becomes inert (not focusable,
 * hidden from screen readers), Tab cycles inside the drawer, Escape closes it, and focus goes back
 * to the button that opened it. Stripe's own overlays (3D Secure) are added to <body>, outside the
 * inert invoice, so they stay usable.
 */
const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), iframe, [tabindex]:not([tabindex="-1"])';

export interface DialogHandle {
  close(): void;
  readonly isOpen: boolean;
}

function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.getClientRects().length > 0);
}

export function openDialog(
  dialog: HTMLElement,
  backdrop: HTMLElement,
  background: HTMLElement,
  opts: { initialFocus?: HTMLElement | null; onClosed: () => void },
): DialogHandle {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  let open = true;

  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      handle.close();
      return;
    }
    if (event.key !== 'Tab' || !dialog.contains(document.activeElement)) return;
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };

  background.inert = true;
  backdrop.hidden = false;
  dialog.hidden = false;
  // Next frame, so the slide-in transition runs from the off-screen position.
  requestAnimationFrame(() => {
    dialog.classList.add('open');
    backdrop.classList.add('open');
  });
  document.addEventListener('keydown', onKey);
  backdrop.addEventListener('click', () => handle.close());
  (opts.initialFocus ?? focusables(dialog)[0] ?? dialog).focus();

  const handle: DialogHandle = {
    get isOpen() {
      return open;
    },
    close() {
      if (!open) return;
      open = false;
      document.removeEventListener('keydown', onKey);
      dialog.classList.remove('open');
      backdrop.classList.remove('open');
      background.inert = false;
      dialog.hidden = true;
      backdrop.hidden = true;
      if (opener && opener.isConnected) opener.focus();
      opts.onClosed();
    },
  };
  return handle;
}
