/**
 * CPU time and peak RSS of a server process and its descendants (the workers of a cluster), read from Linux's
 * /proc, so that every server is measured the same way from outside, whatever it runs.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (100 on Linux for every architecture Node runs on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after the command name, which may itself contain spaces and parentheses. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** `pid` and every living descendant. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parentOf.set(Number(entry), Number(statFields(Number(entry))[1])); // field 4, ppid
    } catch {
      // Exited while listing.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parentOf) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** User + system CPU seconds the processes used so far. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    ticks += Number(f[11]) + Number(f[12]); // fields 14 and 15: utime, stime
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** Sum of the processes' peak resident set (VmHWM) since start or the last resetPeakRss, bytes. */
export function peakRssBytes(pids: readonly number[]): number {
  let kib = 0;
  for (const pid of pids) kib += Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kib * 1024;
}

/** Restarts the peak-RSS count at the current RSS (Linux `clear_refs` 5), so that each scenario gets its own peak. */
export function resetPeakRss(pids: readonly number[]): void {
  for (const pid of pids) writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
