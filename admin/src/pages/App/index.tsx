import { useEffect, useState } from 'react';
import { Page, Layouts, useFetchClient } from '@strapi/strapi/admin';
import { Box, Flex, LinkButton, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { PERMISSIONS } from '../../permissions';
import { getTranslation } from '../../utils/getTranslation';
import { ModeBadge } from '../../components/ModeBadge';
import type { SettingsView } from '../../utils/types';

/** The plugin's home: mode, connection and the way to the invoices. Grows screens per issue 4. */
const HomePage = () => {
  const { formatMessage } = useIntl();
  const { get } = useFetchClient();
  const [settings, setSettings] = useState<SettingsView | null>(null);

  useEffect(() => {
    get<{ data: SettingsView }>(`/${PLUGIN_ID}/settings`)
      .then((res) => setSettings(res.data.data))
      .catch(() => setSettings(null));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <Page.Main>
      <Page.Title>{formatMessage({ id: getTranslation('app.title'), defaultMessage: 'Invoice payments' })}</Page.Title>
      <Layouts.Header
        title={formatMessage({ id: getTranslation('app.title'), defaultMessage: 'Invoice payments' })}
        subtitle={formatMessage({ id: getTranslation('app.subtitle'), defaultMessage: 'Invoices, payments and Stripe deliveries' })}
        secondaryAction={settings ? <ModeBadge mode={settings.mode} /> : undefined}
      />
      <Layouts.Content>
        <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
          <Flex gap={4}>
            <LinkButton href={`/admin/content-manager/collection-types/plugin::${PLUGIN_ID}.invoice`} variant="default">
              {formatMessage({ id: getTranslation('app.invoices'), defaultMessage: 'Open invoices in the Content Manager' })}
            </LinkButton>
            <LinkButton href={`/admin/settings/${PLUGIN_ID}/stripe`} variant="secondary">
              {formatMessage({ id: getTranslation('app.settings'), defaultMessage: 'Stripe settings' })}
            </LinkButton>
          </Flex>
          {settings?.connection.status === 'connected' && (
            <Box paddingTop={4}>
              <Typography>Stripe account {settings.connection.accountId}</Typography>
            </Box>
          )}
        </Box>
      </Layouts.Content>
    </Page.Main>
  );
};

const App = () => (
  <Page.Protect permissions={PERMISSIONS.paymentsRead}>
    <HomePage />
  </Page.Protect>
);

export default App;
