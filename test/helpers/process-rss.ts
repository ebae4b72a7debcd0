/**
 * Resident memory of a process tree from /proc (Linux), for the scripts that measure workerd
 * (scripts/e2e-scale.ts, scripts/workerd-memory.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Resident memory (MB) of `pid` and every process under it; with `only`, of those whose name
 * starts with it (workerd, without wrangler's own Node and esbuild).
 */
export function treeRssMb(pid: number, only?: string): number {
  const children = new Map<number, number[]>();
  let rss = 0;
  const rssOf = new Map<number, number>();
  const nameOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const parent = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]);
      const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
      rssOf.set(Number(entry), kb);
      nameOf.set(Number(entry), /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '');
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (only === undefined || nameOf.get(next)?.startsWith(only)) rss += rssOf.get(next) ?? 0;
    stack.push(...(children.get(next) ?? []));
  }
  return rss / 1024;
}
