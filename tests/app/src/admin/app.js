/**
 * The test and demo app's admin panel: it offers the languages this plugin's admin ships besides
 * English (admin/src/translations), so a site admin can see the plugin in French (profile →
 * Interface language, or the login page's language menu).
 */
export default {
  config: {
    locales: ['fr'],
  },
};
