// Resident memory and CPU time from /proc: VmRSS of each measured process while load runs, and how
// much of the machine's CPU went to processes outside the benchmark (other test runs on
// the same two cores), so contention is reported rather than guessed.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const TICKS = 100; // USER_HZ on Linux

export function rssKiB(pid) {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** utime + stime of a process in seconds (children excluded). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine since boot. */
function machineCpu() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICKS, total: total / TICKS };
}

/** Pids whose command line contains `needle` (e.g. the S3 gateway and the broker). */
export function pidsOf(needle) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * Samples VmRSS of named processes every `intervalMs` while a phase runs; `stop()` returns peak and
 * mean RSS (MiB) per name, CPU seconds each used, and the share of the machine's CPU used by
 * everything else.
 */
export function sampleProcesses(named, intervalMs = 100) {
  const cpuStart = Object.fromEntries(Object.entries(named).map(([name, pid]) => [name, cpuSeconds(pid) ?? 0]));
  const selfStart = process.cpuUsage();
  const machineStart = machineCpu();
  const wallStart = performance.now();
  const samples = Object.fromEntries(Object.keys(named).map((name) => [name, []]));
  const take = () => {
    for (const [name, pid] of Object.entries(named)) {
      const kib = rssKiB(pid);
      if (kib !== undefined) samples[name].push(kib / 1024);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const wall = (performance.now() - wallStart) / 1000;
      const machine = machineCpu();
      const self = process.cpuUsage(selfStart);
      const cpu = {};
      let ours = (self.user + self.system) / 1e6;
      cpu.loadgen = ours;
      for (const [name, pid] of Object.entries(named)) {
        const used = (cpuSeconds(pid) ?? cpuStart[name]) - cpuStart[name];
        cpu[name] = used;
        ours += used;
      }
      const busy = machine.busy - machineStart.busy;
      const cores = os.cpus().length;
      const rss = {};
      for (const [name, values] of Object.entries(samples)) {
        rss[name] = values.length
          ? { peak: Math.max(...values), mean: values.reduce((a, b) => a + b, 0) / values.length }
          : { peak: Number.NaN, mean: Number.NaN };
      }
      return {
        seconds: wall,
        rss,
        cpuSeconds: cpu,
        machineBusyPct: (100 * busy) / (wall * cores),
        // CPU used by processes that are not part of the measurement, as a share of all cores.
        foreignCpuPct: Math.max(0, (100 * (busy - ours)) / (wall * cores)),
      };
    },
  };
}
