/**
 * Stand-in for `@strapi/admin-test-utils` (a devDependency of @strapi/admin, not installed here).
 * Strapi's own `render` from `@strapi/strapi/admin/test` reads only these fixtures from it: the
 * default permissions of its test store. Our tests pass the plugin's permissions explicitly.
 */
export const fixtures = {
  permissions: {
    allPermissions: [],
    app: {
      contentManager: {
        main: [],
        collectionTypesConfigurations: [],
        componentsConfigurations: [],
        singleTypesConfigurations: [],
      },
      marketplace: { main: [], read: [] },
      settings: {},
    },
  },
};
