import invoice from './invoice';
import payment from './payment';
import refund from './refund';
import webhookEvent from './webhook-event';
import auditEntry from './audit-entry';
import notice from './notice';
import reminder from './reminder';
import eventOut from './event-out';
import clientAccount from './client-account';
import autopayAttempt from './autopay-attempt';
import paymentGroup from './payment-group';

export default {
  invoice,
  payment,
  refund,
  'webhook-event': webhookEvent,
  'audit-entry': auditEntry,
  notice,
  reminder,
  'event-out': eventOut,
  'client-account': clientAccount,
  'autopay-attempt': autopayAttempt,
  'payment-group': paymentGroup,
};
