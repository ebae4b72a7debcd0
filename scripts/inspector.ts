/**
 * A small Chrome DevTools protocol client for `wrangler dev --inspector-port` (the Worker's V8
 * isolate, reached through wrangler's inspector proxy): heap usage, a forced collection and heap
 * snapshots, for scripts/workerd-memory.ts. The proxy refuses an upgrade without an allowed
 * `Origin` header, which the standard WebSocket cannot set, so this uses `ws` (miniflare's own
 * dependency, installed with wrangler's test pool).
 */
import { WebSocket } from 'ws';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface Inspector {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** Collects the `HeapProfiler.addHeapSnapshotChunk` events of the next snapshot. */
  snapshot(): Promise<string>;
  close(): void;
}

/** Connects to the first target wrangler's inspector proxy lists on `port` (the Worker). */
export async function connectInspector(port: number): Promise<Inspector> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title?: string }[];
  const target = targets[0];
  if (!target) throw new Error(`no inspector target on port ${port}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl, { origin: 'http://localhost', maxPayload: 2 ** 30 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', (error) => reject(new Error(`cannot open ${target.webSocketDebuggerUrl}: ${error.message}`)));
  });
  let next = 1;
  const pending = new Map<number, Pending>();
  let chunks: string[] | null = null;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: { chunk?: string } };
    if (message.method === 'HeapProfiler.addHeapSnapshotChunk') chunks?.push(message.params!.chunk!);
    if (message.id === undefined) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiting?.reject(new Error(message.error.message));
    else waiting?.resolve(message.result);
  });
  const send = <T>(method: string, params: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    send,
    async snapshot() {
      chunks = [];
      await send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      const text = chunks.join('');
      chunks = null;
      return text;
    },
    close: () => socket.close(),
  };
}

/** A heap snapshot's self sizes summed by node type and name, the largest first. */
export function summariseSnapshot(text: string, top = 15): { total: number; byName: { name: string; count: number; bytes: number }[] } {
  const snapshot = JSON.parse(text) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const sums = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < snapshot.nodes.length; i += fields.length) {
    const type = types[snapshot.nodes[i + typeAt!]!]!;
    const name = type === 'object' || type === 'native' || type === 'closure' ? snapshot.strings[snapshot.nodes[i + nameAt!]!]! : `(${type})`;
    const bytes = snapshot.nodes[i + sizeAt!]!;
    total += bytes;
    const key = `${type}:${name.slice(0, 60)}`;
    const entry = sums.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += bytes;
    sums.set(key, entry);
  }
  const byName = [...sums.entries()].map(([name, v]) => ({ name, ...v })).sort((a, b) => b.bytes - a.bytes).slice(0, top);
  return { total, byName };
}
