import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import {
  Alert,
  Button,
  Field,
  Flex,
  Modal,
  Radio,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { useIntl, type IntlShape } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { newIdempotencyKey, readApiError } from '../../utils/api';
import { formatMajor, parseAmount } from '../../utils/money';
import { amountProblemMessage } from '../../utils/amountMessages';
import { providerName, type InvoiceDetail, type InvoiceDetailResponse, type PaymentView } from '../../utils/types';

export const REFUND_REASONS = ['requested_by_customer', 'duplicate', 'fraudulent'] as const;
type Reason = (typeof REFUND_REASONS)[number] | '';

export type InvoiceEffect = 'reopen' | 'keep_paid';

export interface RefundForm {
  scope: 'full' | 'partial';
  amount: string;
  reason: Reason;
  /** What the refund means for the invoice: the client owes it again, or the invoice stays paid. */
  effect: InvoiceEffect;
}

/** A partial refund must be above zero and at most what the payment can still give back. */
export function validateRefund(
  intl: IntlShape,
  form: RefundForm,
  payment: Pick<PaymentView, 'refundable' | 'refundableFormatted'>,
  invoice: Pick<InvoiceDetail, 'currencyExponent' | 'amountStep'>,
): { error: string | null; minor: number | null } {
  if (form.scope === 'full') return { error: null, minor: payment.refundable };
  const parsed = parseAmount(form.amount, invoice.currencyExponent, invoice.amountStep);
  if (!parsed.ok) return { error: amountProblemMessage(intl, parsed.problem, invoice.currencyExponent), minor: null };
  if (parsed.minor > payment.refundable) {
    return {
      error: intl.formatMessage(
        { id: getTranslation('refund.tooMuch'), defaultMessage: 'You can refund at most {max} of this payment.' },
        { max: payment.refundableFormatted },
      ),
      minor: null,
    };
  }
  return { error: null, minor: parsed.minor };
}

interface Props {
  invoice: InvoiceDetail;
  payment: PaymentView | null;
  onClose: () => void;
  onRefunded: (detail: InvoiceDetailResponse) => void;
}

/**
 * Refund, in two steps: choose full or partial (and a reason), then confirm. The idempotency key
 * is made once per opening, so a double click or a retry after a timeout refunds once.
 */
export const RefundDialog = ({ invoice, payment, onClose, onRefunded }: Props) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const defaultEffect: InvoiceEffect = invoice.refundDefault === 'keep_paid' ? 'keep_paid' : 'reopen';
  const [form, setForm] = useState<RefundForm>({ scope: 'full', amount: '', reason: '', effect: defaultEffect });
  const [step, setStep] = useState<'form' | 'confirm'>('form');
  const [error, setError] = useState<string | null>(null);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // One key per opening; replaced only if the admin goes back and changes what is refunded
  // (Stripe refuses a key reused with other parameters).
  const key = useRef({ value: '', sentFor: '' });
  const open = payment !== null;

  useEffect(() => {
    if (!open) return;
    setForm({ scope: 'full', amount: '', reason: '', effect: defaultEffect });
    setStep('form');
    setError(null);
    setServerError(null);
    key.current = { value: newIdempotencyKey(), sentFor: '' };
    // Reset when the dialog opens for a payment only: a settings change while it is open must not wipe the form.
    // eslint-disable-next-line react-hooks/exhaustive-deps -- defaultEffect is read at opening on purpose.
  }, [open, payment?.documentId]);

  if (!payment) return null;
  // The server's refundable figure already counts these; shown so the admin knows why it is lower.
  const pendingMinor = payment.refunds
    .filter((r) => r.status === 'pending' || r.status === 'requires_action' || r.status === 'unknown')
    .reduce((s, r) => s + r.amount, 0);
  const { minor } = validateRefund(intl, form, payment, invoice);
  const amountText = minor !== null ? formatMajor(minor, invoice.currency, invoice.currencyExponent, intl.locale) : '';

  const next = (event: FormEvent) => {
    event.preventDefault();
    const result = validateRefund(intl, form, payment, invoice);
    setError(result.error);
    if (!result.error) setStep('confirm');
  };

  const confirm = async () => {
    if (busy || minor === null) return;
    setBusy(true);
    setServerError(null);
    const params = `${form.scope}|${minor}|${form.reason}|${form.effect}`;
    if (key.current.sentFor && key.current.sentFor !== params) key.current.value = newIdempotencyKey();
    key.current.sentFor = params;
    try {
      const res = await post<{ data: InvoiceDetailResponse }>(
        `/${PLUGIN_ID}/payments/${encodeURIComponent(payment.documentId)}/refunds`,
        {
          // A full refund sends no amount: the server refunds what is left, pending refunds included.
          ...(form.scope === 'partial' ? { amount: minor } : {}),
          ...(form.reason ? { reason: form.reason } : {}),
          invoiceEffect: form.effect,
          idempotencyKey: key.current.value,
        },
      );
      toggleNotification({
        type: 'success',
        message: t('refund.done', 'Refund of {amount} requested.', { amount: amountText }),
      });
      onRefunded(res.data.data);
      onClose();
    } catch (e) {
      setServerError(readApiError(e, t('refund.failed', 'The refund could not be made.')).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal.Root open={open} onOpenChange={(nextOpen: boolean) => !nextOpen && !busy && onClose()}>
      <Modal.Content>
        <Modal.Header>
          <Modal.Title>{t('refund.title', 'Refund payment')}</Modal.Title>
        </Modal.Header>
        {step === 'form' ? (
          <form onSubmit={next} noValidate>
            <Modal.Body>
              <Flex direction="column" alignItems="stretch" gap={4}>
                <Typography textColor="neutral600">
                  {t('refund.refundable', 'Refundable: {amount}', { amount: payment.refundableFormatted })}
                </Typography>
                {pendingMinor > 0 && (
                  <Typography variant="pi" textColor="neutral600" data-testid="refund-pending-note">
                    {t(
                      'refund.pendingCounted',
                      'Refunds still pending ({amount}) are already taken off. A failed refund gives its amount back.',
                      {
                        amount: formatMajor(pendingMinor, invoice.currency, invoice.currencyExponent, intl.locale),
                      },
                    )}
                  </Typography>
                )}
                <Radio.Group
                  aria-label={t('refund.scope', 'How much')}
                  value={form.scope}
                  onValueChange={(v: string) => {
                    setForm((f) => ({ ...f, scope: v === 'partial' ? 'partial' : 'full' }));
                    setError(null);
                  }}
                >
                  <Radio.Item value="full">
                    {t('refund.full', 'Full refund ({amount})', { amount: payment.refundableFormatted })}
                  </Radio.Item>
                  <Radio.Item value="partial">{t('refund.partial', 'Partial refund')}</Radio.Item>
                </Radio.Group>
                {form.scope === 'partial' && (
                  <Field.Root
                    name="amount"
                    error={error ?? undefined}
                    hint={t('markPaid.amountHint', 'In {currency}.', { currency: invoice.currency })}
                    required
                  >
                    <Field.Label>{t('refund.amount', 'Amount to refund')}</Field.Label>
                    <TextInput
                      inputMode="decimal"
                      value={form.amount}
                      onChange={(e: { target: { value: string } }) => {
                        const value = e.target.value;
                        setForm((f) => ({ ...f, amount: value }));
                        setError(null);
                      }}
                    />
                    <Field.Hint />
                    <Field.Error />
                  </Field.Root>
                )}
                <Field.Root name="invoiceEffect">
                  <Field.Label>{t('refund.effect', 'What does this refund mean for the invoice?')}</Field.Label>
                  <Radio.Group
                    aria-label={t('refund.effect', 'What does this refund mean for the invoice?')}
                    value={form.effect}
                    onValueChange={(v: string) =>
                      setForm((f) => ({ ...f, effect: v === 'keep_paid' ? 'keep_paid' : 'reopen' }))
                    }
                  >
                    <Radio.Item value="reopen">
                      {t('refund.effect.reopen', 'Reopen the balance (client owes it again)')}
                    </Radio.Item>
                    <Radio.Item value="keep_paid">{t('refund.effect.keep_paid', 'Keep the invoice paid')}</Radio.Item>
                  </Radio.Group>
                </Field.Root>
                <Field.Root name="reason">
                  <Field.Label>{t('refund.reason', 'Reason (optional)')}</Field.Label>
                  <SingleSelect
                    value={form.reason || null}
                    placeholder={t('refund.noReason', 'No reason given')}
                    onChange={(v: string | number) => setForm((f) => ({ ...f, reason: String(v) as Reason }))}
                    onClear={form.reason ? () => setForm((f) => ({ ...f, reason: '' })) : undefined}
                    clearLabel={t('common.clear', 'Clear')}
                  >
                    {REFUND_REASONS.map((r) => (
                      <SingleSelectOption key={r} value={r}>
                        {t(`refund.reason.${r}`, r.replace(/_/g, ' '))}
                      </SingleSelectOption>
                    ))}
                  </SingleSelect>
                </Field.Root>
              </Flex>
            </Modal.Body>
            <Modal.Footer>
              <Button variant="tertiary" onClick={onClose}>
                {t('common.cancel', 'Cancel')}
              </Button>
              <Button type="submit">{t('refund.continue', 'Continue')}</Button>
            </Modal.Footer>
          </form>
        ) : (
          <>
            <Modal.Body>
              <Flex direction="column" alignItems="stretch" gap={4} data-testid="refund-confirmation">
                <Typography>
                  {t(
                    'refund.confirm',
                    'Refund {amount} to the card used for this payment? {provider} sends the money back; this cannot be undone.',
                    { amount: amountText, provider: payment ? providerName(payment) : '' },
                  )}
                </Typography>
                <Typography fontWeight="semiBold" data-testid="refund-effect-confirmation">
                  {form.effect === 'keep_paid'
                    ? t(
                        'refund.confirmKeepPaid',
                        'Invoice {number} stays paid: the client will not be asked to pay {amount} again.',
                        { number: invoice.number, amount: amountText },
                      )
                    : t(
                        'refund.confirmReopen',
                        'Invoice {number} reopens: {amount} will be due again and the client can pay it from the pay link.',
                        { number: invoice.number, amount: amountText },
                      )}
                </Typography>
                {serverError && (
                  <Alert variant="danger" closeLabel={t('common.close', 'Close')} title={t('common.error', 'Error')}>
                    {serverError}
                  </Alert>
                )}
              </Flex>
            </Modal.Body>
            <Modal.Footer>
              <Button variant="tertiary" onClick={() => setStep('form')} disabled={busy}>
                {t('common.back', 'Back')}
              </Button>
              <Button variant="danger" onClick={() => void confirm()} loading={busy}>
                {t('refund.submit', 'Refund {amount}', { amount: amountText })}
              </Button>
            </Modal.Footer>
          </>
        )}
      </Modal.Content>
    </Modal.Root>
  );
};
