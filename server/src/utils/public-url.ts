import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from './plugin-id';

/** Public base URL of this Strapi (pay links, webhook URLs): the plugin's `publicUrl`, else server.absoluteUrl. */
export function publicBaseUrl(strapi: Core.Strapi): string {
  const configured = strapi.config.get<string | null>(`plugin::${PLUGIN_ID}.publicUrl`, null);
  const base = configured || strapi.config.get<string>('server.absoluteUrl', '') || 'http://localhost:1337';
  return base.replace(/\/+$/, '');
}
