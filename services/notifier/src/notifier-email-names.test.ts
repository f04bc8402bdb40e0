/**
 * A job's email names each upload by the file it was made from and the
 * track's title, so a person can tell which of their files failed. The
 * names are the client's text: they stay on their line, out of the
 * headers, escaped in the HTML, and out of the webhook body.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jobIds } from '@ingest/queue';
import { deliveryGround, type DeliveryGround } from './delivery-ground';
import { completedJob, waitFor } from './test-support';

let ground: DeliveryGround;

before(async () => {
  ground = await deliveryGround('names', {}, {});
});

after(async () => {
  await ground?.close();
});

test('the summary names each upload by its file and title', async () => {
  const to = 'names@example.com';
  const hook = ground.receiver.route([200]);
  const fixture = await completedJob(ground.store, {
    oncomplete: hook.url,
    created: { email: to },
    names: {
      good: { fileName: 'Night Drive (final).wav', title: 'Night <b>Drive</b> & "Co"' },
      bad: {
        fileName: 'cut\r\nSubject: hi\r\n\r\nYour account is suspended\u0007.m4a\u202egnp',
        title: '',
      },
    },
  });
  await ground.completions.add('completion', { jobId: fixture.job.id }, {
    jobId: jobIds.completion(fixture.job.id),
  });

  const [mail] = await waitFor(() => {
    const got = ground.smtp.to(to);
    return got.length > 0 && got;
  });
  const { good, bad, trackId } = fixture;
  assert.equal(mail.subject, `Job ${fixture.job.id} complete: 1 published, 1 failed`);
  const lines = (mail.text ?? '').split('\n');
  assert.ok(
    lines.includes(
      `Track ${trackId} (upload ${good.id}, file "Night Drive (final).wav", ` +
        'title "Night <b>Drive</b> & "Co"")',
    ),
    mail.text,
  );
  // No title: the file alone; its line breaks and controls are spaces.
  assert.ok(
    lines.includes(
      `Upload ${bad.id} (file "cut Subject: hi Your account is suspended .m4a gnp"): ` +
        'no audio stream [no_audio]',
    ),
    mail.text,
  );
  assert.ok(!lines.some((l) => /^(Subject|Your account)/.test(l)), mail.text);
  for (const [name, value] of mail.headers) {
    assert.doesNotMatch(JSON.stringify(value), /Your account|Night/, name);
  }

  const html = String(mail.html);
  assert.ok(
    html.includes('title &quot;Night &lt;b&gt;Drive&lt;/b&gt; &amp; &quot;Co&quot;&quot;'),
    html,
  );
  assert.ok(!html.includes('<b>'), html);
  assert.ok(!/[\u0007\u202e]/.test(html + mail.text), 'a control character shown');

  // The webhook's body is SPEC §4's: no names in it.
  const [request] = await waitFor(() => {
    const got = ground.receiver.at(hook.path);
    return got.length > 0 && got;
  });
  const body = JSON.parse(request.body);
  assert.deepEqual(Object.keys(body.tracks[0]), ['track_id', 'upload_id', 'formats']);
  assert.deepEqual(Object.keys(body.errors[0]), ['upload_id', 'error', 'error_code']);
  assert.doesNotMatch(request.body, /Night|suspended/);
});
