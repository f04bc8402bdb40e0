/** Small statistics helpers: medians and ratios, never single times. */

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median of per-run ratios a[i] / b[i] (runs are interleaved). */
export function medianRatio(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(a[i] / b[i]);
  return median(ratios);
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

export function mib(bytes: number): string {
  return (bytes / 1024 ** 2).toFixed(1);
}

/**
 * A difference already formatted by `seconds` or `mib`, with its sign:
 * +0.3, −0.2, ±0.0 (a run's noise can make a small cost negative).
 */
export function signed(formatted: string): string {
  const value = Number(formatted);
  if (value === 0) return `±${formatted.replace('-', '')}`;
  return value > 0 ? `+${formatted}` : `−${formatted.slice(1)}`;
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a';
}

/** Runs `tasks` with at most `limit` at once; resolves in task order. */
export async function pool<T>(
  limit: number,
  tasks: Array<() => Promise<T>>,
): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
  return results;
}

export async function timed<T>(work: () => Promise<T>) {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}
