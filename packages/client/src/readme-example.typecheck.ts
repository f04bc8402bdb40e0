// Compiled by `npm run typecheck`, never run here: the README's example
// must typecheck as written (test/e2e/readme-examples.test.ts runs it),
// and upload's answer type must follow trackId.
import {
  IngestApiError,
  IngestClient,
  type TrackUpdateResult,
  type UploadResult,
} from './index';

export async function readmeExample(): Promise<void> {
  const client = new IngestClient({
    url: process.env.INGEST_URL ?? 'http://localhost:8080',
    token: process.env.INGEST_TOKEN ?? '',
  });
  try {
    const { upload_id } = await client.upload(
      { file: './song.wav' }, // or { url }, { file: blobOrStream, filename }
      { formats: ['mp3', 'wav'], meta: { Title: 'Song' } },
    );
    await client.setMetadata(upload_id, { Genre: 'Ambient' });
    const { job_id } = await client.publish();
    const done = await client.waitForJob(job_id, { onProgress: console.log });
    console.log(`job ${job_id} ${done.state}: ${done.d} published, ${done.e} errored`);
  } catch (err) {
    if (!(err instanceof IngestApiError)) throw err;
    console.error(`${err.status} ${err.code}: ${err.message}`); // e.g. 401 unauthorized
    process.exitCode = 1;
  }
}

export async function answerTypes(client: IngestClient): Promise<void> {
  const added: UploadResult = await client.upload({ url: 'http://127.0.0.1/a.wav' });
  const updated: TrackUpdateResult = await client.upload(
    { file: './new.wav' },
    { trackId: 12, format: 'wav' },
  );
  // @ts-expect-error an update answers no upload_id
  const { upload_id } = await client.upload({ file: './x.wav' }, { trackId: 12 });
  console.log(added.upload_id, updated.update_id, upload_id);
}
