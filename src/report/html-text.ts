import { createHash } from 'node:crypto';
import { neutraliseControls } from './display-text.js';

/*
 * Putting untrusted strings into an HTML page. Everything an audit result says about a dataset came from
 * the dataset, and a saved result can be edited by anyone, so every string goes through `htmlText`: it is
 * clipped (bounded output for a megabyte-long cell), control and bidi characters become visible escapes,
 * and markup characters become entities, which is safe in text content and in quoted attribute values.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Longest stretch of one untrusted string put on the page unless the caller says otherwise. */
export const MAX_HTML_TEXT = 2000;

/** Untrusted value to HTML text or a quoted attribute value: clipped, controls neutralised, markup escaped. */
export function htmlText(value: unknown, options: { keepLayout?: boolean; max?: number } = {}): string {
  let text = String(value);
  const max = options.max ?? MAX_HTML_TEXT;
  let tail = '';
  if (text.length > max) {
    const last = text.charCodeAt(max - 1);
    const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
    tail = `… (${text.length - end} more characters)`;
    text = text.slice(0, end);
  }
  return neutraliseControls(text, options).replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char) + tail;
}

/** A Content-Security-Policy source for one inline block, by its sha256. */
export function cspHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

/** A class-name-safe token for a known enum value; anything else gets a fixed fallback. */
export function htmlToken(value: string, allowed: readonly string[]): string {
  return allowed.includes(value) ? value : 'unknown';
}
