import { Box, Flex, Typography } from '@strapi/design-system';
import { CheckCircle, WarningCircle } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import { formatDateTime } from '../../utils/format';
import type { WebhookHealth } from '../../utils/types';

/** Hours without any event after which silence itself looks like a delivery problem. */
const QUIET_HOURS = 24;

/**
 * One line that tells at a glance whether Stripe reaches the site: when the last event arrived,
 * how many failed in the last 24 h, how many wait in the dead letter queue, and rejected signatures.
 */
export const HealthLine = ({ health, now = Date.now() }: { health: WebhookHealth; now?: number }) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const last = health.lastEventAt ? new Date(health.lastEventAt).getTime() : null;
  const quiet = last === null || now - last > QUIET_HOURS * 3600 * 1000;
  const trouble = health.failuresLast24h > 0 || health.deadLettered > 0 || health.rejectedLast24h > 0;
  const tone = trouble ? 'danger' : quiet ? 'warning' : 'success';
  const Icon = tone === 'success' ? CheckCircle : WarningCircle;
  return (
    <Box
      background={`${tone}100`}
      borderColor={`${tone}200`}
      padding={4}
      hasRadius
      marginBottom={4}
      data-testid="webhook-health"
    >
      <Flex gap={3} wrap="wrap">
        <Icon fill={`${tone}600`} aria-hidden />
        <Typography fontWeight="bold" textColor={`${tone}700`}>
          {last === null
            ? t('webhooks.health.never', 'No event received from a payment provider yet.')
            : t('webhooks.health.last', 'Last event received {time} ({type}).', {
                time: formatDateTime(intl, health.lastEventAt),
                type: health.lastEventType ?? '',
              })}
        </Typography>
        <Typography textColor={`${tone}700`}>
          {t(
            'webhooks.health.failures',
            '{count, plural, =0 {No failures} one {# failure} other {# failures}} in the last 24 h',
            { count: health.failuresLast24h },
          )}
          {' · '}
          {t(
            'webhooks.health.dead',
            '{count, plural, =0 {nothing dead-lettered} one {# dead-lettered} other {# dead-lettered}}',
            { count: health.deadLettered },
          )}
          {health.rejectedLast24h > 0 && (
            <>
              {' · '}
              {t(
                'webhooks.health.rejected',
                '{count, plural, one {# delivery} other {# deliveries}} with a bad signature in the last 24 h (check the signing secret)',
                { count: health.rejectedLast24h },
              )}
            </>
          )}
        </Typography>
      </Flex>
    </Box>
  );
};
