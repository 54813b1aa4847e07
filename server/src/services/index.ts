import adminPayments from './admin-payments';
import apiVersions from './api-versions';
import attempts from './attempts';
import audit from './audit';
import autopay from './autopay';
import background from './background';
import branding from './branding';
import documents from './documents';
import eventsOut from './events-out';
import hooks from './hooks';
import invoiceEditor from './invoice-editor';
import invoices from './invoices';
import notifications from './notifications';
import pages from './pages';
import payables from './payables';
import refunds from './refunds';
import reminders from './reminders';
import reports from './reports';
import savedMethods from './saved-methods';
import payments from './payments';
import paymentGroups from './payment-groups';
import paymentMethods from './payment-methods';
import providers from './providers';
import settings from './settings';
import settlement from './settlement';
import webhookEvents from './webhook-events';

const services = {
  'admin-payments': adminPayments,
  'api-versions': apiVersions,
  attempts,
  audit,
  autopay,
  background,
  branding,
  documents,
  'events-out': eventsOut,
  hooks,
  'invoice-editor': invoiceEditor,
  invoices,
  notifications,
  pages,
  payables,
  payments,
  'payment-groups': paymentGroups,
  'payment-methods': paymentMethods,
  providers,
  refunds,
  reminders,
  reports,
  'saved-methods': savedMethods,
  settings,
  settlement,
  'webhook-events': webhookEvents,
};

export type Services = typeof services;
export default services;
