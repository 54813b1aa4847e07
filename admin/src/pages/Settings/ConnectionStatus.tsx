import { Flex, Typography } from '@strapi/design-system';
import { CheckCircle, WarningCircle } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import type { SettingsView } from '../../utils/types';

export const ConnectionStatus = ({ settings }: { settings: SettingsView }) => {
  const { formatMessage } = useIntl();
  const { connection } = settings;
  if (connection.status === 'connected') {
    return (
      <Flex gap={2} data-testid="connection-status">
        <CheckCircle fill="success600" aria-hidden />
        <Typography textColor="success600" fontWeight="bold">
          {formatMessage(
            { id: getTranslation('settings.connected'), defaultMessage: 'Connected to Stripe account {accountId}' },
            { accountId: connection.accountId ?? '' },
          )}
        </Typography>
      </Flex>
    );
  }
  if (connection.status === 'error') {
    return (
      <Flex gap={2} data-testid="connection-status">
        <WarningCircle fill="danger600" aria-hidden />
        <Typography textColor="danger600">
          {formatMessage({ id: getTranslation('settings.notConnected'), defaultMessage: 'Not connected' })}:{' '}
          {connection.message}
        </Typography>
      </Flex>
    );
  }
  return (
    <Typography textColor="neutral600" data-testid="connection-status">
      {formatMessage({ id: getTranslation('settings.notConfigured'), defaultMessage: 'No Stripe keys saved yet.' })}
    </Typography>
  );
};
