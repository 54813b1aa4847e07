import { useEffect, useState } from 'react';
import { useFetchClient } from '@strapi/strapi/admin';
import { Combobox, ComboboxOption, Field } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { withQuery } from '../../utils/api';

export interface ClientOption {
  id: number;
  email: string | null;
  username: string | null;
}

interface Props {
  value: ClientOption | null;
  onChange: (client: ClientOption | null) => void;
  error?: string;
}

/** A site user (Users & Permissions) to bill, found by email or username as the admin types. */
export const ClientPicker = ({ value, onChange, error }: Props) => {
  const { formatMessage } = useIntl();
  const t = (key: string, defaultMessage: string) => formatMessage({ id: getTranslation(key), defaultMessage });
  const { get } = useFetchClient();
  const [query, setQuery] = useState('');
  const [options, setOptions] = useState<ClientOption[]>(value ? [value] : []);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    let stale = false;
    setLoading(true);
    // Debounced: one request once typing pauses.
    const timer = setTimeout(() => {
      get<{ results: ClientOption[] }>(withQuery(`/${PLUGIN_ID}/clients`, { q: query }))
        .then((res) => !stale && setOptions(res.data.results))
        .catch(() => !stale && setOptions([]))
        .finally(() => !stale && setLoading(false));
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
    // `get` changes identity on every render; the query is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [query]);

  const label = (c: ClientOption) =>
    c.username && c.email ? `${c.username} <${c.email}>` : (c.email ?? c.username ?? `#${c.id}`);
  const shown = value && !options.some((o) => o.id === value.id) ? [value, ...options] : options;
  return (
    <Field.Root
      name="customer"
      error={error}
      hint={t('editor.customerHint', 'A user of this site, so the invoice shows in their account. Optional.')}
    >
      <Field.Label>{t('editor.customer', 'Site user')}</Field.Label>
      <Combobox
        value={value ? String(value.id) : undefined}
        loading={loading}
        placeholder={t('editor.customerPlaceholder', 'Search by email or username')}
        onInputChange={(e: { target: { value: string } }) => setQuery(e.target.value)}
        onChange={(v?: string) => onChange(shown.find((o) => String(o.id) === v) ?? null)}
        onClear={() => onChange(null)}
        clearLabel={t('common.clear', 'Clear')}
        noOptionsMessage={() => t('editor.noClients', 'No user matches')}
      >
        {shown.map((c) => (
          <ComboboxOption key={c.id} value={String(c.id)}>
            {label(c)}
          </ComboboxOption>
        ))}
      </Combobox>
      <Field.Hint />
      <Field.Error />
    </Field.Root>
  );
};
