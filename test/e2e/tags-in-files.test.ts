/**
 * End to end: the renditions a client downloads carry the track's
 * metadata as tags (SPEC §3 "Renditions"): ID3v2.3 with the source's
 * cover picture in mp3, an ID3 chunk in aiff, RIFF INFO in wav, Vorbis
 * comments in flac. The cover never becomes a stream of a lossless file.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { defaultBinaryPaths } from '@ingest/media';
import {
  ffprobe,
  probedTags,
  startFixtureStack,
  type FixtureStack,
  type LoopbackServer,
  type Probed,
  type TestSite,
  type TestStack,
} from '@ingest/testkit';

const run = promisify(execFile);

let fixture: FixtureStack;
let dir: string;
let files: LoopbackServer;
let stack: TestStack;
let site: TestSite;

/** A 2 s stereo mp3 with a 64×64 PNG attached as its cover. */
async function mp3WithCover(file: string) {
  const { ffmpegPath } = defaultBinaryPaths();
  const png = path.join(path.dirname(file), 'cover.png');
  const quiet = ['-hide_banner', '-loglevel', 'error', '-y'];
  await run(ffmpegPath, [
    ...quiet,
    '-f', 'lavfi', '-i', 'testsrc=size=64x64:rate=1',
    '-frames:v', '1', png,
  ]);
  await run(ffmpegPath, [
    ...quiet,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=2',
    '-i', png,
    '-map', '0:a', '-map', '1:v', '-ac', '2',
    '-c:a', 'libmp3lame', '-b:a', '128k', '-c:v', 'copy',
    '-disposition:v', 'attached_pic', '-id3v2_version', '3',
    '-metadata', 'title=Source Title',
    file,
  ]);
}

async function writeFixtures(dir: string) {
  await mp3WithCover(path.join(dir, 'dawn.mp3'));
  // Another name and another byte, so that it is an upload of its own.
  await copyFile(path.join(dir, 'dawn.mp3'), path.join(dir, 'cafe.mp3'));
  await writeFile(path.join(dir, 'cafe.mp3'), Buffer.from([0]), { flag: 'a' });
}

before(async () => {
  fixture = await startFixtureStack({ fixtures: writeFixtures });
  ({ dir, files, stack, site } = fixture);
});

after(() => fixture?.close());

const FORMATS = ['mp3', 'wav', 'aiff', 'flac'] as const;
type Format = (typeof FORMATS)[number];

const COMMON = {
  Album: 'Été à Kyōto',
  Composer: 'Zoë/Ångström',
  Genre: 'Kayōkyoku',
  'Track Number': '3/12',
  'Release Date': '2021-05-03',
  ISRC: 'JPAB02100123',
  Publisher: 'Éditions Müller',
  Copyright: '℗ 2021 Müller/Söhne',
  'Custom: External ID': 'EXT=7/8',
};

const TRACKS = {
  dawn: { Title: '夜明けのスキャット', Artist: '由紀さおり', ...COMMON },
  cafe: { Title: 'Café Señor Müller', Artist: 'AC/DC & Søren', ...COMMON },
};

/**
 * The tag names ffprobe shows for each field, per container, where the
 * container holds the field at all (WAV's RIFF INFO has no ISRC,
 * composer or publisher).
 */
const EXPECTED: Record<Format, Record<string, string>> = {
  mp3: {
    Title: 'title',
    Artist: 'artist',
    Album: 'album',
    Composer: 'composer',
    Genre: 'genre',
    'Track Number': 'track',
    ISRC: 'tsrc',
    Publisher: 'publisher',
  },
  aiff: {
    Title: 'title',
    Artist: 'artist',
    Album: 'album',
    Composer: 'composer',
    Genre: 'genre',
    'Track Number': 'track',
    ISRC: 'tsrc',
    Publisher: 'publisher',
  },
  flac: {
    Title: 'title',
    Artist: 'artist',
    Album: 'album',
    Composer: 'composer',
    Genre: 'genre',
    'Track Number': 'track',
    ISRC: 'isrc',
    Publisher: 'publisher',
  },
  wav: {
    Title: 'title',
    Artist: 'artist',
    Album: 'album',
    Genre: 'genre',
    'Track Number': 'track',
  },
};

describe('tags in the files', () => {
  const trackIds: Record<string, number> = {};
  const probes: Record<string, Probed> = {};

  test('two uploads with a cover publish in all four formats', async () => {
    for (const [name, meta] of Object.entries(TRACKS)) {
      const { status, body } = await stack.call(
        '/api/import/upload',
        site.token,
        { url: `${files.url}/${name}.mp3`, formats: FORMATS.join(','), meta },
      );
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.meta.Title, meta.Title);
    }
    const published = await stack.call('/api/import/publish', site.token);
    assert.equal(published.status, 200, JSON.stringify(published.body));
    const jobId = published.body.job_id;
    const check = await stack.waitForJob(site.token, jobId);
    assert.deepEqual([check.d, check.e], [2, 0], JSON.stringify(check));

    const list = await stack.call('/api/import/list', site.token, {
      job_id: jobId,
    });
    for (const row of list.body.tracks) {
      const { body } = await stack.call('/api/tracks/getById', site.token, {
        track_id: row.track_id,
      });
      const name = body.track.meta.Title === TRACKS.dawn.Title ? 'dawn' : 'cafe';
      trackIds[name] = row.track_id;
      assert.deepEqual(Object.keys(body.track.formats).sort(), [
        'aiff',
        'flac',
        'mp3',
        'wav',
      ]);
    }

    for (const [name, trackId] of Object.entries(trackIds)) {
      for (const format of FORMATS) {
        const res = await fetch(
          `${stack.gatewayUrl}/api/tracks/download?track_id=${trackId}` +
            `&format=${format}&token=${site.token}`,
        );
        assert.equal(res.status, 200);
        const file = path.join(dir, `${name}-out.${format}`);
        await writeFile(file, Buffer.from(await res.arrayBuffer()));
        probes[`${name}.${format}`] = await ffprobe(file);
      }
    }
  });

  for (const format of FORMATS) {
    test(`${format}: the fields its container holds, in Unicode`, () => {
      for (const [name, meta] of Object.entries(TRACKS)) {
        const tags = probedTags(probes[`${name}.${format}`]);
        for (const [field, key] of Object.entries(EXPECTED[format])) {
          const want = meta[field as keyof typeof meta];
          // ID3 and RIFF keep "3/12"; Vorbis TRACKNUMBER is read as is.
          assert.equal(tags[key], want, `${name}.${format} ${field}`);
        }
        const date = tags.date ?? tags.tyer ?? '';
        assert.match(date, /^2021/, `${name}.${format} year: ${date}`);
      }
    });
  }

  test('mp3 tags are ID3v2.3, aiff has an ID3 chunk', async () => {
    for (const name of Object.keys(TRACKS)) {
      const mp3 = await readFile(path.join(dir, `${name}-out.mp3`));
      assert.deepEqual([...mp3.subarray(0, 4)], [0x49, 0x44, 0x33, 3]);
      const aiff = await readFile(path.join(dir, `${name}-out.aiff`));
      assert.ok(aiff.includes('ID3 '), `${name}.aiff has an ID3 chunk`);
      // The given meta replaces the source's own tags.
      const values = Object.values(probedTags(probes[`${name}.mp3`]));
      assert.ok(!values.includes('Source Title'), `${name}.mp3`);
    }
  });

  test('a rendition uploaded again reads back as its track', async () => {
    for (const [name, meta] of Object.entries(TRACKS)) {
      for (const format of ['mp3', 'aiff', 'flac']) {
        // A stem of its own: the same stem would attach as a second source.
        const again = `${name}-${format}-again.${format}`;
        await copyFile(
          path.join(dir, `${name}-out.${format}`),
          path.join(dir, again),
        );
        const { status, body } = await stack.call(
          '/api/import/upload',
          site.token,
          { url: `${files.url}/${again}` },
        );
        assert.equal(status, 200, JSON.stringify(body));
        const { Filename, ...read } = body.meta;
        assert.equal(Filename, again);
        assert.deepEqual(read, meta, `${name}.${format}`);
      }
    }
  });

  test('wav: RIFF INFO has no place for composer, publisher, ISRC', () => {
    const tags = probedTags(probes['cafe.wav']);
    const values = Object.values(tags);
    for (const field of ['Composer', 'Publisher', 'ISRC'] as const) {
      assert.ok(!values.includes(COMMON[field]), field);
    }
  });

  test('the cover is an attached picture in mp3 only', () => {
    for (const name of Object.keys(TRACKS)) {
      const mp3 = probes[`${name}.mp3`].streams;
      const pictures = mp3.filter((s) => s.codec_type === 'video');
      assert.equal(pictures.length, 1, `${name}.mp3 has one picture`);
      assert.equal(pictures[0].codec_name, 'png');
      assert.equal(pictures[0].disposition?.attached_pic, 1);
      for (const format of ['wav', 'aiff', 'flac']) {
        const streams = probes[`${name}.${format}`].streams;
        assert.deepEqual(
          streams.map((s) => s.codec_type),
          ['audio'],
          `${name}.${format} holds audio only`,
        );
      }
    }
  });
});
