/**
 * Pure domain layer: money, invoice arithmetic and status rules. No Strapi,
 * no Stripe, no I/O, so everything here is unit-testable and reusable from
 * services, controllers and the admin.
 */
export * from './errors';
export * from './integer-math';
export * from './decimal';
export * from './currency';
export * from './money';
export * from './invoice-totals';
export * from './invoice-form';
export * from './invoice-status';
export * from './payment-status';
export * from './ledger';
export * from './fees';
export * from './idempotency';
export * from './attempts';
export * from './reporting';
export * from './reminders';
export * from './autopay';
export * from './payment-groups';
export * from './group-abandonment';
