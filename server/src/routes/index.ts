import admin from './admin';
import contentApi from './content-api';
import { pages, pagesApi } from './pages';

export default { admin, 'content-api': contentApi, pages, 'pages-api': pagesApi };
