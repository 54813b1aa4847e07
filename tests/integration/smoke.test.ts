import { bootStrapi, type TestStrapi } from '../support/strapi';

let app: TestStrapi;
beforeAll(async () => {
  app = await bootStrapi();
});
afterAll(async () => {
  await app?.close();
});

it('boots with the plugin', async () => {
  expect(app.strapi.plugin('invoice-payments')).toBeDefined();
  const res = await app.http().get('/invoice-payments/settings');
  expect(res.status).toBe(401);
});
