// Compiled by `npm run typecheck`, never run: the README's example must
// typecheck as written, and upload's answer type must follow trackId.
import { IngestClient, type TrackUpdateResult, type UploadResult } from './index';

export async function readmeExample(token: string): Promise<void> {
  const client = new IngestClient({ url: 'http://127.0.0.1:8080', token });
  const { upload_id } = await client.upload(
    { file: './song.wav' }, // or { url }, Blob, stream
    { formats: ['mp3', 'wav'], meta: { Title: 'Song' } },
  );
  await client.setMetadata(upload_id, { Genre: 'Ambient' });
  const { job_id } = await client.publish();
  const done = await client.waitForJob(job_id, { onProgress: console.log });
  console.log(done.d);
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
