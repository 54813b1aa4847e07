import admin from './admin';
import pay from './pay';
import settings from './settings';
import webhook from './webhook';

export default { admin, pay, settings, webhook };
