/**
 * Checks that an answer has the fields its type promises, so a gateway
 * (or a proxy in front of it) that answers some other JSON fails as
 * `invalid_answer` at the call, not as a TypeError later in the caller.
 * Only the fields callers branch on are checked; extras are allowed.
 */

type Kind = 'number' | 'string' | 'array' | 'object' | 'number|null';

/** Describes what is wrong with an answer, or undefined when it fits. */
export type AnswerCheck = (answer: Record<string, unknown>) => string | undefined;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function fits(value: unknown, kind: Kind): boolean {
  if (kind === 'number|null') return value === null || typeof value === 'number';
  if (kind === 'number') return typeof value === 'number' && Number.isFinite(value);
  return kindOf(value) === kind;
}

/** A JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return kindOf(value) === 'object';
}

function misfit(
  answer: Record<string, unknown>,
  shape: Record<string, Kind>,
  at = '',
): string | undefined {
  for (const [field, kind] of Object.entries(shape)) {
    const value = answer[field];
    if (fits(value, kind)) continue;
    if (value === undefined) return `no ${at}${field}`;
    return `${at}${field} is ${kindOf(value)}, not ${kind}`;
  }
  return undefined;
}

/** An answer with these fields. */
function fields(shape: Record<string, Kind>): AnswerCheck {
  return (answer) => misfit(answer, shape);
}

const LISTED_UPLOAD: Record<string, Kind> = {
  upload_id: 'number',
  track_id: 'number|null',
  status: 'string',
  formats: 'array',
};

export const ANSWER_CHECKS = {
  upload: fields({ upload_id: 'number', formats: 'array' }),
  trackUpdate: fields({ update_id: 'number' }),
  availableFields: fields({ fields: 'array', custom_fields: 'array' }),
  createJob: fields({ job_id: 'number' }),
  publish: fields({ job_id: 'number', queued: 'number' }),
  checkJob: fields({
    job_id: 'number',
    state: 'string',
    q: 'number',
    i: 'number',
    d: 'number',
    e: 'number',
  }),
  list: (answer) => {
    const top = misfit(answer, { job_id: 'number', state: 'string', tracks: 'array' });
    if (top) return top;
    const tracks = answer.tracks as unknown[];
    for (const [n, upload] of tracks.entries()) {
      if (!isRecord(upload)) return `tracks[${n}] is ${kindOf(upload)}, not object`;
      const problem = misfit(upload, LISTED_UPLOAD, `tracks[${n}].`);
      if (problem) return problem;
    }
    return undefined;
  },
  track: (answer) => {
    if (!isRecord(answer.track)) return `track is ${kindOf(answer.track)}, not object`;
    return misfit(answer.track, { track_id: 'number', meta: 'object' }, 'track.');
  },
} satisfies Record<string, AnswerCheck>;
