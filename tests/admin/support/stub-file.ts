/** Stylesheets and images imported by Strapi's admin bundle: nothing to load under jsdom. */
export default 'test-file-stub';
