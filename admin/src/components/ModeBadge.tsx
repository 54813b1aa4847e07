import { Badge } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { getTranslation } from '../utils/getTranslation';

export const ModeBadge = ({ mode }: { mode: 'test' | 'live' | null }) => {
  const { formatMessage } = useIntl();
  if (mode === 'test') {
    return (
      <Badge backgroundColor="warning100" textColor="warning700" data-testid="mode-badge">
        {formatMessage({ id: getTranslation('settings.testMode'), defaultMessage: 'TEST MODE' })}
      </Badge>
    );
  }
  if (mode === 'live') {
    return (
      <Badge backgroundColor="success100" textColor="success700" data-testid="mode-badge">
        {formatMessage({ id: getTranslation('settings.liveMode'), defaultMessage: 'LIVE' })}
      </Badge>
    );
  }
  return null;
};
