/** Chaos over a mixed fleet (chaosScenario.ts) on the embedded server. */
import { describe } from 'vitest';
import { chaosScenario } from './chaosScenario.js';

describe('chaos over a mixed fleet of client-go and leasehold on the embedded server', () => chaosScenario('embedded'));
