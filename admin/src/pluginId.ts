export const PLUGIN_ID = 'invoice-payments';
