import { Page } from '@strapi/strapi/admin';
import { Route, Routes, useResolvedPath } from 'react-router-dom';
import { PERMISSIONS } from '../../permissions';
import { PluginProvider } from '../../components/PluginContext';
import { DashboardPage } from '../Dashboard';
import { InvoicesPage } from '../Invoices';
import { InvoiceDetailPage } from '../InvoiceDetail';
import { InvoiceEditorPage } from '../InvoiceEditor';
import { WebhooksPage } from '../Webhooks';
import { AuditPage } from '../Audit';

/**
 * The plugin's page (menu link "Invoice payments"): the dashboard (home), invoices, one invoice, webhook deliveries and
 * the audit log, as routes below /plugins/invoice-payments. Each screen is guarded by its own
 * permission; the API guards the same actions.
 */
const App = () => {
  const base = useResolvedPath('.').pathname;
  return (
    <Page.Protect permissions={PERMISSIONS.paymentsRead}>
      <PluginProvider base={base}>
        <Routes>
          <Route index element={<DashboardPage />} />
          <Route path="invoices" element={<InvoicesPage />} />
          <Route
            path="invoices/new"
            element={
              <Page.Protect permissions={PERMISSIONS.invoicesEdit}>
                <InvoiceEditorPage />
              </Page.Protect>
            }
          />
          <Route
            path="invoices/:id/edit"
            element={
              <Page.Protect permissions={PERMISSIONS.invoicesEdit}>
                <InvoiceEditorPage />
              </Page.Protect>
            }
          />
          <Route path="invoices/:id" element={<InvoiceDetailPage />} />
          <Route
            path="webhooks"
            element={
              <Page.Protect permissions={PERMISSIONS.webhooksRead}>
                <WebhooksPage />
              </Page.Protect>
            }
          />
          <Route
            path="audit"
            element={
              <Page.Protect permissions={PERMISSIONS.auditRead}>
                <AuditPage />
              </Page.Protect>
            }
          />
          <Route path="*" element={<Page.NoData />} />
        </Routes>
      </PluginProvider>
    </Page.Protect>
  );
};

export default App;
