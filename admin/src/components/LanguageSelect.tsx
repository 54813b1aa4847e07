import { SingleSelect, SingleSelectOption } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { LANGUAGES, type Language } from '../../../server/src/i18n/messages';
import { getTranslation } from '../utils/getTranslation';

/** Each language in its own name: whoever reads the list finds theirs. */
export const LANGUAGE_NAMES: Record<Language, string> = {
  en: 'English',
  fr: 'Français',
  de: 'Deutsch',
  es: 'Español',
};

interface Props {
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
  /** The invoice editor: '' means "the site's default client language", named here. */
  siteDefault?: Language;
  id?: string;
}

/** The client's language: Settings' default, and each invoice's own (pay page, PDF, emails). */
export const LanguageSelect = ({ value, onChange, disabled, siteDefault, id }: Props) => {
  const { formatMessage } = useIntl();
  return (
    <SingleSelect
      id={id}
      value={value === '' && siteDefault ? '' : value}
      disabled={disabled}
      onChange={(v: string | number) => onChange(String(v))}
    >
      {siteDefault ? (
        <SingleSelectOption value="">
          {formatMessage(
            { id: getTranslation('language.siteDefault'), defaultMessage: 'Site default ({language})' },
            { language: LANGUAGE_NAMES[siteDefault] },
          )}
        </SingleSelectOption>
      ) : null}
      {LANGUAGES.map((code) => (
        <SingleSelectOption key={code} value={code}>
          {LANGUAGE_NAMES[code]}
        </SingleSelectOption>
      ))}
    </SingleSelect>
  );
};
