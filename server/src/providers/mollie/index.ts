export {
  MollieProvider,
  MOLLIE_CAPABILITIES,
  mollieDashboardUrl,
  toRequestError as mollieRequestError,
} from './provider';
export { createMollie, MollieEndpointRefused } from './client';
export { mollieOverrides, mollieEndpointProblem, type MollieOverrides } from './overrides';
export { checkMollieApiKey, maskMollieKey, maskedMollieKeyMode, mollieKeyMode, type MollieKeyMode } from './keys';
export { toMollieAmount, fromMollieAmount, MOLLIE_CURRENCY_DECIMALS } from './amounts';
export { parseMollieWebhookBody, isMolliePaymentId } from './webhook';
export { mollieEntry, mollieProviderFor, mollieWebhookUrl, mollieOverridesOf } from './entry';
export { mollieTraits } from './provider';
