/** A finished diagnosis: what every renderer formats. */
import type { Snapshot } from '../snapshot/types.js';
import type { Finding } from '../rules/types.js';

export interface DiagnosisFilter {
  pid?: number;
  port?: number;
}

export interface Diagnosis {
  snapshot: Snapshot;
  /** Most severe first. */
  findings: Finding[];
  filter: DiagnosisFilter;
  /** 0 healthy, 1 warnings, 2 critical. */
  exitCode: 0 | 1 | 2;
  /** With --port: why that port fails, when it does (nothing listening, loopback or IPv6 only, elsewhere). */
  portCheck?: import('../port/check.js').PortCheck;
}
