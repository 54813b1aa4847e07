'use strict';

/**
 * The booking example's page and its three routes (docs/booking-example.md): list the slots, hold
 * one (a held booking, its invoice with an expiry, and an embedded Checkout session), and read a
 * booking's status. The page is public, like any booking form; it only ever learns a booking by
 * the id it was handed when it held the slot.
 */
const fs = require('node:fs');
const path = require('node:path');

const BOOKING = 'api::booking.booking';
const SLOTS = ['Saturday 10:00', 'Saturday 11:00', 'Saturday 12:00'];
const PRICE = 2500; // EUR 25.00, in cents
const HOLD_MINUTES = 15;

// Stripe.js from Stripe (never bundled), embedded Checkout's frames and API calls; our own script.
// https://docs.stripe.com/security/guide#content-security-policy
const CSP = [
  "default-src 'none'",
  "script-src 'self' https://js.stripe.com https://*.js.stripe.com https://checkout.stripe.com",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' https://*.stripe.com",
  "connect-src 'self' https://api.stripe.com https://checkout.stripe.com",
  'frame-src https://js.stripe.com https://*.js.stripe.com https://checkout.stripe.com https://hooks.stripe.com',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const file = (name) => fs.readFileSync(path.join(__dirname, name), 'utf8');

async function takenSlots(strapi) {
  const active = await strapi.documents(BOOKING).findMany({ filters: { status: { $in: ['held', 'confirmed'] } } });
  return new Set(active.map((b) => b.slot));
}

module.exports = (strapi) => {
  const payables = () => strapi.plugin('invoice-payments').service('payables');
  const fail = (ctx, status, message) => {
    ctx.status = status;
    ctx.body = { error: { message } };
  };

  strapi.server.routes([
    {
      method: 'GET',
      path: '/booking',
      handler: (ctx) => {
        ctx.set('Content-Security-Policy', CSP);
        ctx.type = 'html';
        ctx.body = file('page.html');
      },
      config: { auth: false },
    },
    {
      method: 'GET',
      path: '/booking/page.js',
      handler: (ctx) => {
        ctx.type = 'application/javascript; charset=utf-8';
        ctx.body = file('page.js');
      },
      config: { auth: false },
    },
    {
      method: 'GET',
      path: '/booking/slots',
      handler: async (ctx) => {
        const taken = await takenSlots(strapi);
        ctx.body = SLOTS.map((slot) => ({ slot, free: !taken.has(slot) }));
      },
      config: { auth: false },
    },
    {
      method: 'POST',
      path: '/booking/hold',
      handler: async (ctx) => {
        const { slot, email } = ctx.request.body ?? {};
        if (!SLOTS.includes(slot)) return fail(ctx, 400, 'Choose one of the listed slots.');
        if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email))
          return fail(ctx, 400, 'Enter your email address.');
        if ((await takenSlots(strapi)).has(slot)) return fail(ctx, 409, 'This slot was just taken. Choose another.');

        const booking = await strapi.documents(BOOKING).create({ data: { slot, email, status: 'held' } });
        let invoice;
        try {
          invoice = await payables().create({
            entity: { uid: BOOKING, documentId: booking.documentId },
            lineItems: [{ description: `Court booking ${slot}`, quantity: 1, unitAmount: PRICE }],
            currency: 'EUR',
            billingEmail: email,
            expiresAt: new Date(Date.now() + HOLD_MINUTES * 60_000),
          });
        } catch (error) {
          // No invoice, nothing to pay: free the slot again.
          await strapi.documents(BOOKING).update({ documentId: booking.documentId, data: { status: 'cancelled' } });
          throw error;
        }
        // Should this fail (Stripe unreachable), the invoice's expiry still releases the slot.
        const checkout = await payables().checkout(invoice.documentId, 'embedded');
        ctx.body = {
          booking: booking.documentId,
          heldUntil: invoice.expiresAt,
          clientSecret: checkout.clientSecret,
          publishableKey: checkout.publishableKey,
        };
      },
      config: { auth: false },
    },
    {
      method: 'GET',
      path: '/booking/status/:id',
      handler: async (ctx) => {
        const booking = await strapi.documents(BOOKING).findOne({ documentId: ctx.params.id });
        if (!booking) return fail(ctx, 404, 'No such booking.');
        const [invoice] = await payables().forEntity({ uid: BOOKING, documentId: booking.documentId });
        ctx.body = { slot: booking.slot, status: booking.status, heldUntil: invoice?.expiresAt ?? null };
      },
      config: { auth: false },
    },
  ]);
};
