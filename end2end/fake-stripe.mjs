// A fake Stripe for the end-to-end tests, on 127.0.0.1 (FAKE_STRIPE_PORT),
// in Stripe's wire format: customers, Checkout sessions, customer-portal
// sessions and subscriptions (retrieve, list, cancel; form bodies, bearer key,
// JSON answers), a hosted Checkout page
// whose Pay button makes the subscription and sends the signed webhook event
// (Stripe-Signature: t=…,v1=HMAC-SHA256 of "t.body" with STRIPE_WEBHOOK_SECRET)
// to STRIPE_WEBHOOK_URL before going back to the success address, and a
// portal page that cancels the subscription the same way.
// Started by scripts/test.sh; never reaches an outside host.

import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.env.FAKE_STRIPE_PORT ?? 3314);
const base = `http://127.0.0.1:${port}`;
const secretKey = process.env.STRIPE_SECRET_KEY ?? 'sk_test_e2e';
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_e2e';
const webhookUrl = process.env.STRIPE_WEBHOOK_URL;

let seq = 0;
const id_ = (prefix) => `${prefix}_${(seq += 1)}`;
const sessions = new Map(); // cs_… -> { customer, price, success_url, cancel_url }
const portals = new Map(); // bps_… -> { customer, return_url }
const subscriptions = new Map(); // sub_… -> subscription (what GET answers)
const byCustomer = new Map(); // customer -> its subscription's id

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

function json(res, status, value) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function page(res, title, inner) {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<link rel="icon" href="data:,"></head><body><main><h1>${title}</h1>${inner}</main></body></html>`);
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

// Send one event to the app's webhook, signed as Stripe signs it.
async function send(type, object) {
  const event = { id: id_('evt'), object: 'event', type, created: Math.floor(Date.now() / 1000), data: { object } };
  const payload = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', webhookSecret).update(`${t}.${payload}`).digest('hex');
  const r = await fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
    body: payload,
  });
  if (!r.ok) throw new Error(`webhook ${type}: ${r.status} ${await r.text()}`);
}

function subscription(customer, price, status, userId) {
  const now = Math.floor(Date.now() / 1000);
  const id = byCustomer.get(customer) ?? id_('sub');
  const sub = {
    id,
    object: 'subscription',
    customer,
    status,
    cancel_at_period_end: false,
    metadata: { user_id: userId ?? subscriptions.get(id)?.metadata?.user_id ?? '' },
    items: {
      object: 'list',
      data: [{ id: id_('si'), object: 'subscription_item', price: { id: price, object: 'price' }, current_period_end: now + 30 * 86400 }],
    },
  };
  byCustomer.set(customer, id);
  subscriptions.set(id, sub);
  return sub;
}

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const path = url.pathname;
  try {
    if (req.method === 'GET' && path === '/health') return json(res, 200, { ok: true });
    if (path.startsWith('/v1/')) {
      if (req.headers.authorization !== `Bearer ${secretKey}`) {
        return json(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
      }
      const form = new URLSearchParams(await body(req));
      if (req.method === 'POST' && path === '/v1/customers') {
        return json(res, 200, { id: id_('cus'), object: 'customer', email: form.get('email') });
      }
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        const session = id_('cs_test');
        sessions.set(session, {
          customer: form.get('customer'),
          price: form.get('line_items[0][price]'),
          success_url: form.get('success_url'),
          cancel_url: form.get('cancel_url'),
          user_id: form.get('subscription_data[metadata][user_id]'),
        });
        return json(res, 200, { id: session, object: 'checkout.session', mode: 'subscription', url: `${base}/checkout/${session}` });
      }
      if (req.method === 'POST' && path === '/v1/billing_portal/sessions') {
        const session = id_('bps');
        portals.set(session, { customer: form.get('customer'), return_url: form.get('return_url') });
        return json(res, 200, { id: session, object: 'billing_portal.session', url: `${base}/portal/${session}` });
      }
      if (req.method === 'GET' && path === '/v1/subscriptions') {
        const customer = url.searchParams.get('customer');
        const all = url.searchParams.get('status') === 'all';
        const data = [...subscriptions.values()].filter((x) => x.customer === customer && (all || x.status !== 'canceled'));
        return json(res, 200, { object: 'list', data, has_more: false });
      }
      const one = path.match(/^\/v1\/subscriptions\/([^/]+)$/);
      if (one && subscriptions.has(one[1])) {
        const sub = subscriptions.get(one[1]);
        if (req.method === 'DELETE') sub.status = 'canceled';
        if (req.method === 'GET' || req.method === 'DELETE') return json(res, 200, sub);
      }
      return json(res, 404, { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${path})` } });
    }
    const checkout = path.match(/^\/checkout\/([^/]+)(\/pay)?$/);
    if (checkout && sessions.has(checkout[1])) {
      const s = sessions.get(checkout[1]);
      if (req.method === 'GET' && !checkout[2]) {
        return page(res, 'Fake Stripe Checkout', `<p>Subscribe to <strong>BuildOS Pro</strong> (${escape(s.price)}).</p>
<form method="post" action="/checkout/${checkout[1]}/pay"><button type="submit">Pay and subscribe</button></form>
<p><a href="${escape(s.cancel_url)}">Back</a></p>`);
      }
      if (req.method === 'POST' && checkout[2]) {
        await send('customer.subscription.created', subscription(s.customer, s.price, 'active', s.user_id));
        await send('checkout.session.completed', { id: checkout[1], object: 'checkout.session', customer: s.customer });
        res.writeHead(303, { location: s.success_url });
        return res.end();
      }
    }
    const portal = path.match(/^\/portal\/([^/]+)(\/cancel)?$/);
    if (portal && portals.has(portal[1])) {
      const p = portals.get(portal[1]);
      if (req.method === 'GET' && !portal[2]) {
        return page(res, 'Fake Stripe billing portal', `<form method="post" action="/portal/${portal[1]}/cancel">
<button type="submit">Cancel subscription</button></form><p><a href="${escape(p.return_url)}">Return to BuildOS</a></p>`);
      }
      if (req.method === 'POST' && portal[2]) {
        const sub = subscriptions.get(byCustomer.get(p.customer));
        if (sub) await send('customer.subscription.deleted', subscription(p.customer, sub.items.data[0].price.id, 'canceled'));
        res.writeHead(303, { location: p.return_url });
        return res.end();
      }
    }
    json(res, 404, { error: { type: 'invalid_request_error', message: 'Not found' } });
  } catch (e) {
    console.error(e);
    json(res, 500, { error: { type: 'api_error', message: String(e) } });
  }
}).listen(port, '127.0.0.1', () => console.log(`fake Stripe on ${base}`));
