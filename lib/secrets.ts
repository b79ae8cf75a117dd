// Secrets in the stack config: which keys look like a secret's, and which values under them are in plain
// text. config.ts parseConfig applies this to every namespace, so the program and the offline tools refuse
// the same stack files.

/** The last word of a key that holds a secret: `gcp:credentials`, `slack:webhookToken`, `db:password`. */
const secretWords = new Set(["credential", "credentials", "password", "passwords", "passwd", "passphrase", "secret", "secrets", "token", "tokens"]);
/** What makes a key a secret one (`apiKey`, `privateKey`, `aws:secretKey`), where `publicKey` or `kmsKey` name none. */
const secretKeyKinds = new Set(["api", "private", "secret", "access", "signing", "client", "hmac", "master"]);

/**
 * Whether a config key (`ns:name`, or a key inside a value) names a secret: its last word is credentials,
 * password, passphrase, secret or token, or it is a key of a secret kind (apiKey, privateKey, secretKey…),
 * or just `key`. Words split at case changes, `_`, `-` and `.`.
 */
export function looksLikeSecret(key: string): boolean {
  const words = key
    .slice(key.lastIndexOf(":") + 1)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
  const last = words.at(-1);
  if (last === undefined) return false;
  if (secretWords.has(last)) return true;
  const fused = /^([a-z]*?)keys?$/.exec(last); // apikey, privatekey, key
  if (!fused) return false;
  const kind = fused[1] || (words.length === 1 ? "" : words[words.length - 2]);
  return kind === "" || secretKeyKinds.has(kind);
}

/** Pulumi's form of an encrypted value in a stack file: `{secure: "v1:…"}`. */
function isEncrypted(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && typeof (value as { secure?: unknown }).secure === "string";
}

/** The keys the engine decrypted for the program (the Pulumi language host names them in PULUMI_CONFIG_SECRET_KEYS). */
export function engineSecretKeys(): Set<string> {
  try {
    const keys: unknown = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS || "[]");
    return new Set(Array.isArray(keys) ? keys.filter((key): key is string => typeof key === "string") : []);
  } catch {
    return new Set();
  }
}

/**
 * A problem for every value in plain text under a key that looks like a secret's, in any namespace and at
 * any depth (`slack:bot.apiKey`): whoever can read the repository could read it. An encrypted value, an
 * empty one or one the engine decrypted passes.
 */
export function plainSecrets(raw: unknown, secretKeys: ReadonlySet<string>): { path: (string | number)[]; message: string }[] {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return [];
  const problems: { path: (string | number)[]; message: string }[] = [];
  const visit = (value: unknown, path: (string | number)[], secret: boolean): void => {
    if (isEncrypted(value) || value === null || value === undefined || value === "") return;
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, i], secret));
    else if (typeof value === "object") for (const [key, item] of Object.entries(value)) visit(item, [...path, key], secret || looksLikeSecret(key));
    else if (secret) problems.push({ path, message: `a secret in plain text; store it encrypted with \`pulumi config set --secret ${setKey(path)}\` (the stack file then holds {secure: v1:…}), and rotate it if it was ever committed` });
  };
  for (const [key, value] of Object.entries(raw)) if (!secretKeys.has(key)) visit(value, [key], looksLikeSecret(key));
  return problems;
}

/** How `pulumi config set` names a key path: `ns:key`, or `--path 'ns:key.inner[0]'`. */
function setKey(path: readonly (string | number)[]): string {
  if (path.length === 1) return String(path[0]);
  return `--path '${path.map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? part : `.${part}`)).join("")}'`;
}
