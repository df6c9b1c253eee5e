/** Replaces the password (and user) of any URL found in `text` so credentials never reach logs or output. */
export function redactUrl(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@]*)@/gi, (_m, scheme: string) => `${scheme}***@`);
}

/** Redacts credentials from every URL in a string, plus any given literal secrets. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
