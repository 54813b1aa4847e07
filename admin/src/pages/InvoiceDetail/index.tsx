import { useState, type ReactNode } from 'react';
import { ConfirmDialog, Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Box, Button, Dialog, Flex, Link, LinkButton, SimpleMenu, MenuItem, Typography } from '@strapi/design-system';
import { ArrowClockwise, ArrowLeft, Check, PaperPlane, Pencil } from '@strapi/icons';
import { useNavigate } from 'react-router-dom';
import { useIntl } from 'react-intl';
import { Link as RouterLink, useParams } from 'react-router-dom';
import { PLUGIN_ID } from '../../pluginId';
import { PERMISSIONS } from '../../permissions';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import { useApiGet } from '../../hooks/useApiGet';
import { useCan } from '../../hooks/useCan';
import { PluginLayout } from '../../components/PluginLayout';
import { pluginPath, usePlugin } from '../../components/PluginContext';
import { AuditTable } from '../../components/AuditTable';
import { ExportButton } from '../../components/ExportButton';
import { Summary } from './Summary';
import { PayLinkCard } from './PayLinkCard';
import { RemindersCard } from './RemindersCard';
import { AutopayCard } from './AutopayCard';
import { PaymentsTable } from './PaymentsTable';
import { MarkPaidModal } from './MarkPaidModal';
import { RefundDialog } from './RefundDialog';
import { VoidDialog } from './VoidDialog';
import type { InvoiceDetailResponse, PaymentView } from '../../utils/types';

const Section = ({ title, children }: { title: string; children: ReactNode }) => (
  <Flex direction="column" alignItems="stretch" gap={3}>
    <Typography variant="delta" tag="h2">
      {title}
    </Typography>
    {children}
  </Flex>
);

/** One invoice: totals, pay link, payment history with refunds and disputes, and its audit trail. */
export const InvoiceDetailPage = () => {
  const { id = '' } = useParams<{ id: string }>();
  const { formatMessage } = useIntl();
  const t = (key: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(key), defaultMessage }, values);
  const { base } = usePlugin();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const url = `/${PLUGIN_ID}/invoices/${encodeURIComponent(id)}`;
  const { data, setData, error, reload } = useApiGet<{ data: InvoiceDetailResponse }>(
    url,
    t('detail.loadError', 'The invoice could not be loaded.'),
  );
  const manual = useCan(PERMISSIONS.paymentsManual);
  const refund = useCan(PERMISSIONS.paymentsRefund);
  const send = useCan(PERMISSIONS.invoicesSend);
  const edit = useCan(PERMISSIONS.invoicesEdit);
  const voidable = useCan(PERMISSIONS.invoicesVoid);
  const navigate = useNavigate();
  const [voidOpen, setVoidOpen] = useState(false);
  const [markPaidOpen, setMarkPaidOpen] = useState(false);
  const [refunding, setRefunding] = useState<PaymentView | null>(null);
  const [voiding, setVoiding] = useState<PaymentView | null>(null);
  const [confirmSend, setConfirmSend] = useState(false);
  const [busy, setBusy] = useState<'resync' | 'send' | 'more' | null>(null);

  const show = (detail: InvoiceDetailResponse) => setData({ data: detail });

  /** Actions that answer with the whole invoice detail (resync, send). */
  const act = async (kind: 'resync' | 'send', success: string, failure: string) => {
    setBusy(kind);
    try {
      const res = await post<{ data: InvoiceDetailResponse }>(`${url}/${kind}`, {});
      show(res.data.data);
      toggleNotification({ type: 'success', message: success });
    } catch (e) {
      toggleNotification({ type: 'danger', message: readApiError(e, failure).message });
    } finally {
      setBusy(null);
    }
  };

  /** Mark as sent and Duplicate: answer with a document id; Duplicate opens the copy in the editor. */
  const invoiceAction = async (kind: 'mark-sent' | 'duplicate') => {
    setBusy('more');
    try {
      const res = await post<{ data: { documentId: string } }>(`${url}/${kind}`, {});
      if (kind === 'duplicate') {
        toggleNotification({
          type: 'success',
          message: t('detail.duplicated', 'Copy created as a draft: check it, then save.'),
        });
        navigate(`${pluginPath(base)}/invoices/${encodeURIComponent(res.data.data.documentId)}/edit`);
      } else {
        toggleNotification({ type: 'success', message: t('detail.markedSent', 'Marked as sent. No email was sent.') });
        reload();
      }
    } catch (e) {
      toggleNotification({
        type: 'danger',
        message: readApiError(e, t('detail.actionFailed', 'That did not work.')).message,
      });
    } finally {
      setBusy(null);
    }
  };

  const voidPayment = async (payment: PaymentView) => {
    try {
      await post(`/${PLUGIN_ID}/payments/${encodeURIComponent(payment.documentId)}/void`, {});
      toggleNotification({
        type: 'success',
        message: t('payments.voidDone', 'Payment voided; the balance is due again.'),
      });
      reload();
    } catch (e) {
      toggleNotification({
        type: 'danger',
        message: readApiError(e, t('payments.voidFailed', 'The payment could not be voided.')).message,
      });
    }
  };

  if (error && !data) return error.status === 404 ? <Page.NoData /> : <Page.Error />;
  if (!data) return <Page.Loading />;
  const { invoice, payments, audit } = data.data;
  // Bank debits (SEPA, ACH) on their way: not paid yet, and they can still fail.
  const pendingPayments = payments.filter((p) => p.status === 'processing' && !p.voidedAt);
  const payable = invoice.state !== 'void' && invoice.balanceDue > 0;

  const back = (
    <Link tag={RouterLink} to={pluginPath(base, 'invoices')} startIcon={<ArrowLeft />}>
      {t('detail.back', 'Invoices')}
    </Link>
  );
  const actions = (
    <Flex gap={2}>
      {edit.allowed && invoice.state !== 'void' && (
        <LinkButton
          tag={RouterLink}
          to={`${pluginPath(base)}/invoices/${encodeURIComponent(invoice.documentId)}/edit`}
          variant="tertiary"
          startIcon={<Pencil />}
        >
          {t('detail.edit', 'Edit')}
        </LinkButton>
      )}
      <ExportButton
        url={`/${PLUGIN_ID}/invoices/${invoice.documentId}/pdf`}
        label={t('detail.pdf', 'Download PDF')}
        fallbackName={`invoice-${invoice.number}.pdf`}
        variant="tertiary"
      />
      <Button
        variant="tertiary"
        startIcon={<ArrowClockwise />}
        loading={busy === 'resync'}
        onClick={() =>
          void act(
            'resync',
            t('detail.resynced', 'Payments re-read from the payment provider.'),
            t('detail.resyncFailed', 'The payment provider could not be reached.'),
          )
        }
      >
        {t('detail.resync', 'Resync payments')}
      </Button>
      {send.allowed && invoice.state !== 'void' && (
        <Button
          variant="secondary"
          startIcon={<PaperPlane />}
          loading={busy === 'send'}
          disabled={!invoice.billingEmail}
          onClick={() => setConfirmSend(true)}
        >
          {t('detail.send', 'Send invoice')}
        </Button>
      )}
      {manual.allowed && payable && (
        <Button startIcon={<Check />} onClick={() => setMarkPaidOpen(true)}>
          {t('detail.markPaid', 'Mark as paid')}
        </Button>
      )}
      {(edit.allowed || voidable.allowed || send.allowed) && (
        <SimpleMenu label={t('detail.more', 'More')} variant="tertiary" disabled={busy === 'more'}>
          {send.allowed && invoice.state === 'draft' && (
            <MenuItem onSelect={() => void invoiceAction('mark-sent')}>
              {t('detail.markSent', 'Mark as sent (no email)')}
            </MenuItem>
          )}
          {edit.allowed && (
            <MenuItem onSelect={() => void invoiceAction('duplicate')}>{t('detail.duplicate', 'Duplicate')}</MenuItem>
          )}
          {voidable.allowed && invoice.state !== 'void' && (
            <MenuItem variant="danger" onSelect={() => setVoidOpen(true)}>
              {t('detail.void', 'Void invoice…')}
            </MenuItem>
          )}
        </SimpleMenu>
      )}
    </Flex>
  );

  return (
    <PluginLayout
      title={t('detail.title', 'Invoice {number}', { number: invoice.number })}
      subtitle={invoice.billingName ?? invoice.billingEmail ?? undefined}
      navigationAction={back}
      primaryAction={actions}
      tabs={false}
    >
      <Flex direction="column" alignItems="stretch" gap={6}>
        {pendingPayments.length > 0 && (
          <Box background="warning100" borderColor="warning200" hasRadius padding={4} data-testid="invoice-pending">
            <Typography textColor="warning700" fontWeight="semiBold" tag="p">
              {t('detail.pending', 'Payment pending, usually 3–5 business days: {amount}', {
                amount: pendingPayments.map((p) => p.amountFormatted).join(' + '),
              })}
            </Typography>
            <Typography textColor="warning700" variant="pi" tag="p">
              {t(
                'detail.pendingHelp',
                'A bank debit is on its way. The invoice stays unpaid until the money arrives; if the bank refuses it, the balance opens again and you and the client are emailed.',
              )}
            </Typography>
          </Box>
        )}
        <Summary invoice={invoice} />
        <PayLinkCard invoice={invoice} canManageLink={send.allowed} onChanged={show} />
        <RemindersCard documentId={invoice.documentId} canEdit={edit.allowed} onChanged={reload} />
        <AutopayCard documentId={invoice.documentId} canEdit={edit.allowed} onChanged={reload} />
        <Section title={t('detail.payments', 'Payment history')}>
          <PaymentsTable
            invoice={invoice}
            payments={payments}
            canRefund={refund.allowed}
            canVoid={manual.allowed}
            onRefund={setRefunding}
            onVoid={setVoiding}
          />
        </Section>
        <Section title={t('detail.audit', 'Audit trail')}>
          {audit.length ? (
            <AuditTable entries={audit} showInvoice={false} />
          ) : (
            <Typography textColor="neutral600">{t('audit.empty', 'No entries.')}</Typography>
          )}
        </Section>
      </Flex>
      <Box>
        <MarkPaidModal
          invoice={invoice}
          open={markPaidOpen}
          onClose={() => setMarkPaidOpen(false)}
          onRecorded={reload}
        />
        <RefundDialog invoice={invoice} payment={refunding} onClose={() => setRefunding(null)} onRefunded={show} />
        <VoidDialog invoice={invoice} open={voidOpen} onClose={() => setVoidOpen(false)} onVoided={reload} />
        <Dialog.Root open={confirmSend} onOpenChange={setConfirmSend}>
          <ConfirmDialog
            variant="default"
            title={t('detail.sendTitle', 'Send invoice {number}?', { number: invoice.number })}
            onConfirm={() =>
              act('send', t('detail.sent', 'Invoice sent.'), t('detail.sendFailed', 'The invoice could not be sent.'))
            }
          >
            {t('detail.sendBody', 'An email with the invoice and a "Pay online" button goes to {email}.', {
              email: invoice.billingEmail ?? '',
            })}
          </ConfirmDialog>
        </Dialog.Root>
        <Dialog.Root open={voiding !== null} onOpenChange={(open: boolean) => !open && setVoiding(null)}>
          <ConfirmDialog
            title={t('payments.voidTitle', 'Void this manual payment?')}
            onConfirm={() => (voiding ? voidPayment(voiding) : undefined)}
          >
            {t(
              'payments.voidBody',
              'Use this when a cheque bounced or a payment was recorded by mistake. The amount becomes due again.',
            )}
          </ConfirmDialog>
        </Dialog.Root>
      </Box>
    </PluginLayout>
  );
};
