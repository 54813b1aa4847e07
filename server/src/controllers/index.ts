import admin from './admin';
import documents from './documents';
import editor from './editor';
import pages from './pages';
import pay from './pay';
import portal from './portal';
import paymentMethods from './payment-methods';
import savedMethods from './saved-methods';
import settings from './settings';
import webhook from './webhook';

export default {
  admin,
  documents,
  editor,
  pages,
  pay,
  portal,
  'payment-methods': paymentMethods,
  'saved-methods': savedMethods,
  settings,
  webhook,
};
