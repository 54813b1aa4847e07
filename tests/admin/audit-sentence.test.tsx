import { fireEvent, render, screen } from '@testing-library/react';
import { createIntl, IntlProvider } from 'react-intl';
import { DesignSystemProvider } from '@strapi/design-system';
import { MemoryRouter } from 'react-router-dom';
import { auditSentence } from '../../admin/src/utils/auditSentence';
import { AuditTable } from '../../admin/src/components/AuditTable';
import { PluginProvider } from '../../admin/src/components/PluginContext';
import en from '../../admin/src/translations/en.json';
import fr from '../../admin/src/translations/fr.json';
import type { AuditEntry } from '../../admin/src/utils/types';

/** Audit entries read as sentences, with amounts in the currency's own decimals (issue 11). */
const prefixed = (messages: Record<string, string>) =>
  Object.fromEntries(Object.entries(messages).map(([k, v]) => [`invoice-payments.${k}`, v]));
const intlEn = createIntl({ locale: 'en-US', messages: prefixed(en) });
const intlFr = createIntl({ locale: 'fr-FR', messages: prefixed(fr) });

const entry = (overrides: Partial<AuditEntry>): AuditEntry => ({
  id: 1,
  documentId: 'a1',
  action: 'payment.manual',
  actorType: 'admin',
  actorId: '1',
  actorLabel: 'Ada',
  invoiceDocumentId: 'inv-1',
  invoiceNumber: 'INV-1042',
  outcome: 'ok',
  details: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('auditSentence', () => {
  it('autopay waiting for a payment in progress, and a multi-invoice payment ended as abandoned', () => {
    const deferred = entry({
      action: 'autopay.attempt',
      actorType: 'system',
      actorLabel: 'autopay',
      outcome: 'deferred',
      details: { attemptNo: 1, inProgress: 'processing', finalAttempt: false },
    });
    expect(auditSentence(intlEn, deferred)).toBe(
      'Autopay waited (attempt 1): the client is already paying this invoice; the next retry day looks again',
    );
    expect(auditSentence(intlFr, deferred)).toContain('Paiement automatique reporté (tentative 1)');
    const abandoned = entry({
      action: 'payment_group.abandoned',
      actorType: 'system',
      actorLabel: 'sweep',
      outcome: 'canceled',
      invoiceDocumentId: null,
      invoiceNumber: null,
      details: { amount: 182750, currency: 'USD', afterMinutes: 10, invoices: ['INV-1', 'INV-2'] },
    });
    expect(auditSentence(intlEn, abandoned)).toBe(
      'Multi-invoice payment of $1,827.50 canceled: nobody paid it for 10 minutes; its invoices can be paid again',
    );
    expect(auditSentence(intlFr, abandoned)).toContain('Paiement groupé de 1\u202f827,50\u00a0$US annulé');
  });

  it('payment method settings: the configuration chosen, back to the default, the domain registered', () => {
    const chosen = entry({
      action: 'settings.payment_methods.updated',
      details: { configurationId: 'pmc_1', configurationName: 'Invoices', previousConfigurationId: null },
    });
    expect(auditSentence(intlEn, chosen)).toBe('Payment methods of new payments set to “Invoices” by Ada');
    expect(auditSentence(intlFr, chosen)).toBe(
      'Moyens de paiement des nouveaux paiements réglés sur « Invoices » par Ada',
    );
    expect(
      auditSentence(
        intlEn,
        entry({
          action: 'settings.payment_methods.updated',
          details: { configurationId: null, configurationName: null },
        }),
      ),
    ).toBe('Payment methods of new payments set back to the Stripe account default by Ada');
    expect(
      auditSentence(
        intlEn,
        entry({
          action: 'settings.payment_method_domain.registered',
          details: { domain: 'billing.example.com', domainId: 'pmd_1', applePay: 'active', googlePay: 'active' },
        }),
      ),
    ).toBe('Domain billing.example.com registered with Stripe for Apple Pay and Google Pay by Ada');
  });

  it('a manual payment, in dollars, with its method, reference and who recorded it', () => {
    expect(
      auditSentence(
        intlEn,
        entry({ details: { amount: 182750, currency: 'USD', method: 'check', reference: '1042' } }),
      ),
    ).toBe('Manual payment of $1,827.50 by check, ref 1042, recorded by Ada');
    expect(auditSentence(intlEn, entry({ details: { amount: 182750, currency: 'USD', method: 'wire' } }))).toMatch(
      /^Manual payment of \$1,827\.50 by .+, recorded by Ada$/,
    );
  });

  it('formats zero- and three-decimal currencies from minor units', () => {
    expect(
      auditSentence(
        intlEn,
        entry({
          action: 'payment.succeeded',
          actorLabel: null,
          actorType: 'stripe',
          details: { amount: 5000, currency: 'JPY' },
        }),
      ),
    ).toBe('Card payment of ¥5,000 succeeded');
    expect(
      auditSentence(intlEn, entry({ action: 'payment.succeeded', details: { amount: 12345, currency: 'KWD' } })),
    ).toMatch(/^Card payment of KWD\s12\.345 succeeded$/);
  });

  it('says what a refund meant for the invoice', () => {
    expect(
      auditSentence(
        intlEn,
        entry({ action: 'refund.requested', details: { amount: 3000, currency: 'USD', invoiceEffect: 'keep_paid' } }),
      ),
    ).toBe('Refund of $30.00 made by Ada; the invoice stays paid');
    expect(
      auditSentence(
        intlEn,
        entry({ action: 'refund.requested', details: { amount: 3000, currency: 'USD', invoiceEffect: 'reopen' } }),
      ),
    ).toBe('Refund of $30.00 made by Ada; the balance is due again');
  });

  it('covers webhooks, settings, invoices and emails, and falls back to a generic sentence', () => {
    expect(
      auditSentence(
        intlEn,
        entry({ action: 'webhook.replayed', details: { eventId: 'evt_1', type: 'payment_intent.succeeded' } }),
      ),
    ).toBe('Event payment_intent.succeeded (evt_1) replayed by Ada');
    expect(
      auditSentence(
        intlEn,
        entry({ action: 'settings.updated', details: { fields: ['notificationEmail', 'refundPolicy'] } }),
      ),
    ).toBe('Settings changed by Ada: notificationEmail, refundPolicy');
    expect(auditSentence(intlEn, entry({ action: 'invoice.sent', details: { to: 'c@example.test' } }))).toBe(
      'Invoice sent to c@example.test by Ada',
    );
    expect(
      auditSentence(
        intlEn,
        entry({
          action: 'email.failed',
          actorLabel: null,
          actorType: 'system',
          details: { kind: 'confirmation', attempts: 5 },
        }),
      ),
    ).toBe('The confirmation email could not be sent after 5 attempts');
    expect(
      auditSentence(intlEn, entry({ action: 'payment.weird_new_state', details: { amount: 100, currency: 'EUR' } })),
    ).toBe('Payment of €1.00 is now weird new state');
    expect(auditSentence(intlEn, entry({ action: 'something.new', actorLabel: null, actorType: 'system' }))).toBe(
      'something.new by the plugin',
    );
  });

  it('reads the invoice editor and invoice actions, with totals in the currency', () => {
    expect(
      auditSentence(
        intlEn,
        entry({ action: 'invoice.updated', details: { total: 283614, previousTotal: 182750, currency: 'USD' } }),
      ),
    ).toBe('Invoice edited by Ada: total $1,827.50 → $2,836.14');
    expect(
      auditSentence(intlEn, entry({ action: 'invoice.created', details: { total: 3000, currency: 'JPY', lines: 1 } })),
    ).toBe('Invoice created by Ada for ¥3,000 (1 lines)');
    expect(
      auditSentence(
        intlEn,
        entry({ action: 'invoice.voided', details: { reason: 'Ordered twice', total: 3000, currency: 'JPY' } }),
      ),
    ).toBe('Invoice voided by Ada: Ordered twice');
    expect(auditSentence(intlEn, entry({ action: 'invoice.duplicated', details: { from: 'INV-1001' } }))).toBe(
      'Created by Ada as a copy of INV-1001',
    );
    expect(auditSentence(intlEn, entry({ action: 'invoice.link_copied' }))).toBe('Pay link copied by Ada');
  });

  it('ISK is sent to Stripe with two decimals but shown without: 12300 is ISK 123', () => {
    expect(
      auditSentence(intlEn, entry({ action: 'payment.succeeded', details: { amount: 12300, currency: 'ISK' } })),
    ).toMatch(/^Card payment of ISK\s123 succeeded$/);
  });

  it('speaks French too', () => {
    expect(
      auditSentence(
        intlFr,
        entry({ details: { amount: 182750, currency: 'EUR', method: 'check', reference: '1042' } }),
      ),
    ).toMatch(/^Paiement manuel de 1\s827,50\s€ par .+, réf\. 1042, enregistré par Ada$/);
  });
});

describe('AuditTable', () => {
  it('shows the sentence, and the raw details one click away', () => {
    render(
      <DesignSystemProvider>
        <IntlProvider locale="en-US" messages={prefixed(en)}>
          <MemoryRouter>
            <PluginProvider base="/plugins/invoice-payments">
              <AuditTable
                entries={[entry({ details: { amount: 182750, currency: 'USD', method: 'check', reference: '1042' } })]}
              />
            </PluginProvider>
          </MemoryRouter>
        </IntlProvider>
      </DesignSystemProvider>,
    );
    expect(screen.getByTestId('audit-sentence').textContent).toBe(
      'Manual payment of $1,827.50 by check, ref 1042, recorded by Ada',
    );
    expect(screen.queryByTestId('audit-details')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Show details' }));
    expect(screen.getByTestId('audit-details').textContent).toContain('"amount": 182750');
  });
});
