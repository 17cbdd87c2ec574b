/**
 * One form for a change to make inside a configuration file: a comment line, "# in FILE:LINE,
 * CONTEXT: set `DIRECTIVE`". A fix block is pasted into a shell: a bare directive there
 * (`worker_connections 48;`, `minfds=4096`) would be run as a command, so a line to write into a
 * file is never printed as a line to run. FILE is quoted by the caller (shellQuote), as in every fix.
 */
export function setInFile(at: string, context: string | null, directive: string): string {
  return `# in ${at}${context ? `, ${context}` : ''}: set \`${directive}\``;
}

/** The same for a line that replaces one written there: "# in FILE:LINE: replace `OLD` with `NEW`". */
export function replaceInFile(at: string, old: string, directive: string): string {
  return `# in ${at}: replace \`${old}\` with \`${directive}\``;
}
