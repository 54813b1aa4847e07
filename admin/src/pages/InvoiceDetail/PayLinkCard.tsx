import { useState } from 'react';
import { ConfirmDialog, useClipboard, useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Box, Button, Dialog, Field, Flex, LinkButton, TextInput, Typography } from '@strapi/design-system';
import { Duplicate, ExternalLink, ArrowClockwise, Plus } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import type { InvoiceDetail, InvoiceDetailResponse } from '../../utils/types';

interface Props {
  invoice: InvoiceDetail;
  canManageLink: boolean;
  onChanged: (detail: InvoiceDetailResponse) => void;
}

/** The invoice's private pay link: copy it, open it, or issue a new one (the old one stops working). */
export const PayLinkCard = ({ invoice, canManageLink, onChanged }: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string) => formatMessage({ id: getTranslation(id), defaultMessage });
  const { post } = useFetchClient();
  const { copy } = useClipboard();
  const { toggleNotification } = useNotification();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const issue = async () => {
    setBusy(true);
    try {
      const res = await post<{ data: InvoiceDetailResponse }>(
        `/${PLUGIN_ID}/invoices/${encodeURIComponent(invoice.documentId)}/pay-link`,
        {},
      );
      onChanged(res.data.data);
      toggleNotification({ type: 'success', message: t('payLink.created', 'New pay link ready.') });
    } catch (error) {
      toggleNotification({
        type: 'danger',
        message: readApiError(error, t('payLink.failed', 'The pay link could not be created.')).message,
      });
    } finally {
      setBusy(false);
    }
  };

  const copyLink = async () => {
    if (!invoice.payLink) return;
    const copied = await copy(invoice.payLink);
    // Who took the link is audited (it lets anyone pay); a failed audit call does not undo the copy.
    if (copied)
      void post(`/${PLUGIN_ID}/invoices/${encodeURIComponent(invoice.documentId)}/pay-link/copied`, {}).catch(
        () => undefined,
      );
    toggleNotification({
      type: copied ? 'success' : 'warning',
      message: copied
        ? t('payLink.copied', 'Pay link copied.')
        : t('payLink.copyFailed', 'Copy failed: select the link and copy it by hand.'),
    });
  };

  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
      <Flex direction="column" alignItems="stretch" gap={3}>
        <Typography variant="delta" tag="h2">
          {t('payLink.title', 'Pay link')}
        </Typography>
        {invoice.payLink ? (
          <Field.Root name="payLink" hint={t('payLink.hint', 'Anyone with this link can see and pay the invoice.')}>
            <Field.Label>{t('payLink.label', 'Link to send to the client')}</Field.Label>
            <Flex gap={2} wrap="wrap">
              <Box flex="1" minWidth="280px">
                <TextInput value={invoice.payLink} readOnly data-testid="pay-link" />
              </Box>
              <Button variant="secondary" startIcon={<Duplicate />} onClick={() => void copyLink()}>
                {t('payLink.copy', 'Copy')}
              </Button>
              <LinkButton
                variant="secondary"
                startIcon={<ExternalLink />}
                href={invoice.payLink}
                target="_blank"
                rel="noopener noreferrer"
              >
                {t('payLink.open', 'Open')}
              </LinkButton>
              {canManageLink && (
                <Button
                  variant="tertiary"
                  startIcon={<ArrowClockwise />}
                  onClick={() => setConfirming(true)}
                  loading={busy}
                >
                  {t('payLink.regenerate', 'New link')}
                </Button>
              )}
            </Flex>
            <Field.Hint />
          </Field.Root>
        ) : (
          <Flex gap={4}>
            <Typography textColor="neutral600">{t('payLink.none', 'This invoice has no pay link yet.')}</Typography>
            {canManageLink && (
              <Button startIcon={<Plus />} onClick={() => void issue()} loading={busy}>
                {t('payLink.create', 'Create pay link')}
              </Button>
            )}
          </Flex>
        )}
      </Flex>
      <Dialog.Root open={confirming} onOpenChange={setConfirming}>
        <ConfirmDialog onConfirm={() => issue()} title={t('payLink.regenerateTitle', 'Issue a new pay link?')}>
          {t('payLink.regenerateBody', 'The current link stops working at once. Send the new one to the client.')}
        </ConfirmDialog>
      </Dialog.Root>
    </Box>
  );
};
