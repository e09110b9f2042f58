/**
 * An HTTP world per test, and its teardown registered once: `open()` starts the world (the embedded
 * server), `stopping(x)` stops a facade when the test ends, and after each test the participants
 * stop, the clock lets their last calls land, and the server closes.
 */
import { afterEach } from 'vitest';
import { httpWorld, type HttpWorldOptions, type WorldTarget } from './httpWorld.js';

export type HttpWorld = Awaited<ReturnType<typeof httpWorld>>;

/** `target`: the embedded server, or a real cluster (see WorldTarget). */
export function httpWorldPerTest(target: WorldTarget = 'embedded') {
  let world: HttpWorld | undefined;
  const stoppers: (() => void)[] = [];
  afterEach(async () => {
    for (const stop of stoppers.splice(0)) stop();
    if (!world) return;
    await world.clock.advance(0);
    await world.close();
    world = undefined;
  });
  return {
    open: async (options: HttpWorldOptions = {}) => (world = await httpWorld('cluster-example', target, options)),
    stopping: <T extends { stop(): void }>(facade: T): T => {
      stoppers.push(() => facade.stop());
      return facade;
    },
  };
}
