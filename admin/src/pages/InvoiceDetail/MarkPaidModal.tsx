import { useEffect, useState, type FormEvent } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import {
  Alert,
  Button,
  DatePicker,
  Field,
  Flex,
  Modal,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { useIntl, type IntlShape } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import { minorToMajorString, parseAmount } from '../../utils/money';
import { amountProblemMessage } from '../../utils/amountMessages';
import { todayIso } from '../../utils/format';
import { MANUAL_METHODS, METHOD_LABELS, type InvoiceDetail, type ManualMethod } from '../../utils/types';

export interface ManualPaymentForm {
  amount: string;
  date: string;
  method: ManualMethod;
  reference: string;
}

type FieldErrors = Partial<Record<keyof ManualPaymentForm | 'form', string>>;

export const initialManualForm = (
  invoice: Pick<InvoiceDetail, 'balanceDue' | 'currencyExponent'>,
  today = todayIso(),
): ManualPaymentForm => ({
  amount: minorToMajorString(invoice.balanceDue, invoice.currencyExponent),
  date: today,
  method: 'check',
  reference: '',
});

/**
 * The same rules as the server (amount above zero and at most the balance, date not in the
 * future), checked before sending so the admin sees them at once, per field.
 */
export function validateManualPayment(
  intl: IntlShape,
  form: ManualPaymentForm,
  invoice: Pick<InvoiceDetail, 'balanceDue' | 'balanceFormatted' | 'currencyExponent'>,
  today = todayIso(),
): { errors: FieldErrors; minor: number | null } {
  const errors: FieldErrors = {};
  const parsed = parseAmount(form.amount, invoice.currencyExponent);
  let minor: number | null = null;
  if (!parsed.ok) errors.amount = amountProblemMessage(intl, parsed.problem, invoice.currencyExponent);
  else if (parsed.minor > invoice.balanceDue) {
    errors.amount = intl.formatMessage(
      { id: getTranslation('markPaid.overpayment'), defaultMessage: 'That is more than the balance due ({balance}).' },
      { balance: invoice.balanceFormatted },
    );
  } else minor = parsed.minor;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.date))
    errors.date = intl.formatMessage({
      id: getTranslation('markPaid.dateRequired'),
      defaultMessage: 'Choose the date the payment was received.',
    });
  else if (form.date > today)
    errors.date = intl.formatMessage({
      id: getTranslation('markPaid.dateFuture'),
      defaultMessage: 'The payment date cannot be in the future.',
    });
  if (form.reference.length > 200)
    errors.reference = intl.formatMessage({
      id: getTranslation('markPaid.referenceTooLong'),
      defaultMessage: 'At most 200 characters.',
    });
  return { errors, minor };
}

const toDate = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return y && m && d ? new Date(y, m - 1, d) : undefined;
};

interface Props {
  invoice: InvoiceDetail;
  open: boolean;
  onClose: () => void;
  onRecorded: () => void;
}

/** "Mark as paid": a cheque, transfer or cash payment booked in the ledger. */
export const MarkPaidModal = ({ invoice, open, onClose, onRecorded }: Props) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string) => intl.formatMessage({ id: getTranslation(id), defaultMessage });
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const [form, setForm] = useState<ManualPaymentForm>(() => initialManualForm(invoice));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  // Each opening starts from the current balance and today.
  useEffect(() => {
    if (open) {
      setForm(initialManualForm(invoice));
      setErrors({});
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const set = <K extends keyof ManualPaymentForm>(key: K, value: ManualPaymentForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined, form: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const today = todayIso();
    const { errors: found, minor } = validateManualPayment(intl, form, invoice, today);
    if (Object.keys(found).length || minor === null) {
      setErrors(found);
      return;
    }
    setBusy(true);
    try {
      await post(`/${PLUGIN_ID}/invoices/${encodeURIComponent(invoice.documentId)}/manual-payments`, {
        amount: minor,
        method: form.method,
        // Today is left to the server's clock, so a time zone ahead of it is never "the future".
        ...(form.date !== today ? { date: form.date } : {}),
        ...(form.reference.trim() ? { reference: form.reference.trim() } : {}),
      });
      toggleNotification({ type: 'success', message: t('markPaid.done', 'Payment recorded.') });
      onRecorded();
      onClose();
    } catch (error) {
      const problem = readApiError(error, t('markPaid.failed', 'The payment could not be recorded.'));
      // The server's sentence is the clearest (it names the balance); it goes under the field it is about.
      const fields = Object.keys(problem.fields);
      if (fields.length === 1 && fields[0] !== 'form')
        setErrors({ [fields[0] as keyof ManualPaymentForm]: problem.message });
      else setErrors({ ...problem.fields, form: problem.message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal.Root open={open} onOpenChange={(next: boolean) => !next && onClose()}>
      <Modal.Content>
        <form onSubmit={submit} noValidate>
          <Modal.Header>
            <Modal.Title>
              {intl.formatMessage(
                { id: getTranslation('markPaid.title'), defaultMessage: 'Mark invoice {number} as paid' },
                { number: invoice.number },
              )}
            </Modal.Title>
          </Modal.Header>
          <Modal.Body>
            <Flex direction="column" alignItems="stretch" gap={4}>
              <Typography textColor="neutral600">
                {intl.formatMessage(
                  { id: getTranslation('markPaid.balance'), defaultMessage: 'Balance due: {balance}' },
                  { balance: invoice.balanceFormatted },
                )}
              </Typography>
              {errors.form && (
                <Alert variant="danger" closeLabel={t('common.close', 'Close')} title={t('common.error', 'Error')}>
                  {errors.form}
                </Alert>
              )}
              <Field.Root
                name="amount"
                error={errors.amount}
                hint={intl.formatMessage(
                  { id: getTranslation('markPaid.amountHint'), defaultMessage: 'In {currency}.' },
                  { currency: invoice.currency },
                )}
                required
              >
                <Field.Label>{t('markPaid.amount', 'Amount')}</Field.Label>
                <TextInput
                  inputMode="decimal"
                  value={form.amount}
                  onChange={(e: { target: { value: string } }) => set('amount', e.target.value)}
                />
                <Field.Hint />
                <Field.Error />
              </Field.Root>
              <Field.Root name="date" error={errors.date} required>
                <Field.Label>{t('markPaid.date', 'Date received')}</Field.Label>
                <DatePicker
                  value={toDate(form.date)}
                  maxDate={new Date()}
                  locale={intl.locale}
                  onChange={(d: Date | undefined) => set('date', d ? todayIso(d) : '')}
                  onClear={() => set('date', '')}
                  clearLabel={t('common.clear', 'Clear')}
                />
                <Field.Error />
              </Field.Root>
              <Field.Root name="method" error={errors.method} required>
                <Field.Label>{t('markPaid.method', 'Method')}</Field.Label>
                <SingleSelect
                  value={form.method}
                  onChange={(v: string | number) => set('method', String(v) as ManualMethod)}
                >
                  {MANUAL_METHODS.map((m) => (
                    <SingleSelectOption key={m} value={m}>
                      {t(`method.${m}`, METHOD_LABELS[m] ?? m)}
                    </SingleSelectOption>
                  ))}
                </SingleSelect>
                <Field.Error />
              </Field.Root>
              <Field.Root
                name="reference"
                error={errors.reference}
                hint={t('markPaid.referenceHint', 'Cheque number, transfer reference…')}
              >
                <Field.Label>{t('markPaid.reference', 'Reference')}</Field.Label>
                <TextInput
                  value={form.reference}
                  maxLength={200}
                  onChange={(e: { target: { value: string } }) => set('reference', e.target.value)}
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
            <Button type="submit" loading={busy}>
              {t('markPaid.submit', 'Record payment')}
            </Button>
          </Modal.Footer>
        </form>
      </Modal.Content>
    </Modal.Root>
  );
};
