import { Badge } from '@strapi/design-system';
import { useIntl, type IntlShape } from 'react-intl';
import { getTranslation } from '../utils/getTranslation';

type Tone = 'success' | 'warning' | 'danger' | 'neutral' | 'secondary' | 'primary';

/** One palette for every status the plugin shows: green settled, orange in progress, red trouble. */
const TONES: Record<'invoice' | 'payment' | 'refund' | 'event', Record<string, Tone>> = {
  invoice: {
    draft: 'neutral',
    sent: 'secondary',
    viewed: 'primary',
    partially_paid: 'warning',
    paid: 'success',
    void: 'neutral',
  },
  payment: {
    pending: 'neutral',
    requires_action: 'warning',
    processing: 'warning',
    succeeded: 'success',
    failed: 'danger',
    canceled: 'neutral',
    refunded: 'secondary',
    partially_refunded: 'warning',
    disputed: 'danger',
  },
  refund: {
    pending: 'warning',
    requires_action: 'warning',
    unknown: 'warning',
    succeeded: 'success',
    failed: 'danger',
    canceled: 'neutral',
  },
  event: {
    received: 'neutral',
    processing: 'warning',
    processed: 'success',
    failed: 'danger',
    dead_lettered: 'danger',
    ignored: 'neutral',
  },
};

/** English labels double as defaultMessage; translations live in translations/<locale>.json. */
const LABELS: Record<string, string> = {
  draft: 'Draft',
  sent: 'Sent',
  viewed: 'Viewed',
  partially_paid: 'Partially paid',
  paid: 'Paid',
  void: 'Void',
  pending: 'Pending',
  requires_action: 'Needs action',
  processing: 'Processing',
  succeeded: 'Succeeded',
  failed: 'Failed',
  canceled: 'Canceled',
  refunded: 'Refunded',
  partially_refunded: 'Partially refunded',
  disputed: 'Disputed',
  received: 'Received',
  processed: 'Processed',
  dead_lettered: 'Dead-lettered',
  ignored: 'Ignored',
  unknown: 'Unconfirmed',
};

/** A status in words, in the admin's language ("Partially paid", "Dead-lettered"). */
export const statusLabel = (intl: IntlShape, kind: keyof typeof TONES, status: string) =>
  intl.formatMessage({ id: getTranslation(`status.${kind}.${status}`), defaultMessage: LABELS[status] ?? status });

export const StatusBadge = ({ kind, status }: { kind: keyof typeof TONES; status: string }) => {
  const intl = useIntl();
  const tone = TONES[kind][status] ?? 'neutral';
  return (
    <Badge
      backgroundColor={`${tone}100`}
      textColor={`${tone}700`}
      borderColor={`${tone}200`}
      data-testid={`${kind}-status`}
    >
      {statusLabel(intl, kind, status)}
    </Badge>
  );
};

export const OverdueBadge = () => {
  const { formatMessage } = useIntl();
  return (
    <Badge backgroundColor="danger100" textColor="danger700" data-testid="overdue">
      {formatMessage({ id: getTranslation('invoices.overdue'), defaultMessage: 'Overdue' })}
    </Badge>
  );
};
