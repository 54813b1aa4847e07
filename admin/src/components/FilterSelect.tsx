import { Box, SingleSelect, SingleSelectOption } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { getTranslation } from '../utils/getTranslation';

interface Props {
  label: string;
  /** Shown when no value is chosen ("All statuses"). */
  placeholder: string;
  value: string | undefined;
  options: Array<{ value: string; label: string }>;
  onChange: (value: string) => void;
  width?: string;
}

/** A list filter: empty means "all", and a clear button brings it back to all. */
export const FilterSelect = ({ label, placeholder, value, options, onChange, width = '220px' }: Props) => {
  const { formatMessage } = useIntl();
  return (
    <Box width={width}>
      <SingleSelect
        aria-label={label}
        placeholder={placeholder}
        value={value || null}
        onChange={(v: string | number) => onChange(String(v))}
        onClear={value ? () => onChange('') : undefined}
        clearLabel={formatMessage({ id: getTranslation('common.clear'), defaultMessage: 'Clear' })}
      >
        {options.map((o) => (
          <SingleSelectOption key={o.value} value={o.value}>
            {o.label}
          </SingleSelectOption>
        ))}
      </SingleSelect>
    </Box>
  );
};
