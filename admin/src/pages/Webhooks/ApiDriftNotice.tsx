import { Box, Flex, Link, Typography } from '@strapi/design-system';
import { WarningCircle } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import { formatDateTime } from '../../utils/format';
import type { ApiVersionReport } from '../../utils/types';

/**
 * The API drift guard (issue 15): a gateway that versions its events (Stripe) renders each webhook
 * in the version pinned on the endpoint, or the account's default, not necessarily the one the
 * plugin's SDK is pinned to. One warning per gateway whose recent events came in another version.
 */
export const ApiDriftNotice = ({ reports }: { reports: ApiVersionReport[] }) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const drifting = reports.filter((r) => r.others.length > 0);
  if (drifting.length === 0) return null;
  return (
    <>
      {drifting.map((report) => (
        <Box
          key={report.provider}
          background="warning100"
          borderColor="warning200"
          padding={4}
          hasRadius
          marginBottom={4}
          data-testid={`api-drift-${report.provider}`}
          role="alert"
        >
          <Flex direction="column" alignItems="flex-start" gap={2}>
            <Flex gap={3}>
              <WarningCircle fill="warning600" aria-hidden />
              <Typography fontWeight="bold" textColor="warning700">
                {t(
                  'webhooks.drift.title',
                  '{provider} sends events in API version {versions}, but this plugin is built for {pinned}.',
                  {
                    provider: report.label,
                    versions: report.others.map((o) => o.version).join(', '),
                    pinned: report.pinned,
                  },
                )}
              </Typography>
            </Flex>
            <Typography textColor="warning700">
              {report.others
                .map((o) =>
                  t('webhooks.drift.count', '{version}: {count, plural, one {# event} other {# events}}, last {time}', {
                    version: o.version,
                    count: o.count,
                    time: o.lastAt ? formatDateTime(intl, o.lastAt) : '—',
                  }),
                )
                .join(' · ')}{' '}
              {t('webhooks.drift.window', '(last {days} days).', { days: report.windowDays })}
            </Typography>
            <Typography textColor="warning700">
              {t(
                'webhooks.drift.meaning',
                'The webhook endpoint in the {provider} Dashboard is pinned to another API version (or uses your account default). Event payloads in another version can name or shape fields differently, so payments may be read wrongly or ignored. Set the endpoint to {pinned}.',
                { provider: report.label, pinned: report.pinned },
              )}
            </Typography>
            <Link href={report.upgradeGuideUrl} isExternal>
              {t('webhooks.drift.guide', 'How to change a webhook endpoint’s API version ({provider} guide)', {
                provider: report.label,
              })}
            </Link>
          </Flex>
        </Box>
      ))}
    </>
  );
};
