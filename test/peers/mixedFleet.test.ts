/** The mixed-fleet scenarios (mixedFleetScenarios.ts) on the embedded server. */
import { describe } from 'vitest';
import { mixedFleetScenarios } from './mixedFleetScenarios.js';

describe('mixed fleet of client-go and leasehold on the embedded server', () => mixedFleetScenarios('embedded'));
