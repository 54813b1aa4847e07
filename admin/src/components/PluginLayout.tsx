import type { ReactNode } from 'react';
import { Page, Layouts } from '@strapi/strapi/admin';
import { Box, Tabs } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { useLocation, useNavigate } from 'react-router-dom';
import { PERMISSIONS } from '../permissions';
import { useCan } from '../hooks/useCan';
import { getTranslation } from '../utils/getTranslation';
import { ModeBadge } from './ModeBadge';
import { pluginPath, usePlugin } from './PluginContext';

type Section = 'dashboard' | 'invoices' | 'webhooks' | 'audit';

/** Dashboard | Invoices | Webhook deliveries | Audit log: a tab per screen the role may open. */
const PluginTabs = () => {
  const { formatMessage } = useIntl();
  const { base } = usePlugin();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const webhooks = useCan(PERMISSIONS.webhooksRead);
  const audit = useCan(PERMISSIONS.auditRead);
  const rest = pathname.slice(base.length).replace(/^\/+/, '');
  const current: Section = rest.startsWith('webhooks')
    ? 'webhooks'
    : rest.startsWith('audit')
      ? 'audit'
      : rest.startsWith('invoices')
        ? 'invoices'
        : 'dashboard';
  const go = (section: string) => navigate(section === 'dashboard' ? pluginPath(base) : pluginPath(base, section));
  return (
    <Box paddingBottom={4}>
      <Tabs.Root value={current} onValueChange={go} variant="simple">
        <Tabs.List
          aria-label={formatMessage({ id: getTranslation('nav.label'), defaultMessage: 'Invoice payments sections' })}
        >
          <Tabs.Trigger value="dashboard">
            {formatMessage({ id: getTranslation('nav.dashboard'), defaultMessage: 'Dashboard' })}
          </Tabs.Trigger>
          <Tabs.Trigger value="invoices">
            {formatMessage({ id: getTranslation('nav.invoices'), defaultMessage: 'Invoices' })}
          </Tabs.Trigger>
          {webhooks.allowed && (
            <Tabs.Trigger value="webhooks">
              {formatMessage({ id: getTranslation('nav.webhooks'), defaultMessage: 'Webhook deliveries' })}
            </Tabs.Trigger>
          )}
          {audit.allowed && (
            <Tabs.Trigger value="audit">
              {formatMessage({ id: getTranslation('nav.audit'), defaultMessage: 'Audit log' })}
            </Tabs.Trigger>
          )}
        </Tabs.List>
      </Tabs.Root>
    </Box>
  );
};

interface Props {
  title: string;
  subtitle?: ReactNode;
  primaryAction?: ReactNode;
  navigationAction?: ReactNode;
  /** The invoice detail page is reached from the list and has a back link instead of tabs. */
  tabs?: boolean;
  children: ReactNode;
}

/** The frame of every plugin screen: Strapi's header with the TEST MODE badge, then the tabs. */
export const PluginLayout = ({ title, subtitle, primaryAction, navigationAction, tabs = true, children }: Props) => {
  const { status } = usePlugin();
  return (
    <Page.Main>
      <Page.Title>{title}</Page.Title>
      <Layouts.Header
        title={title}
        subtitle={subtitle}
        navigationAction={navigationAction}
        primaryAction={primaryAction}
        secondaryAction={status ? <ModeBadge mode={status.mode} /> : undefined}
      />
      <Layouts.Content>
        {tabs && <PluginTabs />}
        {children}
      </Layouts.Content>
    </Page.Main>
  );
};
