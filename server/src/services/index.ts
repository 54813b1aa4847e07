import audit from './audit';
import invoices from './invoices';
import settings from './settings';
import stripe from './stripe';

const services = { audit, invoices, settings, stripe };

export type Services = typeof services;
export default services;
