/**
 * Imported FIRST by every sockdoc entry point (the bin, the lab's inner process, the lab's peers):
 * ES modules are evaluated in import order, so SIGUSR1/SIGUSR2 are harmless before anything else
 * of the program runs (src/safety/debug-signals.ts says why).
 */
import { guardDebugSignals } from './debug-signals.js';

guardDebugSignals();
