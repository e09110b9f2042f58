/**
 * The facade scenarios over real HTTP against the embedded server (the same table runs against a
 * real kube-apiserver in test/real/facades.test.ts).
 */
import { describe, it } from 'vitest';
import { facadeScenarios } from '../support/facadeScenarios.js';

describe('facades over HTTP against the embedded server', () => {
  facadeScenarios('embedded', it);
});
