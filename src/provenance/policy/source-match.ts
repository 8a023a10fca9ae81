import type { AllowedHubOrg, AllowedUrlPrefix, SourcesPolicy } from './types.js';

/*
 * Is a recorded source (what `antidote lock --source` wrote) one the policy allows? Hub sources are compared
 * by organisation, URLs by origin and whole path segments, so `https://data.example.com` never admits
 * `https://data.example.com.evil.org/` and `https://host/team` never admits `https://host/team-evil/`.
 */

const HUB_HOSTS = new Set(['huggingface.co', 'www.huggingface.co', 'hf.co']);
/** Path prefixes of Hub repositories that are not models: `https://huggingface.co/datasets/org/name`. */
const HUB_REPO_KINDS = new Set(['datasets', 'spaces']);
/** A Hub repository id `org/name` (or a bare canonical name such as `gpt2`), as the Hub allows them. */
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

/**
 * The Hub organisation of a source, or undefined when it is not a Hub repository or names none (canonical
 * repositories such as `gpt2` have no organisation, so only a URL prefix can allow them).
 * Understands `org/name`, `hf://[datasets/]org/name` and `https://huggingface.co/[datasets/]org/name[/...]`.
 */
export function hubOrganisation(source: string): string | undefined {
  let path: string;
  if (source.startsWith('hf://')) {
    path = source.slice('hf://'.length);
  } else if (/^[a-z][a-z0-9+.-]*:/i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return undefined;
    }
    if (url.protocol !== 'https:' || !HUB_HOSTS.has(url.hostname.toLowerCase())) return undefined;
    path = decodeURIComponent(url.pathname.slice(1));
  } else {
    if (!HUB_ID.test(source)) return undefined;
    path = source;
  }
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] !== undefined && HUB_REPO_KINDS.has(parts[0])) parts.shift();
  // `org/name` names an organisation; a lone `name` is a canonical repository with none.
  if (parts.length < 2) return undefined;
  return parts[0];
}

/** True when `source` starts with the URL `prefix`: same scheme and host, then whole path segments. */
export function urlHasPrefix(source: string, prefix: string): boolean {
  let s: URL;
  let p: URL;
  try {
    s = new URL(source);
    p = new URL(prefix);
  } catch {
    return false;
  }
  if (s.protocol !== p.protocol || s.host.toLowerCase() !== p.host.toLowerCase()) return false;
  const base = p.pathname;
  if (base === '/' || base === '') return true;
  if (!s.pathname.startsWith(base)) return false;
  // A prefix ending in `/` is a folder; otherwise the next character must end a segment.
  return base.endsWith('/') || s.pathname.length === base.length || s.pathname[base.length] === '/';
}

/** The policy entry that admits `source`, or undefined. Hub organisations compare case-insensitively, as the Hub does. */
export function allowedBy(source: string, policy: SourcesPolicy): AllowedHubOrg | AllowedUrlPrefix | undefined {
  const org = hubOrganisation(source)?.toLowerCase();
  if (org !== undefined) {
    const hit = policy.huggingface.find((allowed) => allowed.org.toLowerCase() === org);
    if (hit) return hit;
  }
  return policy.urls.find((allowed) => urlHasPrefix(source, allowed.prefix));
}
