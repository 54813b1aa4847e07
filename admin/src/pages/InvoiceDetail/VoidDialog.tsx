import { useEffect, useState, type FormEvent } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Alert, Button, Field, Flex, Modal, Textarea, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import type { InvoiceDetail } from '../../utils/types';

interface Props {
  invoice: InvoiceDetail;
  open: boolean;
  onClose: () => void;
  onVoided: () => void;
}

/** "Void invoice": asks why; the server refuses while money is held and ends any open payment page. */
export const VoidDialog = ({ invoice, open, onClose, onVoided }: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (open) {
      setReason('');
      setError(null);
      setRefused(null);
    }
  }, [open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (reason.trim().length < 3) {
      setError(t('void.reasonRequired', 'Say why the invoice is voided (at least 3 characters).'));
      return;
    }
    setBusy(true);
    try {
      await post(`/${PLUGIN_ID}/invoices/${encodeURIComponent(invoice.documentId)}/void`, { reason: reason.trim() });
      toggleNotification({
        type: 'success',
        message: t('void.done', 'Invoice {number} voided. Its pay link no longer takes payments.', {
          number: invoice.number,
        }),
      });
      onVoided();
      onClose();
    } catch (e) {
      const problem = readApiError(e, t('void.failed', 'The invoice could not be voided.'));
      if (problem.fields.reason) setError(problem.fields.reason);
      else setRefused(problem.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal.Root open={open} onOpenChange={(next: boolean) => !next && onClose()}>
      <Modal.Content>
        <form onSubmit={submit} noValidate>
          <Modal.Header>
            <Modal.Title>{t('void.title', 'Void invoice {number}?', { number: invoice.number })}</Modal.Title>
          </Modal.Header>
          <Modal.Body>
            <Flex direction="column" alignItems="stretch" gap={4}>
              <Typography textColor="neutral600">
                {t(
                  'void.body',
                  'The client can no longer pay it: open payment pages are closed. The invoice and its history are kept. This cannot be undone.',
                )}
              </Typography>
              {refused && (
                <Alert
                  variant="danger"
                  closeLabel={t('common.close', 'Close')}
                  title={t('void.refused', 'Not voided')}
                  data-testid="void-refused"
                >
                  {refused}
                </Alert>
              )}
              <Field.Root
                name="reason"
                error={error ?? undefined}
                hint={t('void.reasonHint', 'Kept in the audit log, e.g. "Sent to the wrong client".')}
                required
              >
                <Field.Label>{t('void.reason', 'Reason')}</Field.Label>
                <Textarea
                  value={reason}
                  maxLength={500}
                  onChange={(e: { target: { value: string } }) => {
                    setReason(e.target.value);
                    setError(null);
                  }}
                />
                <Field.Hint />
                <Field.Error />
              </Field.Root>
            </Flex>
          </Modal.Body>
          <Modal.Footer>
            <Modal.Close>
              <Button variant="tertiary">{t('common.cancel', 'Cancel')}</Button>
            </Modal.Close>
            <Button type="submit" variant="danger" loading={busy}>
              {t('void.submit', 'Void invoice')}
            </Button>
          </Modal.Footer>
        </form>
      </Modal.Content>
    </Modal.Root>
  );
};
