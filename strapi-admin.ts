// Strapi's admin entry for this plugin (source); the admin build bundles dist/admin.
export { default } from './admin/src';
