import admin from './admin';
import editor from './editor';
import pages from './pages';
import pay from './pay';
import paymentMethods from './payment-methods';
import savedMethods from './saved-methods';
import settings from './settings';
import webhook from './webhook';

export default {
  admin,
  editor,
  pages,
  pay,
  'payment-methods': paymentMethods,
  'saved-methods': savedMethods,
  settings,
  webhook,
};
