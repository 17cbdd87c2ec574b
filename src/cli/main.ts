#!/usr/bin/env node
/**
 * The sockdoc bin. Its one static import makes SIGUSR1 and SIGUSR2 harmless (Node would open its
 * inspector on SIGUSR1: src/safety/debug-signals.ts); the program itself (bin.ts) is imported only
 * then, because ES modules load their whole static graph before evaluating any of it: a static
 * import here would keep the inspector reachable while every module of the program is read.
 */
import '../safety/debug-signals-first.js';

await import('./bin.js');
