/**
 * What the secondary-source and track-update tests share: fixtures that
 * are pure tones, each of its own frequency, so that a rendition's tone
 * names the source it was made from; and calls on one site's tracks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  makeTone,
  toneFrequency,
  type FixtureStack,
  type ToneOptions,
} from '@ingest/testkit';

/** Tones by fixture; a rendition's frequency names its source. */
export const HZ = {
  songMp3: 440,
  twinMp3: 660,
  songWavFirst: 2000,
  songWav: 1000,
  otherMp3: 330,
  thirdWav: 550,
  extraFlac: 1500,
  longWav: 600,
  nowWav: 3000,
  laterWav: 800,
  orderBase: 500,
  orderSlow: 700,
  orderFast: 900,
};

export const MP3 = { codec: 'libmp3lame' };

/** A 3 s tone of `frequency` Hz at `name` under `dir`. */
export function tone(
  dir: string,
  name: string,
  frequency: number,
  extra: Partial<ToneOptions> = {},
) {
  return makeTone(path.join(dir, name), { seconds: 3, frequency, ...extra });
}

export const sha256 = (bytes: Buffer) =>
  createHash('sha256').update(bytes).digest('hex');

export async function assertTone(file: string, hz: number, what: string) {
  const measured = await toneFrequency(file);
  assert.ok(
    Math.abs(measured - hz) < hz * 0.02,
    `${what}: expected a ${hz} Hz tone, measured ${measured.toFixed(1)} Hz`,
  );
}

/**
 * Calls on the tracks of the fixture's site. `fixture` is asked at each
 * call, so the calls can be made before the stack starts.
 */
export function trackCalls(fixture: () => FixtureStack) {
  const call = (endpoint: string, params: Record<string, unknown> = {}) => {
    const { stack, site } = fixture();
    return stack.call(`/api/import/${endpoint}`, site.token, params);
  };

  const upload = (name: string, params: Record<string, unknown> = {}) =>
    call('upload', { url: `${fixture().files.url}/${name}`, ...params });

  async function getTrack(trackId: number) {
    const { stack, site } = fixture();
    const { status, body } = await stack.call(
      '/api/tracks/getById',
      site.token,
      { track_id: trackId },
    );
    assert.equal(status, 200, JSON.stringify(body));
    return body.track;
  }

  /** Downloads a rendition to a file; gives the path and its sha256. */
  async function download(trackId: number, format: string) {
    const { stack, site, dir } = fixture();
    const res = await fetch(
      `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
        `&format=${format}&token=${site.token}`,
    );
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    const file = path.join(dir, `dl-${trackId}-${Date.now()}.${format}`);
    await writeFile(file, bytes);
    return { file, sha256: sha256(bytes) };
  }

  const stored = (storageKey: string) =>
    access(path.join(fixture().stack.dataDir, 'storage', storageKey)).then(
      () => true,
      () => false,
    );

  async function publishAndWait(jobId?: number) {
    const { stack, site } = fixture();
    const published = await call('publish', jobId ? { job_id: jobId } : {});
    assert.equal(published.status, 200, JSON.stringify(published.body));
    return stack.waitForJob(site.token, published.body.job_id);
  }

  async function trackOfUpload(jobId: number, uploadId: number) {
    const { body } = await call('list', { job_id: jobId });
    const row = body.tracks.find((t: any) => t.upload_id === uploadId);
    assert.ok(row, `upload ${uploadId} in ${JSON.stringify(body)}`);
    assert.equal(row.status, 'published', JSON.stringify(row));
    return row.track_id as number;
  }

  /** Uploads `name` into the main job, publishes it: its track's id. */
  async function publishedTrack(name: string) {
    const uploaded = await upload(name);
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    const done = await publishAndWait();
    return trackOfUpload(done.job_id, uploaded.body.upload_id);
  }

  return {
    call,
    upload,
    getTrack,
    download,
    stored,
    publishAndWait,
    trackOfUpload,
    publishedTrack,
  };
}
