// A real LemonLDAP::NG 2.16 portal for tests (Debian's packages, installed by
// scripts/setup-system.sh): `llng-fastcgi-server` and nginx on loopback, with a private
// copy of everything (lemonldap-ng.ini, lmConf-*.json, session stores, caches, nginx files)
// under one temp dir, so /etc/lemonldap-ng and /var/lib/lemonldap-ng are only read.
//
// How the copy is pointed at: every LLNG process (portal, lemonldap-ng-cli,
// lemonldap-ng-sessions) reads the ini named by LLNG_DEFAULTCONFFILE; its [configuration]
// section names the rig's conf dir, and its [all] section overrides the stored config's
// paths and the portal URL (https://auth.example.com:<port>/, so the issuer carries the
// rig's port). The OIDC issuer and the relying parties are configured by one
// `lemonldap-ng-cli merge` per rig, as a site would (about 0.3 s here; the portal itself is
// ready ~0.3 s after its start, so nothing is cached across rigs: there is nothing slow).
//
// Concurrency: rigs share nothing (own dir, ports, socket, stores, keys), so several can run
// at once. Every process is started by the rig and stopped by PID with a deadline; the
// FastCGI server and its workers carry BASTION_RIG_ID=<token> in their environment so that
// leftovers are found and killed; nginx's workers (whose environment nginx overwrites with
// their process title) are found as the master's children.
//
// Reaching `auth.example.com`: nothing edits /etc/hosts. Clients connect to 127.0.0.1 and
// keep the host name for SNI, Host and the certificate check: main/sso's `resolve` setting
// (`rig.resolve`), undici's `connect.lookup` (`rig.lookup`), curl's --resolve, Chromium's
// --host-resolver-rules (`rig.chromiumArgs`).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import type { LookupAddress, LookupOptions } from 'node:dns';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileExists, findExecutable } from '../require';

export const LLNG_HOST = 'auth.example.com';
export const LLNG_ADDRESS = '127.0.0.1';
/** The Demo backend's accounts (login = password). */
export const LLNG_USERS = { dwho: 'dwho', rtyler: 'rtyler', msmith: 'msmith' } as const;
/** The public RP: PKCE required, password grant, refresh tokens, offline access. */
export const LLNG_PUBLIC_CLIENT_ID = 'bastion-greeter';
/** A confidential RP (client_secret_basic/post): LLNG 2.16 refuses introspection to public ones. */
export const LLNG_CONFIDENTIAL_CLIENT_ID = 'bastion-introspect';
/** The custom-scheme redirect URI registered for the public RP (exact match). */
export const LLNG_CUSTOM_SCHEME_REDIRECT = 'org.bastion.greeter:/callback';

const FASTCGI_SERVER = '/usr/sbin/llng-fastcgi-server';
const LLNG_BIN = '/usr/share/lemonldap-ng/bin';
const CLI = join(LLNG_BIN, 'lemonldap-ng-cli');
const SESSIONS_CLI = join(LLNG_BIN, 'lemonldap-ng-sessions');
const PACKAGE_CONF = '/var/lib/lemonldap-ng/conf/lmConf-1.json';
const PACKAGE_NGINX_SITE = '/etc/lemonldap-ng/portal-nginx.conf';
const NGINX = '/usr/sbin/nginx';
const PATH_ENV = '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin';
const PORTAL_USER = 'www-data';

export interface LlngRigOptions {
  /**
   * Scheme of the issuer (the `portal` URL every endpoint is built from). Default 'https':
   * the HTTPS listener, with the rig's own CA. 'http' makes the plain listener the issuer
   * (for clients run with allowLoopbackHttp-style settings, or where TLS is not the point).
   * Both listeners serve the same portal either way.
   */
  issuerScheme?: 'https' | 'http';
  /** Access token lifetime of the public RP, seconds (LLNG default 3600). */
  accessTokenSeconds?: number;
}

export interface LlngRig {
  dir: string;
  host: typeof LLNG_HOST;
  address: typeof LLNG_ADDRESS;
  /** The issuer: `https://auth.example.com:<httpsPort>/` (or the http one). Trailing slash. */
  issuer: string;
  httpsIssuer: string;
  httpIssuer: string;
  httpPort: number;
  httpsPort: number;
  /** PEM of the CA that signed the portal's certificate (generated per rig). */
  caFile: string;
  caPem: string;
  /** The portal certificate's key pin, `sha256//<base64 SHA-256 of the SPKI DER>`. */
  spkiPin: string;
  /** A well-formed pin of another key, for "wrong pin refused". */
  wrongSpkiPin: string;
  /** The portal's TLS certificate and key (PEM files), e.g. for test doubles on the same name. */
  tlsCertFile: string;
  tlsKeyFile: string;
  /** For main/sso's `resolve` setting. */
  resolve: Record<string, string>;
  /** dns.lookup-compatible: auth.example.com → 127.0.0.1, anything else refused. */
  lookup: typeof rigLookup;
  publicClient: { clientId: string; redirectUris: { customScheme: string; loopback: string } };
  confidentialClient: { clientId: string; clientSecret: string };
  users: typeof LLNG_USERS;
  /**
   * Port on 127.0.0.1 that nginx forwards `/pam/*` to (plain HTTP): start
   * testkit/sso/open-bastion-pam-double.ts there, and the `/pam/*` endpoints answer on the
   * issuer's origin as with Open Bastion's portal plugin (502 while no double listens).
   */
  pamDoublePort: number;
  /** Chromium flags that map auth.example.com to the rig and trust its certificate key. */
  chromiumArgs(): string[];
  /** True while nginx and the FastCGI server run (not frozen). */
  portalRunning(): boolean;
  /**
   * Stops the portal: 'refuse' (default) stops nginx and the FastCGI server, so connections
   * are refused; 'bad-gateway' stops only the FastCGI server (nginx answers 502).
   */
  stopPortal(mode?: 'refuse' | 'bad-gateway'): Promise<void>;
  /** Starts whatever stopPortal stopped, on the same ports; resolves once discovery answers. */
  startPortal(): Promise<void>;
  /** SIGSTOPs nginx: connections are accepted by the kernel and never answered (a hung portal). */
  freezePortal(): void;
  thawPortal(): void;
  /** Deletes a refresh token's OIDC session (lemonldap-ng-sessions delete): a revocation. */
  revokeRefreshToken(refreshToken: string): Promise<void>;
  /** Deletes every SSO session of `user` (an administrator's logout): tied refresh tokens die. */
  endSsoSessions(user: string): Promise<number>;
  /**
   * Ages every SSO session of `user` past the portal's `timeout` (lemonldap-ng-sessions
   * setKey _utime): the portal's own expiry check then refuses them, as after a real timeout.
   */
  expireSsoSessions(user: string): Promise<number>;
  /** IDs of the sessions whose `field` equals `value` (lemonldap-ng-sessions search). */
  searchSessions(field: string, value: string): Promise<string[]>;
  /** Runs `lemonldap-ng-cli -yes 1 -safe 1 <args>` against the rig's config. */
  cli(args: string[]): Promise<string>;
  /** Tail of the portal's and nginx's logs, for failure messages. */
  log(): string;
  /** Milliseconds from start() to the first discovery answer. */
  startMs: number;
  stop(): Promise<void>;
}

/** What is missing to run the rig here, or null. */
export function llngRigMissing(): string | null {
  const missing: string[] = [];
  if (!fileExists(FASTCGI_SERVER)) missing.push('lemonldap-ng-fastcgi-server');
  if (!fileExists(CLI) || !fileExists(SESSIONS_CLI)) missing.push('lemonldap-ng');
  if (!fileExists(NGINX)) missing.push('nginx');
  if (!findExecutable('openssl')) missing.push('openssl');
  if (process.getuid?.() !== 0) {
    missing.push('root (the portal runs as www-data and the package config is root-readable)');
  } else if (!fileExists(PACKAGE_CONF)) {
    missing.push(`${PACKAGE_CONF} (lemonldap-ng's postinst)`);
  }
  return missing.length === 0 ? null : missing.join(', ');
}

/** dns.lookup for clients: the rig's host name only, so a stray name fails loudly. */
export function rigLookup(
  hostname: string,
  options: LookupOptions | number | ((...args: never[]) => void),
  callback?: (
    err: NodeJS.ErrnoException | null,
    address: string | LookupAddress[],
    family?: number,
  ) => void,
): void {
  const cb = (typeof options === 'function' ? options : callback) as NonNullable<typeof callback>;
  const all = typeof options === 'object' && options !== null && options.all === true;
  if (hostname !== LLNG_HOST && hostname !== LLNG_ADDRESS) {
    const error: NodeJS.ErrnoException = new Error(`rig lookup: unknown host ${hostname}`);
    error.code = 'ENOTFOUND';
    cb(error, all ? [] : '', 4);
    return;
  }
  if (all) cb(null, [{ address: LLNG_ADDRESS, family: 4 }]);
  else cb(null, LLNG_ADDRESS, 4);
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 15_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, env }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')}: ${error.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const done = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
  ]);
  clearTimeout(timer);
  if (!done) {
    child.kill('SIGKILL');
    await exited(child);
  }
}

/** Processes whose environment carries this rig's token (FastCGI workers, nginx workers). */
function tokenProcesses(token: string): number[] {
  const needle = Buffer.from(`BASTION_RIG_ID=${token}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Direct children of `parent` (from /proc/<pid>/stat's ppid field). */
function childPids(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so split after its closing parenthesis
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LLNG_ADDRESS, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ids(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no account ${name}`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** `sha256//<base64>` of a PEM certificate's SubjectPublicKeyInfo. */
export function spkiPinOf(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256//${createHash('sha256').update(spki).digest('base64')}`;
}

/** A Perl hash literal for lemonldap-ng.ini (values are plain paths and words). */
function perlHash(entries: Record<string, string | number>): string {
  return `{ ${Object.entries(entries)
    .map(([k, v]) => `'${k}' => ${typeof v === 'number' ? v : `'${v}'`}`)
    .join(', ')} }`;
}

export async function startLlngRig(options: LlngRigOptions = {}): Promise<LlngRig> {
  const missing = llngRigMissing();
  if (missing) throw new Error(`LemonLDAP::NG rig cannot start: missing ${missing}`);
  const t0 = Date.now();
  const token = randomBytes(8).toString('hex');
  const r = mkdtempSync(join(tmpdir(), 'bastion-llng-'));
  chmodSync(r, 0o755);
  const portal = ids(PORTAL_USER);
  const [httpPort, httpsPort, pamDoublePort, callbackPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const httpsIssuer = `https://${LLNG_HOST}:${httpsPort}/`;
  const httpIssuer = `http://${LLNG_HOST}:${httpPort}/`;
  const issuer = options.issuerScheme === 'http' ? httpIssuer : httpsIssuer;
  const loopbackRedirect = `http://127.0.0.1:${callbackPort}/callback`;
  const clientSecret = randomBytes(24).toString('base64url');

  // Writable by the portal (www-data): stores and caches. Everything else root-owned, 0644.
  const owned = ['conf', 'cache', 'sessions', 'sessions/lock', 'psessions', 'psessions/lock'];
  for (const d of [...owned, 'notifications', 'captcha', 'run', 'nginx-tmp']) {
    mkdirSync(join(r, d), { recursive: true });
  }
  for (const d of [...owned, 'notifications', 'captcha', 'run']) {
    chownSync(join(r, d), portal.uid, portal.gid);
    chmodSync(join(r, d), 0o770);
  }
  copyFileSync(PACKAGE_CONF, join(r, 'conf', 'lmConf-1.json'));
  chownSync(join(r, 'conf', 'lmConf-1.json'), portal.uid, portal.gid);

  const ini = `; Bastion Greeter test rig (testkit/sso/llng-rig.ts): a private copy of Debian's
; /etc/lemonldap-ng/lemonldap-ng.ini, pointed at ${r}
[all]
logLevel = warn
logger = Lemonldap::NG::Common::Logger::Std
userLogger = Lemonldap::NG::Common::Logger::Std
checkTime = 1
portal = ${issuer}
globalStorageOptions = ${perlHash({ Directory: `${r}/sessions`, LockDirectory: `${r}/sessions/lock`, generateModule: 'Lemonldap::NG::Common::Apache::Session::Generate::SHA256' })}
persistentStorageOptions = ${perlHash({ Directory: `${r}/psessions`, LockDirectory: `${r}/psessions/lock` })}
; no local session cache: LLNG 2.16 keeps sessions in a per-process Cache::FileCache that a
; deletion through lemonldap-ng-sessions does not reach; without it a revoked refresh token
; or an ended SSO session is refused at once, as an administrator expects
localSessionStorage = 0
localSessionStorageOptions = ${perlHash({ namespace: 'lemonldap-ng-sessions', default_expires_in: 600, directory_umask: '007', cache_root: `${r}/cache`, cache_depth: 3 })}
notificationStorageOptions = ${perlHash({ dirName: `${r}/notifications` })}

[configuration]
type = File
dirName = ${r}/conf
prettyPrint = 1
localStorage = Cache::FileCache
localStorageOptions = ${perlHash({ namespace: 'lemonldap-ng-config', default_expires_in: 600, directory_umask: '007', cache_root: `${r}/cache`, cache_depth: 3 })}

[portal]
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/portal/templates
languages = en, fr

[handler]
status = 0
useRedirectOnError = 1

[manager]
protection = manager
staticPrefix = /static
templateDir = /usr/share/lemonldap-ng/manager/htdocs/templates
languages = en, fr
enabledModules = conf, sessions, notifications, 2ndFA
`;
  writeFileSync(join(r, 'lemonldap-ng.ini'), ini, { mode: 0o644 });

  // The portal's TLS: a CA of the rig's own and a leaf for auth.example.com (P-256).
  const openssl = (args: string[]): Promise<string> => run('openssl', args, { PATH: PATH_ENV });
  const tlsCertFile = join(r, 'tls.pem');
  const tlsKeyFile = join(r, 'tls.key');
  const caFile = join(r, 'ca.pem');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    join(r, 'ca.key'),
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    `/CN=Bastion Greeter test CA ${token}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl([
    'req',
    ...ec,
    '-keyout',
    tlsKeyFile,
    '-out',
    join(r, 'tls.csr'),
    '-subj',
    `/CN=${LLNG_HOST}`,
  ]);
  writeFileSync(
    join(r, 'tls.ext'),
    `subjectAltName=DNS:${LLNG_HOST}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    join(r, 'tls.csr'),
    '-CA',
    caFile,
    '-CAkey',
    join(r, 'ca.key'),
    '-CAcreateserial',
    '-out',
    tlsCertFile,
    '-days',
    '2',
    '-extfile',
    join(r, 'tls.ext'),
  ]);
  chmodSync(tlsKeyFile, 0o600);
  chmodSync(join(r, 'ca.key'), 0o600);
  const caPem = readFileSync(caFile, 'utf8');
  const spkiPin = spkiPinOf(readFileSync(tlsCertFile, 'utf8'));
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  const wrongSpkiPin = `sha256//${createHash('sha256').update(otherKey).digest('base64')}`;

  // nginx: Debian's portal site, on the rig's socket and ports, plus /pam/* to the double.
  const site = readFileSync(PACKAGE_NGINX_SITE, 'utf8')
    .replace(/server unix:[^;]+;/, `server unix:${r}/run/llng-fastcgi.sock;`)
    .replace(/\n\s*listen \[::\]:80;/, '')
    .replace(
      /listen 80;/,
      `listen ${LLNG_ADDRESS}:${httpPort};
  listen ${LLNG_ADDRESS}:${httpsPort} ssl;
  ssl_certificate ${tlsCertFile};
  ssl_certificate_key ${tlsKeyFile};
  ssl_protocols TLSv1.2 TLSv1.3;
  # Open Bastion's /pam/* (a portal plugin Debian lacks): the rig's test double
  location ^~ /pam/ {
    proxy_pass http://${LLNG_ADDRESS}:${pamDoublePort};
    proxy_set_header Host $host;
  }`,
    )
    .replace('(static|javascript|favicon)', '(static|javascript|favicon|pam/)');
  if (!site.includes(`${r}/run/llng-fastcgi.sock`) || !site.includes(`:${httpsPort} ssl`)) {
    throw new Error(`${PACKAGE_NGINX_SITE} changed shape; the rig cannot adapt it`);
  }
  writeFileSync(join(r, 'portal-site.conf'), site);
  writeFileSync(
    join(r, 'nginx.conf'),
    `user ${PORTAL_USER};
worker_processes 1;
pid ${r}/run/nginx.pid;
error_log ${r}/nginx-error.log warn;
events { worker_connections 128; }
http {
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log off;
  client_body_temp_path ${r}/nginx-tmp/body;
  fastcgi_temp_path ${r}/nginx-tmp/fastcgi;
  proxy_temp_path ${r}/nginx-tmp/proxy;
  uwsgi_temp_path ${r}/nginx-tmp/uwsgi;
  scgi_temp_path ${r}/nginx-tmp/scgi;
  include ${r}/portal-site.conf;
}
`,
  );

  const llngEnv: NodeJS.ProcessEnv = {
    PATH: PATH_ENV,
    LANG: 'C.UTF-8',
    HOME: r,
    LLNG_DEFAULTCONFFILE: join(r, 'lemonldap-ng.ini'),
    LLNG_DEFAULTLOGGER: 'Lemonldap::NG::Common::Logger::Std',
    BASTION_RIG_ID: token,
  };
  const cli = (args: string[]): Promise<string> =>
    run(
      CLI,
      ['-iniFile', join(r, 'lemonldap-ng.ini'), '-yes', '1', '-safe', '1', ...args],
      llngEnv,
    );
  const sessionsCli = (args: string[]): Promise<string> => run(SESSIONS_CLI, args, llngEnv);

  // The OIDC issuer and its two RPs, as a site configures them.
  const signing = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rpCommon = {
    oidcRPMetaDataOptionsIDTokenSignAlg: 'RS256',
    oidcRPMetaDataOptionsBypassConsent: 1,
    oidcRPMetaDataOptionsRefreshToken: 1,
    oidcRPMetaDataOptionsAllowOffline: 1,
    oidcRPMetaDataOptionsAllowPasswordGrant: 1,
    oidcRPMetaDataOptionsAccessTokenExpiration: options.accessTokenSeconds ?? 3600,
  };
  const exported = { email: 'mail', name: 'cn', preferred_username: 'uid' };
  const merge = {
    issuerDBOpenIDConnectActivation: 1,
    oidcServicePrivateKeySig: signing.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    oidcServicePublicKeySig: signing.publicKey.export({ type: 'spki', format: 'pem' }),
    oidcServiceKeyIdSig: `rig-${token}`,
    oidcRPMetaDataOptions: {
      [LLNG_PUBLIC_CLIENT_ID]: {
        ...rpCommon,
        oidcRPMetaDataOptionsClientID: LLNG_PUBLIC_CLIENT_ID,
        oidcRPMetaDataOptionsPublic: 1,
        oidcRPMetaDataOptionsRequirePKCE: 1,
        oidcRPMetaDataOptionsRedirectUris: `${LLNG_CUSTOM_SCHEME_REDIRECT} ${loopbackRedirect}`,
      },
      [LLNG_CONFIDENTIAL_CLIENT_ID]: {
        ...rpCommon,
        oidcRPMetaDataOptionsClientID: LLNG_CONFIDENTIAL_CLIENT_ID,
        oidcRPMetaDataOptionsClientSecret: clientSecret,
        oidcRPMetaDataOptionsPublic: 0,
        oidcRPMetaDataOptionsRedirectUris: `${loopbackRedirect}`,
      },
    },
    oidcRPMetaDataExportedVars: {
      [LLNG_PUBLIC_CLIENT_ID]: exported,
      [LLNG_CONFIDENTIAL_CLIENT_ID]: exported,
    },
  };
  const mergeFile = join(r, 'oidc-merge.json');
  writeFileSync(mergeFile, JSON.stringify(merge), { mode: 0o640 });
  chownSync(mergeFile, 0, portal.gid);

  const children: { fastcgi?: ChildProcess; nginx?: ChildProcess } = {};
  let stoppedMode: 'refuse' | 'bad-gateway' | null = null;
  let frozen = false;
  const logLines = (name: string): string => {
    try {
      return readFileSync(join(r, name), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '';
    }
  };
  const spawnLogged = (name: string, argv: string[]): ChildProcess => {
    const out = join(r, `${name}.log`);
    const child = spawn(argv[0]!, argv.slice(1), {
      env: llngEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer): void => {
      try {
        writeFileSync(out, chunk, { flag: 'a' });
      } catch {
        // the rig dir is gone
      }
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.on('error', (error) => append(Buffer.from(`spawn error: ${error.message}\n`)));
    return child;
  };
  const startFastcgi = (): void => {
    children.fastcgi = spawnLogged('llng', [
      FASTCGI_SERVER,
      '--foreground',
      '-u',
      PORTAL_USER,
      '-g',
      PORTAL_USER,
      '-s',
      join(r, 'run', 'llng-fastcgi.sock'),
      '-p',
      join(r, 'run', 'llng-fastcgi.pid'),
      '-n',
      '2',
    ]);
  };
  const startNginx = (): void => {
    children.nginx = spawnLogged('nginx', [
      NGINX,
      '-c',
      join(r, 'nginx.conf'),
      '-e',
      join(r, 'nginx-error.log'),
      '-g',
      'daemon off;',
    ]);
  };
  /** Discovery on the HTTPS listener (curl-free: a raw TLS request through node:https). */
  const discoveryAnswers = async (): Promise<boolean> => {
    const { request } = await import('node:https');
    return new Promise((resolve) => {
      const req = request(
        {
          host: LLNG_ADDRESS,
          port: httpsPort,
          servername: LLNG_HOST,
          path: '/.well-known/openid-configuration',
          headers: { host: `${LLNG_HOST}:${httpsPort}` },
          ca: caPem,
          timeout: 2_000,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  };
  const waitReady = async (timeoutMs: number): Promise<void> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await discoveryAnswers()) return;
      for (const [name, child] of Object.entries(children)) {
        if (child && (child.exitCode !== null || child.signalCode !== null)) {
          throw new Error(`${name} exited early\n${log()}`);
        }
      }
      if (Date.now() > end) throw new Error(`portal not ready after ${timeoutMs} ms\n${log()}`);
      await sleep(50);
    }
  };
  const log = (): string =>
    [
      `--- portal (llng-fastcgi-server) ---\n${logLines('llng.log')}`,
      `--- nginx ---\n${logLines('nginx.log')}\n${logLines('nginx-error.log')}`,
    ].join('\n');

  const stopNginx = async (): Promise<void> => {
    const master = children.nginx;
    if (!master) return;
    // nginx overwrites its environment with the process title, so its workers are found as
    // the master's children, not by the rig's token.
    const workers = master.pid === undefined ? [] : childPids(master.pid);
    await stopChild(master, 3_000);
    for (const pid of workers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone with its master
      }
    }
  };
  const stop = async (): Promise<void> => {
    await stopNginx();
    if (children.fastcgi) await stopChild(children.fastcgi, 5_000);
    for (const pid of tokenProcesses(token)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(r, { recursive: true, force: true });
  };

  try {
    await cli(['merge', mergeFile]);
    startFastcgi();
    startNginx();
    await waitReady(20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const startMs = Date.now() - t0;

  const sessionIds = async (field: string, value: string): Promise<string[]> => {
    if (!/^[\w.-]+$/.test(field) || !/^[\w.@-]+$/.test(value)) {
      throw new Error('searchSessions: plain field and value only');
    }
    const out = await sessionsCli(['search', '--where', `${field}=${value}`, '--id-only']);
    return out
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[0-9a-f]{32,}$/.test(l));
  };

  return {
    dir: r,
    host: LLNG_HOST,
    address: LLNG_ADDRESS,
    issuer,
    httpsIssuer,
    httpIssuer,
    httpPort,
    httpsPort,
    caFile,
    caPem,
    spkiPin,
    wrongSpkiPin,
    tlsCertFile,
    tlsKeyFile,
    resolve: { [LLNG_HOST]: LLNG_ADDRESS },
    lookup: rigLookup,
    publicClient: {
      clientId: LLNG_PUBLIC_CLIENT_ID,
      redirectUris: { customScheme: LLNG_CUSTOM_SCHEME_REDIRECT, loopback: loopbackRedirect },
    },
    confidentialClient: { clientId: LLNG_CONFIDENTIAL_CLIENT_ID, clientSecret },
    users: LLNG_USERS,
    pamDoublePort,
    startMs,
    chromiumArgs: () => [
      `--host-resolver-rules=MAP ${LLNG_HOST} ${LLNG_ADDRESS}`,
      `--ignore-certificate-errors-spki-list=${spkiPin.slice('sha256//'.length)}`,
    ],
    portalRunning: () =>
      !frozen &&
      [children.nginx, children.fastcgi].every(
        (c) => c !== undefined && c.exitCode === null && c.signalCode === null,
      ),
    async stopPortal(mode = 'refuse') {
      if (mode === 'refuse') await stopNginx();
      if (children.fastcgi) await stopChild(children.fastcgi, 5_000);
      stoppedMode = mode;
    },
    async startPortal() {
      if (stoppedMode === null) return;
      startFastcgi();
      if (stoppedMode === 'refuse') startNginx();
      stoppedMode = null;
      await waitReady(20_000);
    },
    freezePortal() {
      // The master and its worker: the master alone stopped would still let the worker answer.
      const master = children.nginx?.pid;
      if (master === undefined) return;
      for (const pid of [master, ...childPids(master)]) process.kill(pid, 'SIGSTOP');
      frozen = true;
    },
    thawPortal() {
      const master = children.nginx?.pid;
      if (master !== undefined) {
        for (const pid of [master, ...childPids(master)]) {
          try {
            process.kill(pid, 'SIGCONT');
          } catch {
            // gone
          }
        }
      }
      frozen = false;
    },
    async revokeRefreshToken(refreshToken) {
      if (!/^[0-9a-f]{32,128}$/.test(refreshToken)) throw new Error('not an LLNG token id');
      await sessionsCli(['delete', refreshToken]);
    },
    async endSsoSessions(user) {
      const found = await sessionIds('_whatToTrace', user);
      if (found.length > 0) await sessionsCli(['delete', ...found]);
      return found.length;
    },
    async expireSsoSessions(user) {
      const found = await sessionIds('_whatToTrace', user);
      // `timeout` of Debian's demo config is 72 000 s; a day and a bit more is past it.
      const old = String(Math.floor(Date.now() / 1000) - 90_000);
      for (const id of found) await sessionsCli(['setKey', id, '_utime', old]);
      return found.length;
    },
    searchSessions: sessionIds,
    cli,
    log,
    stop,
  };
}

/** Rig start plus a password grant, timed: what bench/sso.bench.ts needs to set up. */
export interface LlngBenchSetup {
  rig: LlngRig;
  user: string;
  password: string;
  /** main/sso SsoConfig fields for the rig (issuer, client, TLS, resolve). */
  ssoConfig: {
    issuer: string;
    clientId: string;
    scopes: string[];
    allowPasswordGrant: true;
    tls: { caFile: string; pins: string[] };
    resolve: Record<string, string>;
  };
}

export async function startLlngBenchSetup(
  user: keyof typeof LLNG_USERS = 'dwho',
): Promise<LlngBenchSetup> {
  const rig = await startLlngRig();
  return {
    rig,
    user,
    password: LLNG_USERS[user],
    ssoConfig: {
      issuer: rig.issuer,
      clientId: rig.publicClient.clientId,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      allowPasswordGrant: true,
      tls: { caFile: rig.caFile, pins: [rig.spkiPin] },
      resolve: rig.resolve,
    },
  };
}

/** For a test that wants to look at the rig's files after a failure. */
export function rigDirExists(rig: LlngRig): boolean {
  return existsSync(rig.dir) && statSync(rig.dir).isDirectory();
}
