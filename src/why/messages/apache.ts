/** Apache httpd: its error log at MaxRequestWorkers. */
import type { MessageFamily } from '../types.js';

export const apache: MessageFamily = {
  id: 'apache',
  name: "Apache httpd",
  emitter: { label: "Apache httpd", comm: /^(apache2|httpd)$/ },
  entries: [
    {
      id: "apache-max-request-workers",
      errno: "program cap",
      example: "AH00161: server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting",
      source: "httpd server/mpm/event/event.c and prefork.c: APLOGNO(00161) \"server reached MaxRequestWorkers setting, consider raising the MaxRequestWorkers setting\"",
      pattern: /server reached MaxRequestWorkers setting/i,
      means: "Every worker is busy: new connections wait in the listen queue (ListenBacklog) until one frees.",
      conditions: ['program-cap', 'tcp-queue-full'],
    },
  ],
};
