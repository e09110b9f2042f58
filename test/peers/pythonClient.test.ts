/** The official Python client live (pythonClientScenarios.ts) on the embedded server. */
import { describe } from 'vitest';
import { pythonClientScenarios } from './pythonClientScenarios.js';

describe('the official Python client on the embedded server', () => pythonClientScenarios('embedded'));
