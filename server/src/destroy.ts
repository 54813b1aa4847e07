import type { Core } from '@strapi/strapi';

export default (_: { strapi: Core.Strapi }) => {
  // Nothing to release yet; background workers register their own stop here.
};
