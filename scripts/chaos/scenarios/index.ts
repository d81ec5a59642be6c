// Every scenario, in the order a run takes them: cheap and local first, broker faults and the soak last.
import type { Scenario } from '../lib/types.js';
import { badInput, badInputWithAuth } from './badInput.js';
import { brokerRestart, connectionDrop } from './brokerFaults.js';
import { poison } from './poison.js';
import { race } from './race.js';
import { replicas } from './replicas.js';
import { sigkill } from './sigkill.js';
import { soak } from './soak.js';

export const SCENARIOS: Scenario[] = [race, poison, badInput, badInputWithAuth, sigkill, replicas, connectionDrop, brokerRestart, soak];
