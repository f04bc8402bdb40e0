const r = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0);
console.log('bare', r(), JSON.stringify(Object.fromEntries(Object.entries(process.memoryUsage()).map(([k,v])=>[k,(v/2**20).toFixed(0)]))));
await import('@ingest/media');
console.log('media', r());
await import('express');
console.log('express', r());
