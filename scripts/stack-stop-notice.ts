/**
 * The line a stopping `npm start` prints when the services have work in
 * flight: each drains it before it exits, so a Ctrl-C during a slow
 * upload or a transcode waited for up to half a minute per service with
 * nothing but JSON log lines to say why.
 */
import { handBackAfter } from '@ingest/queue';

/** How long the gateway's /metrics may take to answer, ms; the stop waits. */
const SCRAPE_TIMEOUT_MS = 2_000;

/** What the services are doing as the stop begins. */
export interface WorkInFlight {
  /** Upload calls the gateway answers (waited for by the gateway). */
  uploads: number;
  /** Inbound queue imports running (the gateway). */
  imports: number;
  /** Transcodes running (the transcoder). */
  transcodes: number;
  /** Webhook and email deliveries under way (the notifier). */
  deliveries: number;
}

/**
 * The work in flight, as the gateway's /metrics at `url` tells it (the
 * queues' active jobs are read from Redis); undefined when it does not
 * answer in time.
 */
export async function workInFlight(url: string): Promise<WorkInFlight | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) }).catch(
    () => undefined,
  );
  const text = res?.ok ? await res.text().catch(() => undefined) : undefined;
  if (text === undefined) return undefined;
  const active = (queue: string) =>
    sample(text, 'ingest_queue_jobs', { queue, state: 'active' });
  return {
    uploads: sample(text, 'ingest_uploads_in_flight', {}),
    imports: active('imports'),
    transcodes: active('transcode'),
    deliveries: active('webhook') + active('email'),
  };
}

/**
 * `stopping: waiting up to 50 s for 1 upload and 2 transcodes in flight,
 * then cutting short what is left`, or undefined when nothing is in flight. The
 * services stop one after another, each waiting for its own work up to
 * its hand-back time (INGEST_SHUTDOWN_TIMEOUT less 5 s, or half of it),
 * so the longest wait is that time for each service with work.
 */
export function stoppingLine(
  work: WorkInFlight,
  shutdownTimeoutMs: number,
): string | undefined {
  const busy = [work.uploads + work.imports, work.transcodes, work.deliveries];
  const services = busy.filter((count) => count > 0).length;
  const waitS = Math.ceil((handBackAfter(shutdownTimeoutMs) * services) / 1000);
  if (services === 0 || waitS === 0) return undefined;
  const said = [
    counted(work.uploads, 'upload'),
    counted(work.imports, 'import'),
    counted(work.transcodes, 'transcode'),
    counted(work.deliveries, 'delivery', 'deliveries'),
  ].filter((part) => part !== '');
  const listed =
    said.length > 1 ? `${said.slice(0, -1).join(', ')} and ${said.at(-1)}` : said[0];
  return (
    `stopping: waiting up to ${waitS} s for ${listed} in flight, ` +
    'then cutting short what is left'
  );
}

function counted(n: number, one: string, many = `${one}s`): string {
  if (n === 0) return '';
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The sum of a metric's samples whose labels include `labels`, in the
 * Prometheus text format (`name{a="x",b="y"} 3`); 0 when there is none.
 */
function sample(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (!match || match[1] !== name) continue;
    const given = match[2] ?? '';
    const fits = Object.entries(labels).every(([key, value]) =>
      new RegExp(`(?:^|,)${key}="${value}"`).test(given),
    );
    const value = Number(match[3]);
    if (fits && Number.isFinite(value)) sum += value;
  }
  return sum;
}
