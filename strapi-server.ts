// Strapi's server entry for this plugin (source); Strapi itself loads the built dist/server.
export { default } from './server/src';
