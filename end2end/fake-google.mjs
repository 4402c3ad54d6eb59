// A fake Google for the end-to-end tests, on 127.0.0.1 (FAKE_GOOGLE_PORT),
// in Google's wire format: OpenID discovery, JWKS, a consent page that
// approves at once, the token endpoint (PKCE checked, RS256 id tokens signed
// with the test key), revocation, and Calendar API v3 (calendar list, events
// with sync tokens, insert/patch/delete with etags, watch/stop).
//
// Test hooks: POST /test/events {calendar, event} puts an event as if made in
// Google; GET /test/events?calendar= lists a calendar's events.
// Started by scripts/test.sh; never reaches an outside host.

import { createHash, createPrivateKey, createPublicKey, createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const port = Number(process.env.FAKE_GOOGLE_PORT ?? 3312);
const base = `http://127.0.0.1:${port}`;
const pem = readFileSync(new URL('../server/tests/app/fixtures/fake-google-key.pem', import.meta.url));
const key = createPrivateKey(pem);
const jwk = { ...createPublicKey(key).export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'k1' };
const PRIMARY = 'e2e@example.com';

const grants = new Map(); // code -> { challenge, claims }
let seq = 0;
const events = new Map([[PRIMARY, []]]); // calendar -> [{ seq, event }]

const b64 = (buf) => Buffer.from(buf).toString('base64url');
function idToken(claims) {
  const header = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: 'k1' }));
  const body = b64(JSON.stringify(claims));
  const sig = createSign('RSA-SHA256').update(`${header}.${body}`).sign(key);
  return `${header}.${body}.${b64(sig)}`;
}

function put(calendar, event) {
  seq += 1;
  const list = events.get(calendar) ?? [];
  events.set(calendar, list);
  const i = list.findIndex((e) => e.event.id === event.id);
  const merged = { status: 'confirmed', ...(i >= 0 ? list[i].event : {}), ...event, etag: `"${seq}"` };
  if (i >= 0) list.splice(i, 1);
  list.push({ seq, event: merged });
  return merged;
}
const find = (calendar, id) => (events.get(calendar) ?? []).find((e) => e.event.id === id)?.event;

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const error = (res, status, reason) =>
  send(res, status, { error: { code: status, message: reason, errors: [{ domain: 'global', reason }] } });

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString();
}

createServer(async (req, res) => {
  const url = new URL(req.url, base);
  const path = url.pathname;
  const q = url.searchParams;
  try {
    if (path === '/.well-known/openid-configuration') {
      return send(res, 200, {
        issuer: base, authorization_endpoint: `${base}/auth`, token_endpoint: `${base}/token`,
        jwks_uri: `${base}/jwks`, revocation_endpoint: `${base}/revoke`, response_types_supported: ['code'],
        subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (path === '/jwks') return send(res, 200, { keys: [jwk] });
    if (path === '/auth') {
      // The person approves at once.
      const code = `code-${randomUUID()}`;
      grants.set(code, {
        challenge: q.get('code_challenge'),
        claims: { sub: 'g-e2e', email: PRIMARY, email_verified: true, name: 'E2E Person', nonce: q.get('nonce') },
        client: q.get('client_id'),
      });
      const back = new URL(q.get('redirect_uri'));
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state'));
      res.writeHead(303, { location: back.toString() });
      return res.end();
    }
    if (path === '/token') {
      const form = new URLSearchParams(await body(req));
      if (form.get('grant_type') === 'refresh_token') {
        return send(res, 200, { access_token: `ya29.e2e-${randomUUID()}`, token_type: 'Bearer', expires_in: 3599 });
      }
      const grant = grants.get(form.get('code'));
      grants.delete(form.get('code'));
      const verifier = form.get('code_verifier') ?? '';
      if (!grant || b64(createHash('sha256').update(verifier).digest()) !== grant.challenge) {
        return send(res, 400, { error: 'invalid_grant' });
      }
      const now = Math.floor(Date.now() / 1000);
      const token = idToken({ ...grant.claims, iss: base, aud: grant.client, iat: now, exp: now + 3600 });
      return send(res, 200, { access_token: 'ya29.e2e', token_type: 'Bearer', expires_in: 3600, id_token: token,
                              refresh_token: `1//e2e-${randomUUID()}` });
    }
    if (path === '/revoke') return send(res, 200, {});
    if (path === '/test/events') {
      if (req.method === 'POST') {
        const { calendar, event } = JSON.parse(await body(req));
        return send(res, 200, put(calendar ?? PRIMARY, event));
      }
      return send(res, 200, (events.get(q.get('calendar') ?? PRIMARY) ?? []).map((e) => e.event));
    }
    const api = path.match(/^\/calendar\/v3(\/.*)$/);
    if (!api) return error(res, 404, 'notFound');
    if (!(req.headers.authorization ?? '').startsWith('Bearer ya29.')) return error(res, 401, 'authError');
    const rest = api[1];
    if (rest === '/users/me/calendarList') {
      return send(res, 200, { items: [{ id: PRIMARY, summary: 'E2E work', primary: true, accessRole: 'owner' }] });
    }
    if (rest === '/channels/stop') return send(res, 204);
    const m = rest.match(/^\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/);
    if (!m) return error(res, 404, 'notFound');
    const calendar = decodeURIComponent(m[1]);
    const id = m[2] && decodeURIComponent(m[2]);
    if (!events.has(calendar)) return error(res, 404, 'notFound');
    if (id === 'watch') {
      const b = JSON.parse(await body(req));
      return send(res, 200, { id: b.id, resourceId: `r-${b.id}`, expiration: String(Date.now() + 7 * 86400000) });
    }
    if (!id && req.method === 'GET') {
      const since = q.get('syncToken') ? Number(q.get('syncToken').slice(5)) : 0;
      const items = events.get(calendar)
        .filter((e) => e.seq > since && !(since === 0 && e.event.status === 'cancelled'))
        .map((e) => e.event);
      return send(res, 200, { kind: 'calendar#events', items, nextSyncToken: `sync-${seq}` });
    }
    if (!id && req.method === 'POST') {
      const e = JSON.parse(await body(req));
      if (e.id && find(calendar, e.id)) return error(res, 409, 'duplicate');
      return send(res, 200, put(calendar, { id: e.id ?? randomUUID().replaceAll('-', ''), ...e }));
    }
    const current = find(calendar, id);
    if (!current) return error(res, 404, 'notFound');
    if (req.method === 'GET') return send(res, 200, current);
    if (req.method === 'PATCH') {
      const match = req.headers['if-match'];
      if (match && match !== current.etag) return error(res, 412, 'conditionNotMet');
      return send(res, 200, put(calendar, { ...JSON.parse(await body(req)), id }));
    }
    if (req.method === 'DELETE') {
      if (current.status === 'cancelled') return error(res, 410, 'deleted');
      put(calendar, { id, status: 'cancelled' });
      return send(res, 204);
    }
    return error(res, 405, 'methodNotAllowed');
  } catch (e) {
    return error(res, 500, String(e));
  }
}).listen(port, '127.0.0.1', () => console.log(`fake Google on ${base}`));
