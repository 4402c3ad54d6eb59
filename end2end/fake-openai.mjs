// A fake OpenAI-compatible transcription service for the end-to-end tests,
// on 127.0.0.1 (FAKE_OPENAI_PORT): `POST /v1/audio/transcriptions` takes the
// multipart form OpenAI takes and answers `{"text": …}`. It checks what a
// real service would: the bearer key, a model, and a `file` that is audio in
// the format its name says (a WebM recording starts with the EBML magic).
//
// Test hooks: GET /test/transcriptions lists what was received;
// POST /test/refuse-next makes the next request fail as a service does
// when it cannot read a file.
// Started by scripts/test.sh; never reaches an outside host.

import { createServer } from 'node:http';

const port = Number(process.env.FAKE_OPENAI_PORT ?? 3313);
const KEY = 'e2e-transcribe-key';
export const TRANSCRIPT = 'Call the plumber about the leaking tap.';

const seen = [];
let refuse = 0;

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
const error = (res, status, message) =>
  send(res, status, { error: { message, type: 'invalid_request_error', param: null, code: null } });

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  console.log(`${req.method} ${url.pathname} (refusing ${refuse})`);
  if (req.method === 'GET' && url.pathname === '/test/transcriptions') return send(res, 200, seen);
  if (req.method === 'POST' && url.pathname === '/test/refuse-next') {
    refuse += 1;
    return send(res, 200, { refuse });
  }
  if (req.method !== 'POST' || url.pathname !== '/v1/audio/transcriptions') return error(res, 404, 'Not found');
  if (req.headers.authorization !== `Bearer ${KEY}`) return error(res, 401, 'Incorrect API key provided');
  // Parse the multipart form with the platform's own parser.
  const form = await new Request(url, { method: 'POST', headers: req.headers, body: await body(req) }).formData();
  const file = form.get('file');
  if (!(file instanceof Blob)) return error(res, 400, "'file' is a required property");
  const bytes = Buffer.from(await file.arrayBuffer());
  const magic = bytes.subarray(0, 4).toString('hex');
  const received = { model: form.get('model'), name: file.name, size: bytes.length, magic };
  seen.push(received);
  if (refuse > 0) {
    refuse -= 1;
    // A refusal that is not retried (async-openai retries 429 and 5xx by itself).
    return error(res, 400, 'Could not process the audio file.');
  }
  if (!form.get('model')) return error(res, 400, "'model' is a required property");
  if (file.name.endsWith('.webm') && magic !== '1a45dfa3') return error(res, 400, 'Invalid file format.');
  if (bytes.length < 1000) return error(res, 400, 'Audio file is too short.');
  return send(res, 200, { text: TRANSCRIPT });
}).listen(port, '127.0.0.1', () => console.log(`fake OpenAI transcription on 127.0.0.1:${port}`));
