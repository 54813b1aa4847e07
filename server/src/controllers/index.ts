import admin from './admin';
import editor from './editor';
import pages from './pages';
import pay from './pay';
import settings from './settings';
import webhook from './webhook';

export default { admin, editor, pages, pay, settings, webhook };
