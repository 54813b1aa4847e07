import { Box, Button, Field, Flex, TextInput } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';

interface Props {
  name: 'secretKey' | 'webhookSecret' | 'mollieApiKey';
  label: string;
  hint: string;
  /** The saved value's mask (sk_test_••••4242), or null when none is saved. */
  masked: string | null;
  value: string;
  error?: string;
  replacing: boolean;
  canUpdate: boolean;
  onReplace: (replacing: boolean) => void;
  onChange: (value: string) => void;
}

/**
 * A secret is never sent back by the server: once saved, only its mask shows, read-only, with a
 * "Replace" action that opens an empty password field (and "Cancel" to keep the saved one).
 */
export const SecretField = ({
  name,
  label,
  hint,
  masked,
  value,
  error,
  replacing,
  canUpdate,
  onReplace,
  onChange,
}: Props) => {
  const { formatMessage } = useIntl();
  const editing = !masked || replacing;
  return (
    <Field.Root name={name} error={error} hint={hint}>
      <Field.Label>{label}</Field.Label>
      {editing ? (
        <Flex gap={2}>
          <Box flex="1">
            <TextInput
              type="password"
              autoComplete="off"
              value={value}
              disabled={!canUpdate}
              onChange={(e: { target: { value: string } }) => onChange(e.target.value.trim())}
            />
          </Box>
          {masked && (
            <Button variant="tertiary" onClick={() => onReplace(false)}>
              {formatMessage({ id: getTranslation('common.cancel'), defaultMessage: 'Cancel' })}
            </Button>
          )}
        </Flex>
      ) : (
        <Flex gap={2}>
          <Box flex="1">
            <TextInput
              value={masked}
              disabled
              aria-label={formatMessage(
                { id: getTranslation('settings.savedSecret'), defaultMessage: '{label} (saved)' },
                { label },
              )}
              data-testid={`${name}-masked`}
            />
          </Box>
          {canUpdate && (
            <Button variant="tertiary" onClick={() => onReplace(true)}>
              {formatMessage({ id: getTranslation('settings.replace'), defaultMessage: 'Replace' })}
            </Button>
          )}
        </Flex>
      )}
      <Field.Hint />
      <Field.Error />
    </Field.Root>
  );
};
