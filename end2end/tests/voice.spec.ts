import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchOptions } from '../launch';
import { expect, hydrated, ready, signUp, test } from './fixtures';

// What the browser's fake microphone hears: a recorded audio file (two
// seconds of a 440 Hz tone, 16 kHz 16-bit mono PCM WAV, which Chromium's
// fake audio capture plays in a loop).
function recordingFile(): string {
  const rate = 16_000;
  const samples = rate * 2;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  }
  const dir = join(tmpdir(), 'buildos-e2e');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'voice.wav');
  writeFileSync(path, wav);
  return path;
}

test.use({
  launchOptions: {
    ...launchOptions,
    args: [
      ...launchOptions.args,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${recordingFile()}`,
    ],
  },
  permissions: ['microphone'],
});

const fake = process.env.FAKE_OPENAI ?? 'http://127.0.0.1:3313';
type Received = { model: string; name: string; size: number; magic: string };
const received = async (): Promise<Received[]> => (await fetch(`${fake}/test/transcriptions`)).json();
const HEARD = 'Call the plumber about the leaking tap.';

test('voice: a recording is transcribed and added to the text; one that fails is kept and sent again', async ({ page }) => {
  await signUp(page, 'voice');
  await page.goto('/brain-dump');
  await ready(page);
  const speak = page.getByRole('button', { name: /Speak$/ });
  if (!hydrated()) {
    // The server cannot know what the browser can do: without JavaScript, no button.
    await expect(page.getByLabel("What's on your mind?")).toBeVisible();
    await expect(speak).toHaveCount(0);
    return;
  }
  await expect(page.getByTestId('voice')).toHaveAttribute('data-way', 'record');
  const editor = page.getByLabel("What's on your mind?");
  await editor.fill('Garden: buy seeds');
  await expect(page.getByText('Draft saved')).toBeVisible();
  const before = (await received()).length;

  const record = async () => {
    await speak.click();
    await expect(page.getByRole('button', { name: /Stop$/ })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByText(/^Recording 0:0[1-9]$/)).toBeVisible();
    await page.getByRole('button', { name: /Stop$/ }).click();
  };
  await record();
  await expect(editor).toHaveValue(`Garden: buy seeds\n${HEARD}`);
  await expect(page.getByText('Draft saved')).toBeVisible();
  const sent = (await received()).slice(before);
  expect(sent).toHaveLength(1);
  // The browser's own recording reached the service whole: WebM, named so.
  expect(sent[0]).toMatchObject({ model: 'whisper-1', name: 'recording.webm', magic: '1a45dfa3' });
  expect(sent[0].size).toBeGreaterThan(1000);

  // The service fails once: said plainly, the recording kept and sent again.
  await fetch(`${fake}/test/refuse-next`, { method: 'POST' });
  await record();
  await expect(page.getByTestId('voice-error')).toContainText('Your recording is still here');
  await expect(editor).toHaveValue(`Garden: buy seeds\n${HEARD}`);
  await page.getByRole('button', { name: 'Try the recording again' }).click();
  await expect(editor).toHaveValue(`Garden: buy seeds\n${HEARD}\n${HEARD}`);
  await expect(page.getByTestId('voice-error')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Try the recording again' })).toHaveCount(0);
  const again = (await received()).slice(before);
  expect(again).toHaveLength(3);
  expect(again[2].size, 'the same recording, sent again').toBe(again[1].size);

  // Saved with the draft, like anything typed.
  await expect(page.getByText('Draft saved')).toBeVisible();
  await page.reload();
  await ready(page);
  await expect(editor).toHaveValue(`Garden: buy seeds\n${HEARD}\n${HEARD}`);
});

test("voice: where the browser cannot record, its own speech recognition adds what it hears; with neither, no button", async ({
  page,
}) => {
  test.skip(!hydrated(), 'speech needs JavaScript');
  await signUp(page, 'speech');
  // This browser cannot record, but recognises speech (a stand-in that hears one sentence).
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    delete w.MediaRecorder;
    delete w.SpeechRecognition;
    if (sessionStorage.getItem('no-speech')) {
      delete w.webkitSpeechRecognition;
      return;
    }
    class Recognition {
      continuous = false;
      lang = '';
      onresult: ((e: unknown) => void) | null = null;
      onend: (() => void) | null = null;
      onerror: ((e: unknown) => void) | null = null;
      start() {
        (window as unknown as { heardWith: unknown }).heardWith = { continuous: this.continuous, lang: this.lang };
        const alternative = { transcript: ' water the plants ', confidence: 0.9 };
        const result = Object.assign([alternative], { isFinal: true });
        setTimeout(() => this.onresult?.({ resultIndex: 0, results: [result] }), 50);
      }
      stop() {
        setTimeout(() => this.onend?.(), 10);
      }
      abort() {
        this.stop();
      }
    }
    w.webkitSpeechRecognition = Recognition;
  });
  await page.goto('/brain-dump');
  await ready(page);
  await expect(page.getByTestId('voice')).toHaveAttribute('data-way', 'speech');
  const editor = page.getByLabel("What's on your mind?");
  await editor.fill('Garden');
  await page.getByRole('button', { name: /Speak$/ }).click();
  await expect(page.getByText('Listening…')).toBeVisible();
  await expect(editor).toHaveValue('Garden\nwater the plants');
  expect(await page.evaluate(() => (window as unknown as { heardWith: unknown }).heardWith)).toEqual({
    continuous: true,
    lang: 'en-US',
  });
  await page.getByRole('button', { name: /Stop$/ }).click();
  await expect(page.getByRole('button', { name: /Speak$/ })).toBeVisible();
  await expect(page.getByText('Draft saved')).toBeVisible();

  // Neither recording nor recognition: no button at all.
  await page.evaluate(() => sessionStorage.setItem('no-speech', '1'));
  await page.reload();
  await ready(page);
  await expect(editor).toHaveValue('Garden\nwater the plants');
  await expect(page.getByTestId('voice')).toHaveAttribute('data-way', 'none');
  await expect(page.getByRole('button', { name: /Speak$/ })).toHaveCount(0);
});
