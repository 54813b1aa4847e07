import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Page, useFetchClient, useNotification, isFetchError } from '@strapi/strapi/admin';
import {
  Alert,
  Box,
  Button,
  DatePicker,
  Field,
  Flex,
  Grid,
  Link,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Textarea,
  Typography,
} from '@strapi/design-system';
import { ArrowLeft, Check } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { Link as RouterLink, useNavigate, useParams } from 'react-router-dom';
// The server's own rules and money formatting (plain TypeScript, no server imports), so both agree.
import {
  addDays,
  parseInvoiceForm,
  type FormProblem,
  type InvoiceFormValues,
} from '../../../../server/src/domain/invoice-form';
import { formatMinor } from '../../../../server/src/domain/money';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { todayIso } from '../../utils/format';
import { useApiGet } from '../../hooks/useApiGet';
import { PluginLayout } from '../../components/PluginLayout';
import { pluginPath, usePlugin } from '../../components/PluginContext';
import { LineItems } from './LineItems';
import { ClientPicker, type ClientOption } from './ClientPicker';
import { LanguageSelect } from '../../components/LanguageSelect';

export interface EditorResponse {
  values: InvoiceFormValues;
  client: ClientOption | null;
  state?: string;
  paymentTermDays: number;
  /** Settings' default client language: what "Site default" means for this invoice. */
  defaultLanguage?: 'en' | 'fr' | 'de' | 'es';
  currencies: Array<{ code: string; exponent: number }>;
  limits: { editable: boolean; currencyLocked: boolean; minimumTotal: number; minimumTotalFormatted: string | null };
}

const toDate = (iso: string) => {
  const [y, m, d] = iso.split('-').map(Number);
  return y && m && d ? new Date(y, m - 1, d) : undefined;
};

/** Problems keyed by field path ("lines.2.unitPrice"), first message wins. */
const byPath = (problems: readonly FormProblem[]) => {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.path.join('.')] ??= p.message;
  return out;
};

/**
 * Invoices → Create / Edit: the client, dates, currency, line items in major units with live
 * totals. The rules are the server's own (domain/invoice-form), so a field shows the same message
 * here as the server would answer; the server checks again and its answer wins.
 */
export const InvoiceEditorPage = () => {
  const { id } = useParams<{ id: string }>();
  const intl = useIntl();
  const t = (key: string, defaultMessage: string, values?: Record<string, string>) =>
    intl.formatMessage({ id: getTranslation(key), defaultMessage }, values);
  const { base } = usePlugin();
  const navigate = useNavigate();
  const { post, put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const url = id ? `/${PLUGIN_ID}/invoice-form/${encodeURIComponent(id)}` : `/${PLUGIN_ID}/invoice-form`;
  const { data, error } = useApiGet<{ data: EditorResponse }>(
    url,
    t('editor.loadError', 'The invoice could not be loaded.'),
  );
  const [values, setValues] = useState<InvoiceFormValues | null>(null);
  const [client, setClient] = useState<ClientOption | null>(null);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [serverProblems, setServerProblems] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (data?.data) {
      setValues(data.data.values);
      setClient(data.data.client);
    }
  }, [data]);

  const result = useMemo(() => (values ? parseInvoiceForm(values) : null), [values]);
  const problems = useMemo(() => (result && !result.ok ? byPath(result.problems) : {}), [result]);

  if (error && !data) return error.status === 404 ? <Page.NoData /> : <Page.Error />;
  if (!data || !values) return <Page.Loading />;
  const meta = data.data;

  /** A field's message: the server's after a failed save, else the shared rules once touched (or after Save). */
  const problem = (path: string) =>
    serverProblems[path] ?? (submitted || touched.has(path) ? problems[path] : undefined);
  const touch = (path: string) => setTouched((s) => (s.has(path) ? s : new Set(s).add(path)));
  const set = <K extends keyof InvoiceFormValues>(key: K, value: InvoiceFormValues[K]) => {
    setValues((v) => (v ? { ...v, [key]: value } : v));
    setServerProblems({});
    setFormError(null);
  };
  const setIssueDate = (iso: string) => {
    // The due date follows the issue date by the default term until the admin picks another one.
    const followsTerm = values.dueDate === '' || values.dueDate === addDays(values.issueDate, meta.paymentTermDays);
    setValues((v) =>
      v ? { ...v, issueDate: iso, dueDate: followsTerm && iso ? addDays(iso, meta.paymentTermDays) : v.dueDate } : v,
    );
  };
  const money = (minor: number) => formatMinor(minor, values.currency, intl.locale);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!result?.ok) return;
    setBusy(true);
    try {
      const res = id
        ? await put<{ data: { documentId: string } }>(`/${PLUGIN_ID}/invoices/${encodeURIComponent(id)}`, values)
        : await post<{ data: { documentId: string } }>(`/${PLUGIN_ID}/invoices`, values);
      toggleNotification({
        type: 'success',
        message: id
          ? t('editor.saved', 'Invoice saved.')
          : t('editor.created', 'Invoice {number} created as a draft.', { number: values.number }),
      });
      navigate(`${pluginPath(base)}/invoices/${encodeURIComponent(res.data.data.documentId)}`);
    } catch (e) {
      const body = isFetchError(e)
        ? (e.response?.data as { error?: { message?: string; details?: { errors?: FormProblem[] } } } | undefined)
        : undefined;
      const fields = byPath(body?.error?.details?.errors ?? []);
      setServerProblems(fields);
      setFormError(body?.error?.message ?? t('editor.saveFailed', 'The invoice could not be saved.'));
    } finally {
      setBusy(false);
    }
  };

  const back = (
    <Link
      tag={RouterLink}
      to={id ? `${pluginPath(base)}/invoices/${encodeURIComponent(id)}` : pluginPath(base, 'invoices')}
      startIcon={<ArrowLeft />}
    >
      {id ? t('editor.backToInvoice', 'Invoice') : t('detail.back', 'Invoices')}
    </Link>
  );
  const totals = result?.ok ? result.totals : (result?.totals ?? null);
  const exponent = meta.currencies.find((c) => c.code === values.currency)?.exponent ?? 2;

  return (
    <PluginLayout
      title={
        id
          ? t('editor.editTitle', 'Edit invoice {number}', { number: values.number })
          : t('editor.newTitle', 'New invoice')
      }
      navigationAction={back}
      primaryAction={
        <Button
          type="submit"
          form="invoice-editor"
          startIcon={<Check />}
          loading={busy}
          disabled={!meta.limits.editable}
        >
          {id ? t('editor.save', 'Save') : t('editor.create', 'Create draft')}
        </Button>
      }
      tabs={false}
    >
      <form id="invoice-editor" onSubmit={submit} noValidate>
        <Flex direction="column" alignItems="stretch" gap={4}>
          {formError && (
            <Alert
              variant="danger"
              closeLabel={t('common.close', 'Close')}
              title={t('editor.notSaved', 'Not saved')}
              onClose={() => setFormError(null)}
            >
              {formError}
            </Alert>
          )}
          {!meta.limits.editable && (
            <Alert
              variant="default"
              closeLabel={t('common.close', 'Close')}
              title={t('editor.voidTitle', 'Void invoice')}
            >
              {t('editor.voidBody', 'A voided invoice cannot be edited. Duplicate it to bill again.')}
            </Alert>
          )}
          {meta.limits.minimumTotalFormatted && (
            <Alert
              variant="default"
              closeLabel={t('common.close', 'Close')}
              title={t('editor.paidTitle', 'This invoice has payments')}
            >
              {t(
                'editor.paidBody',
                '{paid} has been paid: the total cannot go below it and the currency cannot change.',
                { paid: meta.limits.minimumTotalFormatted },
              )}
            </Alert>
          )}
          <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
            <Typography variant="delta" tag="h2">
              {t('editor.client', 'Client')}
            </Typography>
            <Grid.Root gap={4} paddingTop={4}>
              <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                <ClientPicker
                  value={client}
                  onChange={(c) => {
                    setClient(c);
                    set('customer', c?.id ?? null);
                    if (c && !values.billingEmail) set('billingEmail', c.email ?? '');
                  }}
                  error={problem('customer')}
                />
              </Grid.Item>
              <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="billingName"
                  error={problem('billingName')}
                  hint={t('editor.billingNameHint', 'Person or company, as it appears on the invoice.')}
                >
                  <Field.Label>{t('editor.billingName', 'Bill to')}</Field.Label>
                  <TextInput
                    value={values.billingName}
                    maxLength={200}
                    onChange={(e: { target: { value: string } }) => set('billingName', e.target.value)}
                    onBlur={() => touch('billingName')}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="billingEmail"
                  error={problem('billingEmail')}
                  hint={t('editor.billingEmailHint', 'The invoice and its pay link are sent here.')}
                >
                  <Field.Label>{t('editor.billingEmail', 'Email')}</Field.Label>
                  <TextInput
                    type="email"
                    value={values.billingEmail}
                    maxLength={254}
                    onChange={(e: { target: { value: string } }) => set('billingEmail', e.target.value)}
                    onBlur={() => touch('billingEmail')}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="language"
                  error={problem('language')}
                  hint={t('editor.languageHint', 'The pay page, the PDF and the emails the client gets.')}
                >
                  <Field.Label>{t('editor.language', 'Client language')}</Field.Label>
                  <LanguageSelect
                    value={values.language ?? ''}
                    siteDefault={meta.defaultLanguage ?? 'en'}
                    onChange={(v) => set('language', v)}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
            </Grid.Root>
          </Box>
          <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
            <Typography variant="delta" tag="h2">
              {t('editor.details', 'Invoice')}
            </Typography>
            <Grid.Root gap={4} paddingTop={4}>
              <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
                <Field.Root name="number" error={problem('number')} required>
                  <Field.Label>{t('editor.number', 'Number')}</Field.Label>
                  <TextInput
                    value={values.number}
                    maxLength={64}
                    onChange={(e: { target: { value: string } }) => set('number', e.target.value)}
                    onBlur={() => touch('number')}
                  />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="currency"
                  error={problem('currency')}
                  hint={
                    meta.limits.currencyLocked
                      ? t('editor.currencyLocked', 'Fixed: the invoice has payments.')
                      : undefined
                  }
                  required
                >
                  <Field.Label>{t('editor.currency', 'Currency')}</Field.Label>
                  <SingleSelect
                    value={values.currency}
                    disabled={meta.limits.currencyLocked}
                    onChange={(v: string | number) => set('currency', String(v))}
                  >
                    {meta.currencies.map((c) => (
                      <SingleSelectOption key={c.code} value={c.code}>
                        {c.code}
                      </SingleSelectOption>
                    ))}
                  </SingleSelect>
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
                <Field.Root name="issueDate" error={problem('issueDate')} required>
                  <Field.Label>{t('editor.issueDate', 'Issue date')}</Field.Label>
                  <DatePicker
                    value={toDate(values.issueDate)}
                    locale={intl.locale}
                    onChange={(d: Date | undefined) => setIssueDate(d ? todayIso(d) : '')}
                    onClear={() => setIssueDate('')}
                    clearLabel={t('common.clear', 'Clear')}
                  />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="dueDate"
                  error={problem('dueDate')}
                  hint={t('editor.dueDateHint', '{days} days after the issue date by default (Settings).', {
                    days: String(meta.paymentTermDays),
                  })}
                >
                  <Field.Label>{t('editor.dueDate', 'Due date')}</Field.Label>
                  <DatePicker
                    value={toDate(values.dueDate)}
                    locale={intl.locale}
                    onChange={(d: Date | undefined) => {
                      set('dueDate', d ? todayIso(d) : '');
                      touch('dueDate');
                    }}
                    onClear={() => set('dueDate', '')}
                    clearLabel={t('common.clear', 'Clear')}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
            </Grid.Root>
          </Box>
          <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
            <LineItems
              lines={values.lines}
              currency={values.currency}
              exponent={exponent}
              lineTotals={totals?.lines.map((l) => l.lineTotal) ?? null}
              problem={problem}
              touch={touch}
              onChange={(lines) => set('lines', lines)}
              format={money}
            />
            <Grid.Root gap={4} paddingTop={6}>
              <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="taxRate"
                  error={problem('taxRate')}
                  hint={t('editor.taxRateHint', 'Percent of the total after the discount, e.g. 8.25.')}
                >
                  <Field.Label>{t('editor.taxRate', 'Tax rate (%)')}</Field.Label>
                  <TextInput
                    inputMode="decimal"
                    value={values.taxRate}
                    onChange={(e: { target: { value: string } }) => set('taxRate', e.target.value)}
                    onBlur={() => touch('taxRate')}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={3} s={12} direction="column" alignItems="stretch">
                <Field.Root
                  name="discount"
                  error={problem('discount')}
                  hint={t('editor.discountHint', 'In {currency}, taken off before tax.', { currency: values.currency })}
                >
                  <Field.Label>{t('editor.discount', 'Discount')}</Field.Label>
                  <TextInput
                    inputMode="decimal"
                    value={values.discount}
                    onChange={(e: { target: { value: string } }) => set('discount', e.target.value)}
                    onBlur={() => touch('discount')}
                  />
                  <Field.Hint />
                  <Field.Error />
                </Field.Root>
              </Grid.Item>
              <Grid.Item col={6} s={12} direction="column" alignItems="flex-end">
                <Flex direction="column" alignItems="flex-end" gap={1} data-testid="editor-totals">
                  <Typography textColor="neutral600">
                    {t('editor.subtotal', 'Subtotal')}:{' '}
                    <span data-testid="editor-subtotal">{totals ? money(totals.subtotal) : '—'}</span>
                  </Typography>
                  {totals && totals.discount > 0 && (
                    <Typography textColor="neutral600">
                      {t('editor.discount', 'Discount')}: −{money(totals.discount)}
                    </Typography>
                  )}
                  <Typography textColor="neutral600">
                    {t('editor.tax', 'Tax')}: <span data-testid="editor-tax">{totals ? money(totals.tax) : '—'}</span>
                  </Typography>
                  <Typography variant="beta" tag="p">
                    {t('editor.total', 'Total')}:{' '}
                    <span data-testid="editor-total">{totals ? money(totals.total) : '—'}</span>
                  </Typography>
                </Flex>
              </Grid.Item>
            </Grid.Root>
          </Box>
          <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
            <Field.Root
              name="notes"
              error={problem('notes')}
              hint={t('editor.notesHint', 'Shown to the client on the invoice.')}
            >
              <Field.Label>{t('editor.notes', 'Notes')}</Field.Label>
              <Textarea
                value={values.notes}
                maxLength={5000}
                onChange={(e: { target: { value: string } }) => set('notes', e.target.value)}
              />
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Box>
        </Flex>
      </form>
    </PluginLayout>
  );
};
