/**
 * Programs whose short options carry a secret (the long ones, `--password=`, are known by name in
 * redact.ts). Each entry from the program's own manual page or --help:
 * - mysql, mysqldump, mysqladmin, … and MariaDB's mariadb-*: `-pPASSWORD`, attached only: "-p"
 *   alone prompts, and the next word is then the database (mysql(1) --password[=password], -p[password]);
 *   `--password` takes its value only with "=".
 * - sshpass(1): `-p password` (also attached: getopt).
 * - redis-cli: `-a <password>` (redis-cli --help).
 * - mongo, mongosh, mongodump, mongorestore, mongoexport, mongoimport, mongostat, mongotop, mongofiles:
 *   `-p <password>`.
 * - curl(1): `-u, --user <user:password>`, `-U, --proxy-user <user:password>`: the part after the first ":".
 * - smbclient(1), rpcclient, smbget, smbcacls, net(8): `-U user%password`: the part after "%".
 * - lftp(1): `-u user[,pass]`: the part after ",".
 * - ldapsearch(1) and the other OpenLDAP clients: `-w passwd`.
 * - sqlcmd, bcp, osql, isql: `-P password`.
 * - mosquitto_pub(1), mosquitto_sub, mosquitto_rr: `-P password`.
 * - ipmitool(1): `-P password`.
 * - zip(1), unzip(1): `-P password`; 7z, 7za, 7zr: `-pPASSWORD` (attached).
 * - openssl(1): `-k password` (enc); its `-pass`, `-passin`, `-passout` take `pass:PASSWORD`
 *   (openssl-passphrase-options(1)): that shape is redacted wherever it appears.
 * - snmpwalk(1), snmpget, snmpset, snmpbulkwalk, snmptrap: `-c community`, `-A authpassword`, `-X privpassword`.
 * - docker, podman, nerdctl, buildah, skopeo, helm: `login -p password` / `-ppassword` (only after the
 *   word `login`: elsewhere `-p` publishes a port).
 * - valkey-cli, keydb-cli: `-a <password>`, as redis-cli (their --help).
 * - curl's long forms: `--user user:password`, `--proxy-user user:password` (also with "=").
 *
 * Positional secrets (POSITIONAL below), from each program's manual:
 * - aws configure set NAME VALUE (aws configure set help): VALUE when NAME says secret
 *   (aws_secret_access_key, aws_session_token).
 * - htpasswd -b[cmBdpsDv] FILE USER PASSWORD (htpasswd(1): -b takes the password from the command line).
 * - vault login TOKEN (vault login -h: a token as the first argument; `method=…` pairs are not).
 * - rabbitmqctl add_user USER PASSWORD, change_password USER PASSWORD (rabbitmqctl(8)).
 * - an unknown program's `-p VALUE` / `-pVALUE` whose value is no port, number, path or plain
 *   lower-case name: the mysql convention, which many tools copy (supervisord `command=/x -p PW`).
 */

/** How a short option holds its secret: attached (`-pSECRET`), the next word (`-p SECRET`), or either. */
export type ShortForm = 'attached' | 'next' | 'both';

/** What part of the value is the secret: all of it, or what follows a separator (user:password). */
export type SecretPart = 'all' | 'after-colon' | 'after-percent' | 'after-comma';

export interface ProgramRule {
  /** Short option letter -> how it holds the secret and which part of it is secret. */
  short: Record<string, { form: ShortForm; part?: SecretPart }>;
  /** Long options (without dashes) whose value is optional: only `--name=VALUE` holds one, never the next word. */
  optionalLong?: string[];
  /** The rule applies only after this word in argv (a subcommand). */
  after?: string;
  /** Long options (without dashes) whose value, `--name V` or `--name=V`, holds a secret part. */
  long?: Record<string, SecretPart>;
}

/** A secret given as a positional argument: the `index`-th word (0-based) after `after`, not counting options. */
export interface PositionalRule {
  after: string[];
  index: number;
  /** The secret is there only when the positional before it names a secret (aws configure set NAME VALUE). */
  namedBy?: number;
  /** Only when some option word holds this letter (htpasswd -b). */
  flag?: string;
  /** A word like this is no secret (vault login method=userpass). */
  unless?: RegExp;
}

export const POSITIONAL: ReadonlyMap<string, readonly PositionalRule[]> = new Map<string, PositionalRule[]>([
  ['aws', [{ after: ['configure', 'set'], index: 1, namedBy: 0 }]],
  ['htpasswd', [{ after: [], index: 2, flag: 'b' }]],
  ['vault', [{ after: ['login'], index: 0, unless: /^[a-z_]+=/ }]],
  ['rabbitmqctl', [{ after: ['add_user'], index: 1 }, { after: ['change_password'], index: 1 }]],
]);

const MYSQL: ProgramRule = { short: { p: { form: 'attached' } }, optionalLong: ['password', 'pass'] };
const MONGO: ProgramRule = { short: { p: { form: 'both' } } };
const LDAP: ProgramRule = { short: { w: { form: 'both' } } };
const MSSQL: ProgramRule = { short: { P: { form: 'both' } } };
const SNMP: ProgramRule = { short: { c: { form: 'both' }, A: { form: 'both' }, X: { form: 'both' } } };
const SAMBA: ProgramRule = { short: { U: { form: 'both', part: 'after-percent' } } };
const LOGIN: ProgramRule = { short: { p: { form: 'both' } }, after: 'login' };
const SEVENZIP: ProgramRule = { short: { p: { form: 'attached' } } };

const names = (list: string[], rule: ProgramRule): Array<[string, ProgramRule]> => list.map((n) => [n, rule]);

/** Program basename -> its rule. */
export const PROGRAM_RULES: ReadonlyMap<string, ProgramRule> = new Map<string, ProgramRule>([
  ...names(
    ['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlcheck', 'mysqlshow', 'mysqlslap', 'mysqlpump', 'mysqlbinlog', 'mysqlsh', 'mariadb', 'mariadb-dump', 'mariadb-admin', 'mariadb-import', 'mariadb-check', 'mariadb-show', 'mariadb-slap', 'mariadb-binlog'],
    MYSQL,
  ),
  ['sshpass', { short: { p: { form: 'both' } } }],
  ...names(['redis-cli', 'valkey-cli', 'keydb-cli'], { short: { a: { form: 'both' } } }),
  ...names(['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop', 'mongofiles'], MONGO),
  ['curl', { short: { u: { form: 'both', part: 'after-colon' }, U: { form: 'both', part: 'after-colon' } }, long: { user: 'after-colon', 'proxy-user': 'after-colon' } }],
  ...names(['smbclient', 'rpcclient', 'smbget', 'smbcacls', 'net'], SAMBA),
  ['lftp', { short: { u: { form: 'both', part: 'after-comma' } } }],
  ...names(['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapwhoami', 'ldappasswd', 'ldapcompare', 'ldapmodrdn', 'ldapexop', 'ldapurl'], LDAP),
  ...names(['sqlcmd', 'bcp', 'osql', 'isql', 'mosquitto_pub', 'mosquitto_sub', 'mosquitto_rr', 'ipmitool', 'zip', 'unzip'], MSSQL),
  ...names(['7z', '7za', '7zr'], SEVENZIP),
  ['openssl', { short: { k: { form: 'next' } } }],
  ...names(['snmpwalk', 'snmpget', 'snmpset', 'snmpbulkwalk', 'snmpbulkget', 'snmpgetnext', 'snmptrap', 'snmptable'], SNMP),
  ...names(['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'helm'], LOGIN),
]);
