'use strict';
/* global document, Stripe -- a browser script; Stripe is Stripe.js's global (https://js.stripe.com). */
// The booking example's page script (docs/booking-example.md). Plain browser JavaScript.
const $ = (id) => document.getElementById(id);
let checkout = null;

async function call(path, init) {
  const res = await fetch(path, { ...init, headers: { 'Content-Type': 'application/json' } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error?.message ?? 'Something went wrong. Please try again.');
  return body;
}

async function showSlots() {
  const slots = await call('/booking/slots');
  $('slots').replaceChildren(
    ...slots.map(({ slot, free }) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.textContent = free ? `Book ${slot}` : `${slot}: taken`;
      button.disabled = !free;
      button.addEventListener('click', () => book(slot));
      item.append(button);
      return item;
    }),
  );
}

async function book(slot) {
  $('booking-error').textContent = '';
  try {
    const hold = await call('/booking/hold', {
      method: 'POST',
      body: JSON.stringify({ slot, email: $('email').value }),
    });
    sessionStorage.setItem('booking', hold.booking);
    $('choose').hidden = true;
    // Embedded Checkout in this page; after paying, Stripe takes the client to the plugin's
    // receipt page (the return URL the plugin sets), and back here the booking shows Confirmed.
    checkout = await Stripe(hold.publishableKey).createEmbeddedCheckoutPage({
      fetchClientSecret: async () => hold.clientSecret,
    });
    checkout.mount('#checkout');
    follow(hold.booking);
  } catch (error) {
    $('booking-error').textContent = error.message;
    await showSlots();
  }
}

// The booking changes on the server (the invoice.paid / invoice.expired hook): poll it.
async function follow(id) {
  const { slot, status, heldUntil } = await call(`/booking/status/${id}`);
  const until = heldUntil ? new Date(heldUntil).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  $('booking-status').textContent = {
    held: `${slot}: held for you until ${until}. Pay below to confirm it.`,
    confirmed: `${slot}: Confirmed. See you there!`,
    cancelled: `${slot}: Cancelled. It was not paid in time, and the slot is free again.`,
  }[status];
  if (status === 'held') return setTimeout(() => follow(id), 1000);
  sessionStorage.removeItem('booking');
  checkout?.destroy();
  checkout = null;
  $('choose').hidden = false;
  await showSlots();
}

const current = sessionStorage.getItem('booking');
if (current) {
  $('choose').hidden = true;
  follow(current);
} else showSlots();
