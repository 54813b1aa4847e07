import { Box, Button, Field, Flex, IconButton, TextInput, Typography } from '@strapi/design-system';
import { Plus, Trash } from '@strapi/icons';
import { useIntl } from 'react-intl';
import type { InvoiceFormLine } from '../../../../server/src/domain/invoice-form';
import { getTranslation } from '../../utils/getTranslation';

interface Props {
  lines: InvoiceFormLine[];
  currency: string;
  exponent: number;
  /** Minor units per line when the whole form adds up, else null. */
  lineTotals: number[] | null;
  problem: (path: string) => string | undefined;
  touch: (path: string) => void;
  onChange: (lines: InvoiceFormLine[]) => void;
  format: (minor: number) => string;
}

/** Line item rows: description, quantity, unit price in major units ("1,250.00"), and the line's total. */
export const LineItems = ({ lines, currency, exponent, lineTotals, problem, touch, onChange, format }: Props) => {
  const { formatMessage } = useIntl();
  const t = (key: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(key), defaultMessage }, values);
  const update = (index: number, patch: Partial<InvoiceFormLine>) =>
    onChange(lines.map((l, i) => (i === index ? { ...l, ...patch } : l)));
  const example = exponent === 0 ? '1,500' : `1,250.${'0'.repeat(exponent)}`;
  return (
    <Flex direction="column" alignItems="stretch" gap={3}>
      <Typography variant="delta" tag="h2">
        {t('editor.lines', 'Line items')}
      </Typography>
      {problem('lines') && (
        <Typography textColor="danger600" role="alert" data-testid="lines-error">
          {problem('lines')}
        </Typography>
      )}
      {lines.map((line, i) => (
        <Flex key={i} gap={3} alignItems="flex-start" data-testid={`line-${i}`}>
          <Box flex="1">
            <Field.Root name={`lines.${i}.description`} error={problem(`lines.${i}.description`)}>
              <Field.Label>{t('editor.lineDescription', 'Description')}</Field.Label>
              <TextInput
                value={line.description}
                maxLength={500}
                onChange={(e: { target: { value: string } }) => update(i, { description: e.target.value })}
                onBlur={() => touch(`lines.${i}.description`)}
              />
              <Field.Error />
            </Field.Root>
          </Box>
          <Box width="120px">
            <Field.Root name={`lines.${i}.quantity`} error={problem(`lines.${i}.quantity`)}>
              <Field.Label>{t('editor.lineQuantity', 'Quantity')}</Field.Label>
              <TextInput
                inputMode="decimal"
                value={line.quantity}
                onChange={(e: { target: { value: string } }) => update(i, { quantity: e.target.value })}
                onBlur={() => touch(`lines.${i}.quantity`)}
              />
              <Field.Error />
            </Field.Root>
          </Box>
          <Box width="180px">
            <Field.Root name={`lines.${i}.unitPrice`} error={problem(`lines.${i}.unitPrice`)}>
              <Field.Label>{t('editor.lineUnitPrice', 'Unit price ({currency})', { currency })}</Field.Label>
              <TextInput
                inputMode="decimal"
                placeholder={example}
                value={line.unitPrice}
                onChange={(e: { target: { value: string } }) => update(i, { unitPrice: e.target.value })}
                onBlur={() => touch(`lines.${i}.unitPrice`)}
              />
              <Field.Error />
            </Field.Root>
          </Box>
          <Box width="150px" paddingTop={7}>
            <Typography textAlign="right" tag="p" data-testid={`line-total-${i}`}>
              {lineTotals?.[i] !== undefined ? format(lineTotals[i]!) : '—'}
            </Typography>
          </Box>
          <Box paddingTop={6}>
            <IconButton
              label={t('editor.removeLine', 'Remove line {n}', { n: String(i + 1) })}
              disabled={lines.length === 1}
              onClick={() => onChange(lines.filter((_, j) => j !== i))}
              variant="ghost"
            >
              <Trash />
            </IconButton>
          </Box>
        </Flex>
      ))}
      <Box>
        <Button
          variant="secondary"
          startIcon={<Plus />}
          onClick={() => onChange([...lines, { description: '', quantity: '1', unitPrice: '' }])}
        >
          {t('editor.addLine', 'Add line')}
        </Button>
      </Box>
    </Flex>
  );
};
