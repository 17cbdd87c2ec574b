/**
 * Every file's text and every link's target under a directory, concatenated: what tests search
 * for a secret or a path that must not be in a capture or an output tree. Links are not followed
 * (a capture's links are data), so a link out of the tree cannot pull in foreign files.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export function treeText(dir: string): string {
  let out = '';
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) out += `${readlinkSync(p)}\n`;
    else if (st.isDirectory()) out += treeText(p);
    else out += `${readFileSync(p, 'latin1')}\n`;
  }
  return out;
}
