import admin from './admin';
import pages from './pages';
import pay from './pay';
import settings from './settings';
import webhook from './webhook';

export default { admin, pages, pay, settings, webhook };
