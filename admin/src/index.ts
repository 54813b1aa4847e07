import { PLUGIN_ID } from './pluginId';
import { PERMISSIONS } from './permissions';
import { PluginIcon } from './components/PluginIcon';
import { getTranslation } from './utils/getTranslation';

interface AdminApp {
  addMenuLink(link: Record<string, unknown>): void;
  createSettingSection(section: Record<string, unknown>, links: Array<Record<string, unknown>>): void;
  registerPlugin(plugin: Record<string, unknown>): void;
  customFields: { register(field: Record<string, unknown>): void };
}

export default {
  register(app: AdminApp) {
    app.addMenuLink({
      to: `plugins/${PLUGIN_ID}`,
      icon: PluginIcon,
      intlLabel: { id: getTranslation('plugin.name'), defaultMessage: 'Invoice payments' },
      Component: () => import('./pages/App'),
      permissions: PERMISSIONS.paymentsRead,
    });
    app.createSettingSection(
      { id: PLUGIN_ID, intlLabel: { id: getTranslation('settings.section'), defaultMessage: 'Invoice payments' } },
      [
        {
          intlLabel: { id: getTranslation('settings.stripe'), defaultMessage: 'Stripe' },
          id: 'stripe',
          to: `${PLUGIN_ID}/stripe`,
          Component: () => import('./pages/Settings'),
          permissions: PERMISSIONS.settingsRead,
        },
      ],
    );
    // The Content Manager's input for an invoice's line items (server/src/register.ts registers the
    // server side): prices in major units of the invoice's currency instead of a JSON editor.
    app.customFields.register({
      name: 'line-items',
      pluginId: PLUGIN_ID,
      type: 'json',
      intlLabel: { id: getTranslation('lineItems.fieldName'), defaultMessage: 'Invoice line items' },
      intlDescription: {
        id: getTranslation('lineItems.fieldDescription'),
        defaultMessage: "Invoice lines with prices in the invoice's currency",
      },
      components: { Input: () => import('./components/LineItemsInput') },
    });
    app.registerPlugin({ id: PLUGIN_ID, name: PLUGIN_ID });
  },

  async registerTrads({ locales }: { locales: string[] }) {
    return Promise.all(
      locales.map(async (locale) => {
        try {
          const { default: data } = (await import(`./translations/${locale}.json`)) as {
            default: Record<string, string>;
          };
          const prefixed = Object.fromEntries(Object.entries(data).map(([k, v]) => [getTranslation(k), v]));
          return { data: prefixed, locale };
        } catch {
          return { data: {}, locale };
        }
      }),
    );
  },
};
