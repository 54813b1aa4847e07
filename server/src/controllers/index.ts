import admin from './admin';
import editor from './editor';
import pages from './pages';
import pay from './pay';
import paymentMethods from './payment-methods';
import settings from './settings';
import webhook from './webhook';

export default { admin, editor, pages, pay, 'payment-methods': paymentMethods, settings, webhook };
