/** Starts bench/apiServerProcess.ts as a child process and asks it for its figures. */
import { fork } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor } from '../src/server/kubeconfig.js';
import type { ServerStats } from './apiServerProcess.js';

export interface ServerProcess {
  url: string;
  /** A KubeConfig whose requests the server counts under `who` (its bearer token). */
  kubeConfig(who: string): KubeConfig;
  stats(): Promise<ServerStats>;
  close(): void;
}

/** `compiled`: run dist/bench/apiServerProcess.js (npm run build first) instead of the source through tsx. */
export async function startServerProcess({ compiled = false } = {}): Promise<ServerProcess> {
  const child = compiled
    ? fork(new URL('../dist/bench/apiServerProcess.js', import.meta.url), [], { execArgv: [], stdio: 'inherit' })
    : fork(new URL('./apiServerProcess.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
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
