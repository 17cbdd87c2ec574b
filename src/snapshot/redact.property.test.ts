/**
 * Redaction over generated forms (fast-check), one property per row of the table in docs/safety.md
 * §5 "Redaction": a secret value placed in each form — as an argv element, inside a `sh -c`
 * command, in a systemd unit, a supervisord file, nginx, JSON or a plain configuration file — never
 * survives; and argv and configuration made only of non-secrets come out unchanged, byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { redactArgv, redactCmdline, REDACTED, secretClass } from './redact.js';
import { redactConfig } from './redact-config.js';
import { fixture } from '../testing/paths.js';

const RUNS = 300;

/** A secret: distinctive (a marker no input holds otherwise) and made of the characters `chars` allows. */
const secret = (chars: string) =>
  fc.array(fc.constantFrom(...chars), { minLength: 8, maxLength: 28 }).map((a) => `Zq${a.join('')}`);
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** What a password may hold inside one argv word (anything but NUL). */
const ANY = `${ALNUM}!#$%&*+,-./:;<=>?@[]^_{|}~ '"\\`;
/** In a URL's userinfo (RFC 3986 userinfo: unreserved, pct-encoded, sub-delims, ":"; "@" too, as people write it). */
const URL_SAFE = `${ALNUM}-._~!$&'()*+,;=:%@`;
/** Inside a config value or a header (no line break). */
const LINE = `${ALNUM}!#$%&*+,-./:;<=>?@[]^_{|}~`;
/** A word of a shell command (no quote, space, or shell operator). */
const WORD = `${ALNUM}!#%*+,-./:=?@[]^_{}~`;

/** Secret names as people spell them: prefixes, a secret word, a style. */
const CORES = ['password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'api key', 'apikey', 'secret key', 'access key', 'private key', 'auth token', 'credentials', 'passphrase', 'auth', 'client secret', 'secret key base', 'access token', 'webhook url', 'signing key', 'encryption key'];
const PREFIXES = ['db', 'app', 'redis', 'smtp', 'admin', 'github', 'aws', 'stripe', 'jwt', 'mysql', 'rails', 'django', 'oauth', 'slack'];
type Style = 'kebab' | 'snake' | 'upper' | 'camel' | 'dotted';
const style = (w: string[], s: Style): string =>
  s === 'kebab' ? w.join('-') : s === 'snake' ? w.join('_') : s === 'upper' ? w.join('_').toUpperCase() : s === 'dotted' ? w.join('.') : w.map((x, i) => (i ? x[0].toUpperCase() + x.slice(1) : x)).join('');
const secretName = (styles: Style[] = ['kebab', 'snake', 'upper', 'camel', 'dotted']) =>
  fc
    .tuple(fc.subarray(PREFIXES, { maxLength: 2 }), fc.constantFrom(...CORES), fc.constantFrom(...styles))
    .map(([pre, core, s]) => style([...pre, ...core.split(' ')], s));
const envName = secretName(['upper']);

const PROGRAMS_FORMS: Array<(s: string) => string[]> = [
  ...['mysql', 'mysqldump', 'mysqladmin', 'mariadb', 'mariadb-dump'].map((p) => (s: string) => [p, '-uroot', `-p${s}`, 'shop']),
  (s) => ['sshpass', '-p', s, 'ssh', 'db1'],
  (s) => ['sshpass', `-p${s}`, 'ssh', 'db1'],
  (s) => ['redis-cli', '-h', 'cache', '-a', s, 'ping'],
  (s) => ['mongosh', '-u', 'admin', '-p', s],
  (s) => ['mongodump', '--username', 'admin', '-p', s],
  (s) => ['ldapsearch', '-x', '-D', 'cn=admin', '-w', s],
  (s) => ['sqlcmd', '-S', 'db', '-U', 'sa', '-P', s],
  (s) => ['mosquitto_pub', '-u', 'u', '-P', s, '-t', 'x'],
  (s) => ['ipmitool', '-U', 'admin', '-P', s, 'power', 'status'],
  (s) => ['zip', '-P', s, 'a.zip', 'f'],
  (s) => ['7z', 'a', `-p${s}`, 'a.7z'],
  (s) => ['curl', '-u', `bob:${s}`, 'https://api.example/x'],
  (s) => ['curl', `-ubob:${s}`, 'https://api.example/x'],
  (s) => ['curl', '-U', `proxyuser:${s}`, 'https://api.example/x'],
  (s) => ['smbclient', '//fs/share', '-U', `bob%${s}`],
  (s) => ['lftp', '-u', `bob,${s}`, 'ftp.example'],
  (s) => ['snmpwalk', '-v2c', '-c', s, 'switch1'],
  (s) => ['snmpget', '-v3', '-A', s, '-X', s, 'switch1'],
  (s) => ['docker', 'login', '-u', 'bob', '-p', s, 'registry.example'],
  (s) => ['podman', 'login', '-p', s, 'quay.io'],
  (s) => ['openssl', 'enc', '-aes256', '-k', s],
  (s) => ['openssl', 'rsa', '-passin', `pass:${s}`, '-in', 'k.pem'],
  (s) => ['sudo', '-u', 'mysql', 'mysql', `-p${s}`],
  (s) => ['env', 'LANG=C', 'sshpass', '-p', s, 'rsync', '-a', 'x', 'y'],
];

/** Every form of a secret in one argv element or two, with the secret's alphabet. */
const ARGV_FORMS: Array<{ form: string; gen: fc.Arbitrary<{ argv: string[]; s: string }> }> = [
  { form: '--name=S', gen: fc.tuple(secretName(), secret(ANY)).map(([n, s]) => ({ argv: ['app', `--${n}=${s}`], s })) },
  { form: '--name S', gen: fc.tuple(secretName(), secret(ANY)).map(([n, s]) => ({ argv: ['app', `--${n}`, s], s })) },
  { form: '-name S (single dash)', gen: fc.tuple(fc.constantFrom('storepass', 'keypass', 'srcstorepass', 'deststorepass', 'password', 'token'), secret(ANY)).map(([n, s]) => ({ argv: ['keytool', `-${n}`, s], s })) },
  { form: 'NAME=S (env)', gen: fc.tuple(envName, secret(ANY)).map(([n, s]) => ({ argv: ['env', `${n}=${s}`, 'run'], s })) },
  { form: '-Dprop.name=S', gen: fc.tuple(secretName(['camel', 'dotted']), secret(ANY)).map(([n, s]) => ({ argv: ['java', `-Dapp.${n}=${s}`, '-jar', 'a.jar'], s })) },
  { form: 'program short options', gen: fc.tuple(fc.constantFrom(...PROGRAMS_FORMS), secret(WORD)).map(([f, s]) => ({ argv: f(s), s })) },
  {
    form: 'URL userinfo',
    gen: fc
      .tuple(fc.constantFrom('postgres', 'mysql', 'redis', 'amqp', 'mongodb+srv', 'https', 'ftp', 'smtp'), fc.constantFrom('bob', 'app_user', 'x-access-token', 'oauth2'), secret(URL_SAFE), fc.constantFrom('', '--url=', 'DATABASE_URL=', '--db '), fc.constantFrom('', '/db?sslmode=require', ':5432/x', '#f'))
      .map(([scheme, user, s, pre, post]) => ({ argv: ['app', `${pre}${scheme}://${user}:${s}@db.example${post}`], s })),
  },
  // A token (20 characters and more, letters and digits) as the user: a user name stays (https://bob@host).
  { form: 'URL token as user', gen: fc.tuple(fc.array(fc.constantFrom(...ALNUM + '_-'), { minLength: 20, maxLength: 40 }), fc.constantFrom('https://', 'git+https://')).map(([a, scheme]) => ({ argv: ['git', 'clone', `${scheme}Zq${a.join('')}0a@github.com/org/repo.git`], s: `Zq${a.join('')}` })) },
  {
    form: 'Authorization header',
    gen: fc
      .tuple(fc.constantFrom('Authorization: Bearer ', 'Authorization: Basic ', 'authorization: token ', 'Proxy-Authorization: Basic ', 'X-Api-Key: ', 'X-Auth-Token: ', 'Cookie: session=', 'PRIVATE-TOKEN: ', 'Authorization: '), secret(LINE), fc.constantFrom('-H', '--header'))
      .map(([h, s, flag]) => ({ argv: ['curl', flag, `${h}${s}`, 'https://api.example'], s })),
  },
  {
    form: 'name=S inside a string (conninfo, query, ODBC, mount options)',
    gen: fc
      .tuple(fc.constantFrom('password', 'sslpassword', 'access_token', 'api_key', 'Pwd', 'client_secret', 'token'), secret(ALNUM + '-_.~!*'), fc.constantFrom((n: string, s: string) => `host=db ${n}=${s} user=x`, (n: string, s: string) => `https://api.example/v1?${n}=${s}&page=2`, (n: string, s: string) => `Driver=x;Server=db;${n}=${s};`, (n: string, s: string) => `username=bob,${n}=${s},uid=1000`))
      .map(([n, s, f]) => ({ argv: ['psql', f(n, s)], s })),
  },
  {
    form: 'token shapes',
    gen: fc
      .tuple(
        fc.constantFrom(
          (b: string) => `ghp_${b.padEnd(36, 'x').slice(0, 36)}`,
          (b: string) => `github_pat_${b.padEnd(40, 'x')}`,
          (b: string) => `glpat-${b.padEnd(20, 'x')}`,
          (b: string) => `xoxb-${b.padEnd(12, '1')}`,
          (b: string) => `AKIA${b.toUpperCase().replace(/[^0-9A-Z]/g, 'Q').padEnd(16, 'Q').slice(0, 16)}`,
          (b: string) => `sk_live_${b.padEnd(24, 'x')}`,
          (b: string) => `eyJ${b.padEnd(10, 'a')}.eyJ${b.padEnd(10, 'b')}.${b.padEnd(10, 'c')}`,
        ),
        fc.array(fc.constantFrom(...ALNUM), { minLength: 10, maxLength: 40 }).map((a) => `Zq${a.join('')}`),
        fc.constantFrom((t: string) => ['app', t], (t: string) => ['app', `--header=X-Thing: ${t}`], (t: string) => ['app', `--opt=${t}`]),
      )
      .map(([shape, b, place]) => {
        const s = shape(b);
        return { argv: place(s), s };
      }),
  },
  // Session 2 (the attacker's report on 618b288): forms that still leaked, one row each.
  { form: 'curl --user / --proxy-user (long, = or next word)', gen: fc.tuple(secret(WORD), fc.constantFrom((s: string) => ['curl', '--user', `bob:${s}`, 'https://x'], (s: string) => ['curl', `--user=bob:${s}`, 'https://x'], (s: string) => ['curl', '--proxy-user', `p:${s}`, 'https://x'], (s: string) => ['curl', `--proxy-user=p:${s}`, 'https://x'])).map(([s, f]) => ({ argv: f(s), s })) },
  {
    form: 'a header in one word (--header=, -HName:, git -c http.extraHeader=) and a bare Bearer',
    gen: fc
      .tuple(secret(WORD.replace(/[,]/g, '')), fc.constantFrom((s: string) => ['curl', `--header=Authorization: Bearer ${s}`, 'https://x'], (s: string) => ['curl', `-HAuthorization: Bearer ${s}`, 'https://x'], (s: string) => ['git', '-c', `http.extraHeader=Authorization: Basic ${s}`, 'clone', 'https://x/r'], (s: string) => ['app', 'Bearer', s], (s: string) => ['app', `Bearer ${s}`]))
      .map(([s, f]) => ({ argv: f(s), s })),
  },
  { form: 'JSON in an argument', gen: fc.tuple(secretName(['snake', 'camel']), secret(ALNUM + '-_.:@/+!'), fc.constantFrom((n: string, s: string) => ['curl', '--data', `{"${n}":"${s}"}`], (n: string, s: string) => ['curl', '--data', `{"user": "bob", "${n}": "${s}"}`], (n: string, s: string) => ['app', `--config={"${n}":"${s}"}`])).map(([n, s, f]) => ({ argv: f(n, s), s })) },
  { form: 'docker login -pPW, valkey-cli/keydb-cli -a', gen: fc.tuple(secret(WORD), fc.constantFrom((s: string) => ['docker', 'login', `-p${s}`, 'reg.example'], (s: string) => ['valkey-cli', '-a', s, 'ping'], (s: string) => ['keydb-cli', '-a', s])).map(([s, f]) => ({ argv: f(s), s })) },
  { form: 'URL-encoded names', gen: fc.tuple(secret(ALNUM), fc.constantFrom((s: string) => ['app', `pass%77ord=${s}`], (s: string) => ['app', `--password%3D${s}`], (s: string) => ['app', `--api%5Fkey=${s}`], (s: string) => ['app', `%73ecret=${s}`])).map(([s, f]) => ({ argv: f(s), s })) },
  { form: '-name:S and /name:S', gen: fc.tuple(secretName(['camel', 'kebab']), secret(ALNUM + '-_.@+!'), fc.constantFrom('-', '/')).map(([n, s, pre]) => ({ argv: ['tool.exe', `${pre}${n}:${s}`], s })) },
  { form: 'NAME = S with blanks', gen: fc.tuple(envName, secret(ALNUM + '-_.@+!')).map(([n, s]) => ({ argv: ['sh', '-c', `${n} = ${s}`], s })) },
  {
    form: 'positional secrets (aws configure set, htpasswd -b, vault login, rabbitmqctl)',
    gen: fc
      .tuple(secret(WORD), fc.constantFrom((s: string) => ['aws', 'configure', 'set', 'aws_secret_access_key', s], (s: string) => ['aws', '--profile', 'p', 'configure', 'set', 'aws_session_token', s], (s: string) => ['htpasswd', '-b', '/etc/h', 'bob', s], (s: string) => ['htpasswd', '-bc', '/etc/h', 'bob', s], (s: string) => ['vault', 'login', s], (s: string) => ['rabbitmqctl', 'add_user', 'bob', s], (s: string) => ['rabbitmqctl', 'change_password', 'bob', s]))
      .map(([s, f]) => ({ argv: f(s), s })),
  },
  { form: 'an unknown program\'s -p S (the mysql convention)', gen: fc.tuple(fc.array(fc.constantFrom(...ALNUM), { minLength: 6, maxLength: 20 }), fc.boolean()).map(([a, attached]) => { const s = `Zq9${a.join('')}`; return { argv: attached ? ['/opt/x/bin/x', `-p${s}`] : ['/opt/x/bin/x', '-p', s], s }; }) },
];

/** Quotes one word for a shell line (single quotes; a secret may hold any character). */
const sq = (w: string) => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);

for (const { form, gen } of ARGV_FORMS) {
  test(`redaction, argv form "${form}": the secret never survives, alone or inside sh -c`, () => {
    fc.assert(
      fc.property(gen, ({ argv, s }) => {
        const r = redactArgv(argv);
        assert.ok(!r.value.join('\0').includes(s), `${JSON.stringify(argv)} -> ${JSON.stringify(r.value)}`);
        assert.ok(r.count >= 1);
        // The same command inside a shell line, as sh -c or a supervisord command= would hold it.
        if (!/[\s'"\\]/.test(s)) {
          const line = redactArgv(['sh', '-c', `cd /srv && ${argv.map(sq).join(' ')} | tee log`]);
          assert.ok(!line.value.join(' ').includes(s), `sh -c: ${line.value[2]}`);
        }
        // And as a process's cmdline.
        assert.ok(!redactCmdline(argv.join('\0') + '\0').value.includes(s));
      }),
      { numRuns: RUNS },
    );
  });
}

/** Configuration forms: the file it goes in, and the text. */
const CONFIG_FORMS: Array<{ form: string; gen: fc.Arbitrary<{ path: string; text: string; s: string }> }> = [
  {
    form: 'systemd Environment= (any name: position)',
    gen: fc
      .tuple(fc.constantFrom('DATABASE_URL', 'FOO', 'STRIPE_KEY', 'API_TOKEN', 'CUSTOM'), secret(ALNUM + '-_.:@/+'), fc.constantFrom((n: string, s: string) => `Environment=${n}=${s}`, (n: string, s: string) => `Environment="${n}=${s}" NODE_ENV=production`, (n: string, s: string) => `Environment=LANG=C '${n}=${s}'`))
      .map(([n, s, f]) => ({ path: '/etc/systemd/system/app.service', text: `[Unit]\nDescription=App\n[Service]\n${f(n, s)}\nLimitNOFILE=65536\n`, s })),
  },
  {
    form: 'systemd Exec*= command line',
    gen: fc.tuple(fc.constantFrom(...PROGRAMS_FORMS), secretName(['kebab']), secret(WORD), fc.constantFrom('ExecStart', 'ExecStartPre', 'ExecReload'), fc.boolean()).map(([f, n, s, key, program]) => {
      const argv = program ? f(s) : ['/usr/bin/app', `--${n}=${s}`];
      return { path: '/lib/systemd/system/app.service', text: `[Service]\n${key}=${argv.map(sq).join(' ')}\n`, s };
    }),
  },
  {
    form: 'systemd SetCredential= and secret keys in drop-ins',
    gen: fc.tuple(secret(LINE), fc.constantFrom('SetCredential=db:', 'SetCredentialEncrypted=db:', 'Password=')).map(([s, k]) => ({ path: '/etc/systemd/system/app.service.d/override.conf', text: `[Service]\n${k}${s}\n`, s })),
  },
  {
    form: 'supervisord environment=, command= and [*_http_server] password=',
    gen: fc
      .tuple(secret(ALNUM + '-_.:@/+!'), fc.constantFrom('API_TOKEN', 'DB', 'SECRET_KEY_BASE', 'X'), fc.constantFrom(
        (n: string, s: string) => `[program:web]\ncommand=/srv/web\nenvironment=HOME="/home/web",${n}="${s}"\n`,
        (n: string, s: string) => `[program:web]\ncommand=/srv/web\nenvironment=${n}=${s},PATH="/usr/bin"\n`,
        (_n: string, s: string) => `[inet_http_server]\nport=127.0.0.1:9001\nusername=admin\npassword=${s}\n`,
        (_n: string, s: string) => `[unix_http_server]\nfile=/run/supervisor.sock\npassword = ${s}\n`,
        (_n: string, s: string) => `[supervisorctl]\nserverurl=http://admin:${s}@127.0.0.1:9001\n`,
        (_n: string, s: string) => `[program:worker]\ncommand=/usr/bin/worker --api-key=${s} --queue orders\n`,
      ))
      .map(([s, n, f]) => ({ path: '/etc/supervisor/conf.d/web.conf', text: `[supervisord]\nminfds=4096\n${f(n, s)}`, s })),
  },
  {
    form: 'nginx headers and secret directives',
    gen: fc
      .tuple(secret(ALNUM + '-_.+/='), fc.constantFrom(
        (s: string) => `proxy_set_header Authorization "Bearer ${s}";`,
        (s: string) => `proxy_set_header X-Api-Key ${s};`,
        (s: string) => `secure_link_secret ${s};`,
        (s: string) => `fastcgi_param DB_PASSWORD ${s};`,
        (s: string) => `proxy_pass http://backend:${s}@10.0.0.2:8080;`,
      ))
      .map(([s, f]) => ({ path: '/etc/nginx/nginx.conf', text: `http {\n  server {\n    ${f(s)}\n  }\n}\n`, s })),
  },
  {
    // RFC 3986 userinfo: a raw "/" would end the authority for httpd's own URL parser as well.
    form: 'Apache httpd ProxyPass URL userinfo (the path and the URL kept)',
    gen: secret(ALNUM + '-_.+!%').map((s) => ({ path: '/etc/apache2/sites-enabled/app.conf', text: `<VirtualHost *:80>\n  ProxyPass /api http://bob:${s}@10.0.0.2:8080/api/\n  ProxyPassReverse /api http://10.0.0.2:8080/api/\n</VirtualHost>\n`, s })),
  },
  {
    form: 'JSON keys and Env lists',
    gen: fc
      .tuple(secret(ALNUM + '-_.:@/+!'), secretName(['camel', 'kebab', 'snake']))
      .map(([s, n]) => ({ path: '/etc/docker/daemon.json', text: JSON.stringify({ 'default-ulimits': { nofile: { Name: 'nofile', Soft: 1024, Hard: 4096 } }, [n]: s, Env: ['LANG=C', `OTHER=${s}`] }, null, 2), s })),
  },
  {
    form: 'program directives: redis, haproxy, my.cnf, Redis ACL, XML attributes, YAML, properties, Apache httpd',
    gen: fc
      .tuple(secret(ALNUM + '-_.+/!%'), fc.constantFrom(
        (s: string) => ['/etc/redis/redis.conf', `bind 127.0.0.1\nrequirepass ${s}\nmaxclients 10\n`],
        (s: string) => ['/etc/redis/redis.conf', `masterauth "${s}"\n`],
        (s: string) => ['/etc/redis/users.acl', `user app on >${s} ~* +@all\n`],
        (s: string) => ['/etc/haproxy/haproxy.cfg', `listen stats\n  stats auth admin:${s}\n  maxconn 100\n`],
        (s: string) => ['/etc/haproxy/haproxy.cfg', `userlist u\n  user bob insecure-password ${s}\n`],
        (s: string) => ['/etc/mysql/my.cnf', `[client]\npassword ${s}\n`],
        (s: string) => ['/var/lib/tomcat10/conf/server.xml', `<Connector port="8443" keystorePass="${s}" keystoreFile="/x"/>\n`],
        (s: string) => ['/srv/app/config/application.yml', `spring:\n  datasource:\n    password: ${s}\n`],
        (s: string) => ['/srv/app/application.properties', `spring.datasource.password=${s}\nserver.port=8080\n`],
        (s: string) => ['/etc/pgbouncer/pgbouncer.ini', `[databases]\nappdb = host=db port=5432 password=${s}\n`],
        (s: string) => ['/etc/apache2/apache2.conf', `<IfModule mpm_event_module>\n  MaxRequestWorkers 150\n</IfModule>\nAuthLDAPBindPassword ${s}\n`],
        (s: string) => ['/etc/apache2/sites-enabled/app.conf', `<VirtualHost *:80>\n  SetEnv DB_PASSWORD ${s}\n</VirtualHost>\n`],
        (s: string) => ['/etc/apache2/sites-enabled/app.conf', `RequestHeader set Authorization "Bearer ${s}"\n`],
        (s: string) => ['/etc/apache2/conf-enabled/session.conf', `SessionCryptoPassphrase ${s}\n`],
      ))
      .map(([s, f]) => {
        const [path, text] = f(s);
        return { path, text, s };
      }),
  },
  {
    form: 'plain key = value / key: value files, PEM keys',
    gen: fc
      .tuple(secret(LINE), secretName(['snake', 'kebab', 'dotted']), fc.constantFrom((n: string, s: string) => `${n} = ${s}`, (n: string, s: string) => `${n}: ${s}`, (n: string, s: string) => `${n}=${s}`, (_n: string, s: string) => `-----BEGIN RSA PRIVATE KEY-----\n${s}\n-----END RSA PRIVATE KEY-----`))
      .map(([s, n, f]) => ({ path: '/etc/security/limits.d/app.conf', text: `* soft nofile 4096\n${f(n, s)}\n`, s })),
  },
  {
    form: 'supervisord command= with continuation lines, an unknown program\'s -p',
    gen: fc
      .tuple(fc.array(fc.constantFrom(...ALNUM), { minLength: 6, maxLength: 20 }).map((a) => `Zq9${a.join('')}`), fc.constantFrom((s: string) => `command=/x -p ${s}`, (s: string) => `command=/x --db\n  --password ${s}\n  --port 80`, (s: string) => `command=/x\n  -p\n  ${s}`, (s: string) => `command=/usr/bin/mysql\n    -p${s} shop`))
      .map(([s, f]) => ({ path: '/etc/supervisor/conf.d/x.conf', text: `[supervisord]\nminfds=4096\n[program:x]\n${f(s)}\n`, s })),
  },
  {
    form: 'nginx set $token, PostgreSQL ssl_passphrase_command, a secret in a comment',
    gen: fc
      .tuple(fc.array(fc.constantFrom(...ALNUM), { minLength: 6, maxLength: 20 }).map((a) => `Zq9${a.join('')}`), fc.constantFrom(
        (s: string) => ['/etc/nginx/conf.d/x.conf', `set $token "${s}";\nset $api_key ${s};\n`],
        (s: string) => ['/etc/postgresql/16/main/postgresql.conf', `ssl_passphrase_command = 'echo ${s}'\n`],
        (s: string) => ['/etc/systemd/system/x.service', `[Service]\n# DB_PASSWORD=${s}\nLimitNOFILE=65536\n`],
        (s: string) => ['/etc/supervisor/conf.d/x.conf', `; API_TOKEN=${s}\n[supervisord]\nminfds=4096\n`],
        (s: string) => ['/etc/redis/redis.conf', `# requirepass was: password=${s}\n`],
      ))
      .map(([s, f]) => ({ path: f(s)[0], text: f(s)[1], s })),
  },
];

for (const { form, gen } of CONFIG_FORMS) {
  test(`redaction, configuration form "${form}": the secret never survives and the settings sockdoc reads stay`, () => {
    fc.assert(
      fc.property(gen, ({ path, text, s }) => {
        const r = redactConfig(path, text);
        assert.ok(!r.value.includes(s), `${path}:\n${text}\n->\n${r.value}`);
        assert.ok(r.count >= 1);
        for (const keep of ['LimitNOFILE=65536', 'minfds=4096', '* soft nofile 4096', '"Soft": 1024', 'MaxRequestWorkers 150', 'ProxyPass /api http://bob:', '@10.0.0.2:8080/api/', 'ProxyPassReverse /api http://10.0.0.2:8080/api/']) if (text.includes(keep)) assert.ok(r.value.includes(keep), keep);
      }),
      { numRuns: RUNS },
    );
  });
}

/** Words of command lines that hold no secret, some of them near misses. */
const PLAIN_WORDS = [
  '--port=8080', '-p', '8080', '--passive', '--keepalive', '--token-ttl=60', '--password-file=/run/secrets/db', '--key=/etc/ssl/private/x.key',
  '--tls-key=/etc/ssl/x.pem', '--sort-key=name', '--no-password', '--user=bob', 'https://example.com/x?y=1&page=2', 'git@github.com:org/repo.git',
  'user@host', '--bypass=cache', 'NODE_ENV=production', '--workers', '4', '-c', '/etc/supervisor/supervisord.conf', '--listen', ':8080',
  'passwd', 'token', '--pass-fds', '3', '--auth-method=md5', 'PASSWORD_MIN_LENGTH=12', 'TOKEN_TTL=3600', '--secret-file=/etc/x', 'a=b',
  '--config=/etc/app.yml', 'postgres://db.example:5432/shop', '-Dfile.encoding=UTF-8', '-Xmx2g', '--public-key=/etc/k.pub', 'KEY=/etc/k',
  'PassCredentials=yes', 'Authorization', '--header=Accept: text/html', 'pass:', 'env:PASSWORD', '127.0.0.1:9001',
];
const PLAIN_PROGRAMS = ['nginx', 'python3', 'node', 'java', 'dockerd', 'supervisord', 'gunicorn', '/usr/bin/app', 'docker', 'redis-server', 'postgres'];

test('redaction leaves command lines of non-secrets unchanged (near misses included)', () => {
  fc.assert(
    fc.property(fc.constantFrom(...PLAIN_PROGRAMS), fc.array(fc.constantFrom(...PLAIN_WORDS), { maxLength: 12 }), (prog, words) => {
      const argv = [prog, ...words];
      const r = redactArgv(argv);
      assert.deepEqual(r.value, argv);
      assert.equal(r.count, 0);
    }),
    { numRuns: RUNS },
  );
});

test('secret names: the near misses are not secret, the forms of the table are', () => {
  for (const n of ['password-file', 'TOKEN_TTL', 'pass-fds', 'key', 'sort-key', 'no-password', 'auth-method', 'public-key', 'passive', 'keepalive', 'bypass', 'PassEnvironment', 'PAMName', 'password_min_length', 'proxy_pass_header', 'ProxyPass', 'ProxyPassReverse', 'ProxyPassMatch', 'ServerTokens', 'session_cookie_module', 'auth_token_module']) assert.equal(secretClass(n), null, n);
  for (const n of ['password', 'secret-key', 'SECRET_KEY_BASE', 'keyStorePassword', 'PGPASSWORD', 'SSHPASS', 'MYSQL_PWD', 'REDISCLI_AUTH', 'STRIPE_KEY', 'GITHUB_TOKEN', 'X-Api-Key', 'AWS_SECRET_ACCESS_KEY', 'storepass', 'SLACK_WEBHOOK_URL', 'SENTRY_DSN', 'apikey', 'client_secret']) assert.notEqual(secretClass(n), null, n);
});

/** Every regular file under dir (bounded). */
function files(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    const p = join(dir, n);
    try {
      const st = statSync(p);
      if (st.isDirectory() && out.length < 5000) files(p, out);
      else if (st.isFile() && st.size < 1 << 20) out.push(p);
    } catch {
      // vanished or unreadable
    }
  }
  return out;
}

/**
 * The files this host's packages installed (dpkg's lists), by path and real path: the host's "real
 * configuration". A file an administrator or another test wrote there (a unit with a password on
 * purpose) is no sample of configuration without secrets. null when dpkg keeps no lists: every file.
 */
function packagedFiles(): Set<string> | null {
  const dir = '/var/lib/dpkg/info';
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.list'));
  } catch {
    return null;
  }
  const out = new Set<string>();
  for (const n of names) for (const line of readFileSync(join(dir, n), 'utf8').split('\n')) if (line) out.add(line);
  return out.size ? out : null;
}

function packaged(list: Set<string> | null, f: string): boolean {
  if (!list || list.has(f)) return true;
  try {
    return list.has(realpathSync(f));
  } catch {
    return false;
  }
}

test('redaction leaves real configuration without secrets byte for byte: this host\'s units, supervisord, pam.d and the fixtures', () => {
  const installed = packagedFiles();
  const roots = ['/lib/systemd/system', '/etc/systemd', '/etc/supervisor', '/etc/pam.d', '/etc/security', '/etc/nginx', '/etc/redis', '/etc/haproxy', '/etc/apache2', '/etc/mysql', '/etc/default', fixture('limits'), fixture('programs')];
  let n = 0;
  for (const root of roots) {
    for (const f of files(root)) {
      // Not configuration (goldens, scripts); the pgbouncer fixture holds a password on purpose.
      if (f.includes('/proc/') || /\.(json|txt|mjs|md|metrics)$/.test(f) || f.endsWith('pgbouncer.ini')) continue;
      const fx = [fixture('limits'), fixture('programs')].find((x) => f.startsWith(x));
      if (!fx && !packaged(installed, f)) continue;
      const host = fx ? f.slice(fx.length).replace(/^\/[^/]+/, '') : f;
      const text = readFileSync(f, 'latin1');
      const r = redactConfig(host, text);
      assert.equal(r.value, text, `${f} changed (${r.count}): ${r.value.split('\n').find((l, i) => l !== text.split('\n')[i])}`);
      n++;
    }
  }
  assert.ok(n > 20, `${n} files read`);
  assert.ok(!redactConfig('/x.conf', `password = ${REDACTED}\n`).count, 'an already redacted value is not counted again');
});

test('redaction stays linear on hostile text: long runs, many URL starts, unclosed quotes, huge names (bounded by the test timeout, no timing asserted)', { timeout: 60_000 }, () => {
  const n = 200_000;
  const inputs = [
    'a'.repeat(n) + '://x',
    'a://'.repeat(n / 4),
    '//'.repeat(n / 2) + '@',
    'x:'.repeat(n / 2) + '@h',
    '"'.repeat(n),
    '" '.repeat(n / 2),
    'A'.repeat(n) + '=1',
    `${'A'.repeat(n)}: value`,
    '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(n / 40),
    'k=' + 'v '.repeat(n / 2),
    'environment=' + 'A'.repeat(n),
    'proxy_set_header X ' + ' '.repeat(n) + 'y',
  ];
  for (const text of inputs) {
    redactArgv(['app', text]);
    redactArgv(['sh', '-c', text.slice(0, 60_000)]);
    for (const path of ['/etc/systemd/system/x.service', '/etc/supervisor/conf.d/x.conf', '/etc/nginx/nginx.conf', '/etc/redis/redis.conf', '/etc/pam.d/x', '/etc/docker/daemon.json']) redactConfig(path, text);
  }
});

test('a private key comes out as one block: BEGIN, one REDACTED line, one END (every kind of file)', () => {
  for (const path of ['/tmp/id_ed25519', '/etc/systemd/system/x.service', '/etc/supervisor/conf.d/k.conf', '/etc/nginx/k.pem', '/etc/security/limits.d/k.conf', '/srv/k.json']) {
    for (const kind of ['OPENSSH PRIVATE KEY', 'RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY']) {
      const text = `-----BEGIN ${kind}-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\nZq9secretline\n-----END ${kind}-----\n`;
      const r = redactConfig(path, text);
      assert.equal(r.value, `-----BEGIN ${kind}-----\n${REDACTED}\n-----END ${kind}-----\n`, `${path} ${kind}`);
      assert.equal(r.count, 1);
    }
  }
});
