/**
 * The program catalogue: every entry is one module (docs/programs.md is generated from them). The
 * first entry whose role() answers claims a process; none overlap today.
 */
import { apache } from './apache.js';
import { haproxy } from './haproxy.js';
import { memcached } from './memcached.js';
import { mysql } from './mysql.js';
import { nginx } from './nginx.js';
import { pgbouncer } from './pgbouncer.js';
import { phpFpm } from './php-fpm.js';
import { postgresql } from './postgresql.js';
import { gunicorn, uvicorn } from './python-servers.js';
import { redis } from './redis.js';
import { springBoot } from './spring-boot.js';
import { tomcat } from './tomcat.js';
import type { Program, ProgramProcess } from './types.js';

/** Tomcat before Spring Boot (both JVMs), gunicorn before uvicorn (gunicorn may run uvicorn workers). */
export const PROGRAMS: readonly Program[] = [nginx, haproxy, redis, tomcat, springBoot, gunicorn, uvicorn, pgbouncer, mysql, postgresql, phpFpm, memcached, apache];

/** The entry and role of a process, or null when no entry knows it. */
export function recognise(p: ProgramProcess): { program: Program; role: 'main' | 'worker' } | null {
  for (const program of PROGRAMS) {
    const role = program.role(p);
    if (role) return { program, role };
  }
  return null;
}
