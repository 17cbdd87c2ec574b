/**
 * What the outer half of a lab run starts as the inner process (root, inside the lab namespace):
 * SIGUSR1/SIGUSR2 made harmless by the one static import, the lab's module graph loaded only then
 * (main.ts says why).
 */
import '../safety/debug-signals-first.js';

const { runAsScript } = await import('./lab.js');
runAsScript();
