import { forwardRef, useEffect, useMemo, useRef, useState } from 'react';
import { useField, useForm } from '@strapi/strapi/admin';
import { Box, Button, Field, Flex, IconButton, TextInput, Typography } from '@strapi/design-system';
import { Plus, Trash } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { currencyExponent, displayExponent, isSupportedCurrency } from '../../../server/src/domain/currency-table';
import { computeInvoiceTotals } from '../../../server/src/domain/invoice-totals';
import { getTranslation } from '../utils/getTranslation';
import { minorToMajorString, parseAmount } from '../utils/money';
import { amountProblemMessage } from '../utils/amountMessages';

/**
 * The Content Manager's input for an invoice's line items (the plugin's `line-items` custom field,
 * stored as the same JSON the plugin always used: unitAmount in minor units). People type prices
 * as they write them, in the invoice's currency; the subtotal, tax and total shown are the ones
 * the server will compute (same domain code), and the server recomputes them on save anyway.
 */

interface StoredLine {
  description?: unknown;
  quantity?: unknown;
  unitAmount?: unknown;
  [extra: string]: unknown;
}

interface Row {
  key: number;
  description: string;
  quantity: string;
  price: string;
  /** Fields of the stored line this input does not edit (ids, tax codes), kept as they were. */
  extra: Record<string, unknown>;
}

interface Props {
  name: string;
  label?: string;
  hint?: string;
  required?: boolean;
  disabled?: boolean;
}

function parseStored(value: unknown): StoredLine[] {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v) as unknown;
    } catch {
      return [];
    }
  }
  return Array.isArray(v) ? (v.filter((l) => typeof l === 'object' && l !== null) as StoredLine[]) : [];
}

const exponentOf = (currency: unknown) =>
  typeof currency === 'string' && isSupportedCurrency(currency.toUpperCase())
    ? currencyExponent(currency.toUpperCase())
    : 2;

let nextKey = 1;
function toRows(lines: StoredLine[], exponent: number): Row[] {
  return lines.map(({ description, quantity, unitAmount, lineTotal: _lineTotal, ...extra }) => ({
    key: nextKey++,
    description: typeof description === 'string' ? description : '',
    quantity: quantity == null ? '1' : String(quantity),
    price:
      typeof unitAmount === 'number' && Number.isSafeInteger(unitAmount)
        ? minorToMajorString(unitAmount, exponent)
        : '',
    extra,
  }));
}

/** A price as minor units, or the problem with it. "0" is a valid price (a free line). */
function priceToMinor(
  price: string,
  exponent: number,
): { ok: true; minor: number } | { ok: false; message: Parameters<typeof amountProblemMessage>[1] } {
  if (/^\s*0+(?:[.,]0*)?\s*$/.test(price)) return { ok: true, minor: 0 };
  const parsed = parseAmount(price, exponent);
  return parsed.ok ? parsed : { ok: false, message: parsed.problem };
}

const quantityValue = (q: string): number | string =>
  /^\d+(?:\.\d{1,3})?$/.test(q.trim()) ? Number(q.trim()) : q.trim();

export const LineItemsInput = forwardRef<HTMLDivElement, Props>(function LineItemsInput(
  { name, label, hint, required, disabled },
  ref,
) {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const field = useField<unknown>(name);
  const values = useForm('LineItemsInput', (s) => s.values) as Record<string, unknown>;
  const currency = typeof values.currency === 'string' && values.currency ? values.currency.toUpperCase() : 'USD';
  const exponent = exponentOf(currency);
  const [rows, setRows] = useState<Row[]>(() => toRows(parseStored(field.value), exponent));
  const lastSent = useRef<string>(JSON.stringify(field.value ?? null));

  // A value that changed outside this input (the form was reset or reloaded after saving).
  useEffect(() => {
    const incoming = JSON.stringify(field.value ?? null);
    if (incoming !== lastSent.current) {
      lastSent.current = incoming;
      setRows(toRows(parseStored(field.value), exponent));
    }
  }, [field.value, exponent]);

  const problems = rows.map((r) => (r.price.trim() ? priceToMinor(r.price, exponent) : null));

  function update(next: Row[]) {
    setRows(next);
    const stored = next.map((r) => {
      const price = priceToMinor(r.price, exponent);
      // An unreadable price is sent as typed: the server refuses it with a message, nothing is saved.
      return {
        ...r.extra,
        description: r.description,
        quantity: quantityValue(r.quantity),
        unitAmount: price.ok ? price.minor : r.price,
      };
    });
    lastSent.current = JSON.stringify(stored);
    field.onChange(name, stored);
  }

  const change = (key: number, patch: Partial<Row>) =>
    update(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const money = (minor: number) => {
    const digits = displayExponent(isSupportedCurrency(currency) ? currency : 'USD');
    try {
      return intl.formatNumber(Number(minorToMajorString(minor, exponent)), {
        style: 'currency',
        currency,
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    } catch {
      return `${minorToMajorString(minor, exponent)} ${currency}`;
    }
  };

  const totals = useMemo(() => {
    try {
      return computeInvoiceTotals({
        currency,
        lineItems: rows.map((r) => {
          const price = priceToMinor(r.price, exponent);
          if (!price.ok) throw new Error('price');
          return { description: r.description, quantity: quantityValue(r.quantity), unitAmount: price.minor };
        }),
        taxRateBps: Number(values.taxRateBps ?? 0) || 0,
        discountAmount: Number(values.discountAmount ?? 0) || 0,
      });
    } catch {
      return null;
    }
  }, [rows, currency, exponent, values.taxRateBps, values.discountAmount]);

  const paid = typeof values.amountPaid === 'number' ? values.amountPaid : 0;

  return (
    <Field.Root name={name} required={required} hint={hint} error={field.error} ref={ref}>
      <Flex direction="column" alignItems="stretch" gap={2}>
        <Field.Label>{label ?? t('lineItems.label', 'Line items')}</Field.Label>
        <Box tag="table" width="100%" style={{ borderCollapse: 'separate', borderSpacing: '0 4px' }}>
          <thead>
            <tr>
              <th style={{ textAlign: 'left' }}>
                <Typography variant="sigma">{t('lineItems.description', 'Description')}</Typography>
              </th>
              <th style={{ textAlign: 'left', width: '14%' }}>
                <Typography variant="sigma">{t('lineItems.quantity', 'Quantity')}</Typography>
              </th>
              <th style={{ textAlign: 'left', width: '22%' }}>
                <Typography variant="sigma">
                  {t('lineItems.unitPrice', 'Unit price ({currency})', { currency })}
                </Typography>
              </th>
              <th style={{ textAlign: 'right', width: '16%' }}>
                <Typography variant="sigma">{t('lineItems.lineTotal', 'Amount')}</Typography>
              </th>
              <th style={{ width: '48px' }} />
            </tr>
          </thead>
          <tbody>
            {rows.map((r, i) => {
              const problem = problems[i];
              const line = totals?.lines[i];
              return (
                <tr key={r.key}>
                  <td style={{ paddingRight: 8 }}>
                    <TextInput
                      aria-label={t('lineItems.descriptionOf', 'Description of line {number}', { number: i + 1 })}
                      value={r.description}
                      disabled={disabled}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) =>
                        change(r.key, { description: e.target.value })
                      }
                    />
                  </td>
                  <td style={{ paddingRight: 8 }}>
                    <TextInput
                      aria-label={t('lineItems.quantityOf', 'Quantity of line {number}', { number: i + 1 })}
                      inputMode="decimal"
                      value={r.quantity}
                      disabled={disabled}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) => change(r.key, { quantity: e.target.value })}
                    />
                  </td>
                  <td style={{ paddingRight: 8 }}>
                    <TextInput
                      aria-label={t('lineItems.priceOf', 'Unit price of line {number}', { number: i + 1 })}
                      inputMode="decimal"
                      value={r.price}
                      disabled={disabled}
                      onChange={(e: React.ChangeEvent<HTMLInputElement>) => change(r.key, { price: e.target.value })}
                    />
                    {problem && !problem.ok ? (
                      <Typography variant="pi" textColor="danger600">
                        {amountProblemMessage(intl, problem.message, exponent)}
                      </Typography>
                    ) : null}
                  </td>
                  <td style={{ textAlign: 'right', paddingRight: 8 }}>
                    <Typography>{line ? money(line.lineTotal) : '—'}</Typography>
                  </td>
                  <td>
                    <IconButton
                      label={t('lineItems.remove', 'Remove line {number}', { number: i + 1 })}
                      disabled={disabled || rows.length <= 1}
                      onClick={() => update(rows.filter((x) => x.key !== r.key))}
                      variant="ghost"
                    >
                      <Trash />
                    </IconButton>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </Box>
        <Box>
          <Button
            variant="secondary"
            startIcon={<Plus />}
            disabled={disabled}
            onClick={() => update([...rows, { key: nextKey++, description: '', quantity: '1', price: '', extra: {} }])}
          >
            {t('lineItems.add', 'Add a line')}
          </Button>
        </Box>
        <Flex direction="column" alignItems="flex-end" gap={1} aria-live="polite">
          {totals ? (
            <>
              <Typography>
                {t('lineItems.subtotal', 'Subtotal: {amount}', { amount: money(totals.subtotal) })}
              </Typography>
              {totals.discount > 0 ? (
                <Typography>
                  {t('lineItems.discount', 'Discount: {amount}', { amount: money(totals.discount) })}
                </Typography>
              ) : null}
              {totals.tax > 0 ? (
                <Typography>{t('lineItems.tax', 'Tax: {amount}', { amount: money(totals.tax) })}</Typography>
              ) : null}
              <Typography fontWeight="bold" data-testid="line-items-total">
                {t('lineItems.total', 'Total: {amount}', { amount: money(totals.total) })}
              </Typography>
              {paid > 0 ? (
                <Typography>{t('lineItems.paid', 'Already paid: {amount}', { amount: money(paid) })}</Typography>
              ) : null}
            </>
          ) : (
            <Typography textColor="neutral600">
              {t('lineItems.incomplete', 'Complete every line to see the total.')}
            </Typography>
          )}
        </Flex>
        <Field.Hint />
        <Field.Error />
      </Flex>
    </Field.Root>
  );
});

export default LineItemsInput;
