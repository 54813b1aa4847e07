import type { Core } from '@strapi/strapi';
import { ACTION_DEFINITIONS } from './utils/permissions';
import { getService } from './utils/get-service';

export default async ({ strapi }: { strapi: Core.Strapi }) => {
  await strapi.admin.services.permission.actionProvider.registerMany(ACTION_DEFINITIONS);

  // Key rotation: re-seal secrets left under a previous encryption key.
  try {
    const count = await getService(strapi, 'settings').reencrypt();
    if (count > 0) strapi.log.info(`[invoice-payments] re-encrypted ${count} stored secret(s) with the current key.`);
  } catch (error) {
    strapi.log.error(`[invoice-payments] stored Stripe secrets could not be decrypted: ${error instanceof Error ? error.message : 'unknown error'}`);
  }

  getService(strapi, 'background').start();
};
