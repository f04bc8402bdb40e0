/**
 * The kill round of storm.ts: a third gateway takes a publish, which is
 * held at its first write to Redis (holdWrites), and is killed (SIGKILL,
 * a process this script started) with the call in flight. The client's
 * retry through another gateway must then finish the job: one publish,
 * every upload terminal, nothing stuck `publishing`.
 */
import { holdWrites } from '@ingest/testkit';
import {
  settle,
  uploadWithRetry,
  type Answer,
  type Random,
  type Storm,
} from './storm-kit';

export async function killRound(
  storm: Storm,
  random: Random,
  tones: number[],
): Promise<{ outcomes: string[]; problems: string[]; jobId: number }> {
  const { stack, files } = storm.fixture;
  const created = await storm.call('/api/import/createJob', { name: 'kill' });
  const jobId = created.body.job_id as number;
  const hook = `${storm.receiver.url}/job-${jobId}`;
  const accepted: number[] = [];
  for (let k = 0; k < 2 + random.int(3); k++) {
    const answer = await uploadWithRetry(storm, {
      job_id: jobId,
      url: `${files.url}/tone-${tones.pop()}.wav`,
    });
    if (answer.status === 200) accepted.push(answer.body.upload_id);
  }

  const victim = await stack.startService('gateway');
  const url = `http://127.0.0.1:${victim.port}/api/import/publish`;
  const hold = await holdWrites(stack.redis);
  let cut: Promise<string>;
  try {
    cut = fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${storm.site.token}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ job_id: jobId, oncomplete: hook }),
    }).then((res) => `answered ${res.status}`, () => 'connection lost');
    await hold.waitForHeld(1);
    victim.child.kill('SIGKILL');
    await victim.exited;
  } finally {
    await hold.release();
  }
  const outcomes = [`killed publish: ${await cut}`];

  const before = await storm.call('/api/import/checkJob', { job_id: jobId });
  outcomes.push(`job after kill: ${before.body.state}`);
  const retry: Answer = await storm.call('/api/import/publish',
    { job_id: jobId, oncomplete: hook }, random.int(2));
  outcomes.push(`retry: ${retry.status}` +
    (retry.body?.code ? `/${retry.body.code}` : ''));
  const problems: string[] = [];
  if (retry.status !== 200) {
    problems.push(`publish retry after a kill: ${retry.status} ` +
      JSON.stringify(retry.body));
  }
  problems.push(...(await settle(storm, [jobId], 60_000)));
  return { outcomes, problems, jobId };
}
