/**
 * The embedded server in a process of its own that counts what it serves (bench/countingServerProcess.ts):
 * started as a child, asked for its connections, requests by client and CPU over IPC.
 */
import { fork } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor } from '../src/server/kubeconfig.js';
import type { ServerStats } from './countingServerProcess.js';

export interface CountingServer {
  url: string;
  /** A KubeConfig whose requests the server counts under `who` (its bearer token). */
  kubeConfig(who: string): KubeConfig;
  stats(): Promise<ServerStats>;
  close(): void;
}

/** `compiled`: run dist/bench/countingServerProcess.js (npm run build first) instead of the source through tsx. */
export async function startCountingServer({ compiled = false } = {}): Promise<CountingServer> {
  const child = compiled
    ? fork(new URL('../dist/bench/countingServerProcess.js', import.meta.url), [], { execArgv: [], stdio: 'inherit' })
    : fork(new URL('./countingServerProcess.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { type: string } & Record<string, unknown>) => {
        if (message.type !== type) return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        resolve(message as T);
      };
      const onExit = (code: number | null) => reject(new Error(`the server process exited (${code}) before "${type}"`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const { url } = await next<{ url: string }>('ready');
  return {
    url,
    kubeConfig: (who) => {
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(kubeConfigFor(url, who));
      return kubeConfig;
    },
    stats: async () => {
      const answer = next<{ stats: ServerStats }>('stats');
      child.send({ type: 'stats' });
      return (await answer).stats;
    },
    close: () => child.disconnect(),
  };
}
