import { useState } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Button } from '@strapi/design-system';
import { Download } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { getTranslation } from '../utils/getTranslation';
import { readApiError } from '../utils/api';

/** Saves a Blob under a name through a temporary object URL (the browser's own download). */
function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked later: revoking at once can abort the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

const filenameOf = (disposition: string | null | undefined, fallback: string) =>
  /filename="([^"]+)"/.exec(disposition ?? '')?.[1] ?? fallback;

interface Props {
  /** Admin API path with the list's filters, e.g. /invoice-payments/exports/invoices.csv?status=sent */
  url: string;
  label: string;
  fallbackName: string;
  variant?: 'secondary' | 'tertiary';
  size?: 'S' | 'M';
}

/**
 * A CSV download. The admin API wants the session's JWT in a header, which a plain link cannot send,
 * so the file is fetched with Strapi's client (as a Blob) and then handed to the browser to save.
 */
export const ExportButton = ({ url, label, fallbackName, variant = 'secondary', size }: Props) => {
  const { get } = useFetchClient();
  const { toggleNotification } = useNotification();
  const { formatMessage } = useIntl();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      const res = await get<Blob>(url, { responseType: 'blob' });
      saveBlob(res.data, filenameOf(res.headers?.get('Content-Disposition'), fallbackName));
    } catch (error) {
      const problem = readApiError(
        error,
        formatMessage({
          id: getTranslation('export.error'),
          defaultMessage: 'The export could not be made. Try again.',
        }),
      );
      toggleNotification({ type: 'danger', message: problem.message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button variant={variant} size={size} startIcon={<Download />} loading={busy} onClick={run}>
      {label}
    </Button>
  );
};
