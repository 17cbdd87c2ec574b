/** Every lab scenario, in the order `sockdoc lab list` shows them (the seed's story first). */
import type { Scenario } from '../types.js';
import { scenario as acceptQueue } from './accept-queue.js';
import { scenario as slowAccept } from './slow-accept.js';
import { scenario as acceptWait } from './accept-wait.js';
import { scenario as emfile } from './emfile.js';
import { scenario as closeWaitLeak } from './close-wait-leak.js';
import { scenario as fdLeak } from './fd-leak.js';
import { scenario as healthy } from './healthy.js';
import { scenario as container } from '../container.js';

export const SCENARIOS: readonly Scenario[] = [acceptQueue, slowAccept, acceptWait, emfile, closeWaitLeak, fdLeak, healthy, container];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
