/** The admin settings API's response (server/src/services/settings.ts SettingsView). */
export interface SettingsView {
  publishableKey: string | null;
  secretKey: { set: boolean; masked: string | null; kind: 'secret' | 'restricted' | null };
  webhookSecret: { set: boolean; masked: string | null };
  mode: 'test' | 'live' | null;
  webhookUrl: string;
  encryptionKeyConfigured: boolean;
  connection: { status: 'not_configured' | 'connected' | 'error'; accountId: string | null; message: string | null; checkedAt: string | null };
  defaultCurrency: string;
  partialPayments: boolean;
  checkoutMode: 'payment_element' | 'hosted' | 'embedded';
  feePercentBps: number;
  feeFixedAmount: number;
  refundPolicy: 'reopen' | 'keep_paid';
  refundFeePolicy: 'keep_fee' | 'refund_fee';
  notificationEmail: string | null;
  sendFailureNotices: boolean;
  sendDisputeAlerts: boolean;
  reconcileAfterMinutes: number;
}

export interface ApiErrorBody {
  error?: { message?: string; details?: { errors?: Array<{ path: string[]; message: string }> } };
}
