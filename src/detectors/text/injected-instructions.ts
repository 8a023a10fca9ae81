import { KeywordAutomaton } from './keyword-automaton.js';

/*
 * Prompt-injection payloads riding in text that a model will later read: a RAG passage, a tool result, a
 * fine-tuning row. The payload is an instruction aimed at the model rather than information for it
 * (Greshake et al., 2023, "Not what you've signed up for"; BIPIA, Yi et al., 2023), or a way to smuggle such
 * an instruction past the person who reviews the text: invisible Unicode (tag characters, zero-width runs,
 * bidi overrides, variation-selector runs), HTML comments and hidden CSS, base64 blobs that decode to an
 * instruction. `audit` runs these checks on every row; `guard` and `probe` reuse them on live text.
 *
 * Every pattern is linear or bounded (no nested quantifiers over the same characters, every gap has an
 * upper bound), text beyond MAX_INJECTION_SCAN_CHARS is not examined (the caller is told), and one pass
 * of a keyword automaton over the text decides which patterns can match at all: most text holds none of the
 * words they need, and pays for that pass only.
 *
 * What this cannot see: an injection written as an ordinary request ("What is the capital of Brazil?"
 * planted in an email) has no marker that tells it from content; that needs the context of the task
 * (BIPIA's "task-irrelevant" attacks), which a pattern does not have.
 */

/** Characters of one text examined; a payload further in is not seen, and `scanned` says so. */
export const MAX_INJECTION_SCAN_CHARS = 256 * 1024;
/** Matches kept per text; a text with more is already as suspicious as it gets. */
export const MAX_INJECTION_MATCHES = 16;
/** Shortest base64 run decoded to look for an instruction ("Ignore all rules." is 24 characters encoded). */
export const MIN_ENCODED_INSTRUCTION = 20;
/** Longest base64 run decoded (bytes of a hostile blob are bounded before decoding). */
const MAX_ENCODED_INSTRUCTION = 8192;
/** Base64 runs decoded per text; a text of thousands of hashes would otherwise cost a decode each. */
const MAX_DECODED_RUNS = 32;
/** Characters of an HTML comment or hidden element examined for an instruction. */
const MAX_HIDDEN_BLOCK = 4096;
/** Characters of context on each side of a match in its excerpt. */
const EXCERPT_CONTEXT = 40;
/** Longest excerpt of the matched text itself. */
const MAX_MATCH_EXCERPT = 160;

/** Families of injected instructions, each with its own weight of evidence. */
export type InjectionKind =
  | 'instruction-override'
  | 'role-override'
  | 'chat-template'
  | 'exfiltration'
  | 'reader-directive'
  | 'hidden-unicode'
  | 'hidden-markup'
  | 'encoded-instruction';

/** One payload found in a text. */
export interface InjectionMatch {
  kind: InjectionKind;
  /** Which check fired, for the evidence (`ignore-previous`, `unicode-tags`, ...). */
  rule: string;
  /** What was found, in words. */
  what: string;
  /** UTF-16 offset of the match in the text. */
  index: number;
  /** In [0, 1]: how strongly this alone says "payload". */
  score: number;
  /** The matched text (decoded, for hidden and encoded payloads), bounded, as written. */
  match: string;
}

/** Everything found in one text. */
export interface InjectionScan {
  matches: InjectionMatch[];
  /** Characters examined (less than the text's length when it exceeded MAX_INJECTION_SCAN_CHARS). */
  scanned: number;
}

interface TextPattern {
  kind: InjectionKind;
  rule: string;
  /**
   * Lower-case substrings of which the text must hold one before the pattern runs: a few `includes`
   * calls cost less than one regex, and most text holds none of them.
   */
  cues: readonly string[];
  what: string;
  score: number;
  pattern: RegExp;
}

/*
 * Gaps between key words are bounded runs of non-sentence-ending characters, so a pattern spans one
 * clause ("ignore all of the previous instructions"), never a page.
 */
const TEXT_PATTERNS: readonly TextPattern[] = [
  {
    kind: 'instruction-override',
    rule: 'ignore-previous',
    cues: ['ignor', 'disregard', 'forget', 'overr', 'bypass', 'discard', 'abandon', 'follow'],
    what: 'an order to ignore or replace the instructions the model was given',
    score: 0.9,
    pattern:
      /\b(?:ignore|disregard|forget|override|overrule|bypass|discard|abandon|do not follow|don'?t follow|stop following)\b[^.!?\n]{0,40}?\b(?:previous|prior|above|preceding|earlier|foregoing|initial|original|system|all|any|your|every|existing)\b[^.!?\n]{0,30}?\b(?:instructions?|directions?|directives?|prompts?|rules?|guidelines?|guardrails?|constraints?|commands?|orders?|programming|policies|restrictions)\b/i,
  },
  {
    kind: 'instruction-override',
    rule: 'ignore-everything',
    cues: ['ignor', 'disregard', 'forget'],
    what: 'an order to forget everything said before',
    score: 0.85,
    pattern: /\b(?:ignore|disregard|forget)\s+(?:everything|all(?: of)? (?:that|this|the above))\s*(?:above|before|previously|so far|you (?:were|have been) told|(?:that )?(?:was |has been )?said)?\b/i,
  },
  {
    kind: 'instruction-override',
    rule: 'new-instructions',
    cues: ['instruction', 'directive', 'system'],
    what: 'a block announcing new instructions for the model',
    score: 0.8,
    pattern: /\b(?:new|updated|revised|real|actual|true|secret|hidden|additional|important)\s+(?:instructions?|system (?:prompt|message)|directives?)\s*(?::|-{1,2}|follow)/i,
  },
  {
    kind: 'role-override',
    rule: 'you-are-now',
    cues: ['you are now', 'you are no longer'],
    what: 'an attempt to give the model a new identity or free it of its rules',
    score: 0.8,
    pattern:
      /\byou are (?:now|no longer)\b[^.!?\n]{0,40}?\b(?:dan|unrestricted|unfiltered|uncensored|jailbroken|free|evil|bound|an? (?:ai|assistant|model|chatbot|bot|language model)|in (?:developer|god|jailbreak|unrestricted) mode)\b/i,
  },
  {
    kind: 'role-override',
    rule: 'no-restrictions',
    cues: ['restriction', 'rules', 'filters', 'limitations', 'guidelines', 'ethics', 'morals', 'censorship'],
    what: 'an order to act without rules or filters',
    score: 0.8,
    pattern:
      /\b(?:pretend|act|behave|respond|imagine)\b[^.!?\n]{0,30}?\b(?:you (?:are|were|have)|as)\b[^.!?\n]{0,30}?\b(?:no|without)\s+(?:any\s+)?(?:restrictions|rules|filters|limitations|guidelines|ethics|morals|censorship)\b/i,
  },
  {
    kind: 'role-override',
    rule: 'jailbreak-mode',
    cues: [' mode', 'anything now', 'as dan'],
    what: 'a jailbreak persona or mode (DAN, developer mode)',
    score: 0.8,
    pattern: /\b(?:do anything now|(?:developer|god|jailbreak|dan|sudo|unrestricted) mode (?:enabled|activated|on)|enable (?:developer|god|jailbreak|dan) mode|stay in character as dan)\b/i,
  },
  {
    kind: 'role-override',
    rule: 'system-prompt-override',
    cues: ['system', 'instructions', 'prompt'],
    what: 'text posing as a system prompt or asking the model to reveal one',
    score: 0.75,
    pattern:
      /\b(?:(?:the|your|my|new) system (?:prompt|message) (?:is|has been|was)\b|(?:reveal|print|repeat|output|show|leak|disclose|display)\b[^.!?\n]{0,30}?\b(?:system prompt|system message|initial instructions|hidden instructions|your instructions|your (?:original )?prompt))/i,
  },
  {
    kind: 'role-override',
    rule: 'addressed-to-model',
    cues: ['note ', 'message ', 'instruction', 'attention ', 'reminder ', 'if you are a', 'reading this', 'processing this', 'summarizing this', 'summarising this'],
    what: 'a note addressed to the AI model that reads the text',
    score: 0.7,
    pattern:
      /\b(?:(?:note|message|instructions?|attention|reminder)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:ai|assistants?|models?|llms?|chatbots?|language models?|gpt|agents?)\b|if you are an? (?:ai|assistant|language model|llm|chatbot|bot|agent)\b|(?:ai|assistant|llm|chatbot|agent)s? (?:reading|processing|summari[sz]ing) this\b)/i,
  },
  {
    kind: 'exfiltration',
    rule: 'exfiltrate-conversation',
    cues: ['conversation', 'chat history', 'previous message', 'user', 'personal', 'secret', 'api ', 'api_', 'api-', 'apikey', 'credential', 'password', 'token', 'cookie'],
    what: 'an order to send the conversation or secrets somewhere',
    score: 0.85,
    pattern:
      /\b(?:append|add|include|encode|put|insert|send|post|upload|forward|transmit|leak|exfiltrate)\b[^.!?\n]{0,60}?\b(?:conversation|chat history|previous messages|user'?s? (?:data|email|password|name|address|messages?|info(?:rmation)?)|personal (?:data|information)|secrets?|api[ _-]?keys?|credentials|passwords?|tokens?|cookies)\b[^.!?\n]{0,60}?\b(?:url|link|query|parameter|image|endpoint|webhook|server|https?:)/i,
  },
  {
    kind: 'reader-directive',
    rule: 'your-response',
    cues: ['your '],
    what: "an instruction about the reader's own response (how to answer, what to add)",
    score: 0.6,
    pattern:
      /\b(?:in|into|to|within|throughout|with|of|from)\s+your\s+(?:(?:final|next|entire|whole)\s+)?(?:response|reply|answer|responses|replies|answers|elucidation)\b|\b(?:modify|augment|enhance|begin|start|end|conclude|format|render|rearrange|misspell|scramble|jumble|restructure|rewrite|provide|give|deliver|compose)\s+your\s+(?:response|reply|answer|output|message)\b|\b(?:words|letters|vowels|sentences)\s+(?:in|of)\s+your\s+(?:message|response|reply|answer|output)\b/i,
  },
  {
    kind: 'reader-directive',
    rule: 'embed-code',
    cues: ['your ', ' code'],
    what: "an instruction to merge given code into the reader's code",
    score: 0.6,
    // "In your code, ..." is how every code review talks; the directive needs the verb of merging, or a
    // code block offered for "your code" in the same sentence (BIPIA's code attacks).
    pattern:
      /\b(?:integrate|incorporate|insert|embed|merge|blend|fuse|meld|weave|infuse|interweave|inject|assimilate)\b[^.!?\n]{0,60}?\b(?:into|in|within|with)\s+(?:the\s+\w+\s+of\s+)?your\s+(?:code|codebase|solution|implementation|algorithm|program|script)\b|\byour\s+(?:code|codebase|solution|implementation|algorithm|program)\b[^.!?\n]{0,80}?\b(?:following|subsequent|below)\s+code\s+(?:section|snippet|block|excerpt|fragment|segment)\b|\b(?:following|subsequent|below)\s+code\s+(?:section|snippet|block|excerpt|fragment|segment)\b[^.!?\n]{0,80}?\b(?:your\s+(?:code|codebase|solution|implementation|algorithm|program|response|answer|elucidation)|the code you (?:develop|write|produce|generate))\b|\b(?:don'?t hesitate|don'?t forget|be sure|make sure|remember|keep in mind)\s+to\b[^.!?\n]{0,40}?\b(?:following|subsequent|below)\s+code\s+(?:section|snippet|block|excerpt|fragment|segment)\b/i,
  },
];

/** Chat-template control tokens: inside data they forge a turn boundary the model was trained to obey. */
const CHAT_TEMPLATE =
  /<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|end_of_text|end)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?start_of_turn>|<\/?end_of_turn>|<\|channel\|>/i;
/**
 * A line posing as a system turn. Weak alone (a spec sheet may say "System: Linux"; dialogue datasets
 * write "Assistant:" lines, which is why only "system" counts), so it is scored below a flag.
 */
const SYSTEM_LINE = /^[ \t]*(?:#{1,3}[ \t]*)?system[ \t]*(?:prompt|message)?[ \t]*:[ \t]*\S/im;

/** Markdown images: chat UIs fetch them unasked, so a URL built from the conversation leaks it (Rehberger, 2023). */
const MARKDOWN_IMAGE = /!\[[^\]\n]{0,200}\]\(\s*<?(https?:\/\/[^\s)>]{1,2048})/gi;
/** An HTML image tag with a remote source. */
const HTML_IMAGE = /<img\b[^>]{0,200}?\bsrc\s*=\s*["']?(https?:\/\/[^\s"'>]{1,2048})/gi;

/** HTML comments: invisible when rendered, read by a model that gets the source. */
const HTML_COMMENT = /<!--([\s\S]{0,4096}?)-->/g;
/** Elements hidden by inline CSS (display:none, zero font size, zero opacity, off-screen). */
const HIDDEN_ELEMENT =
  /<(\w{1,10})\b[^>]{0,200}?\bstyle\s*=\s*["'][^"']{0,200}?(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?![.\d]*[1-9])|opacity\s*:\s*0(?![.\d]*[1-9])|left\s*:\s*-\d{4,})[^>]{0,200}>([^<]{1,4096})/gi;

/** Right-to-left letters; bidi controls are ordinary in text that has them. */
const RTL_LETTER = /[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]/;

/** Characters removed before the text patterns run, so `ig\u200bnore` still reads `ignore`. */
const STRIP_BEFORE_MATCHING = /[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u180e\ufe00-\ufe0f]|\udb40[\udc00-\udc7f\udd00-\uddef]/g;

/**
 * Find prompt-injection payloads in `text`. Returns the matches (at most MAX_INJECTION_MATCHES, strongest
 * first) and how much of the text was examined.
 */
export function findInjectedInstructions(text: string): InjectionScan {
  const scanned = Math.min(text.length, MAX_INJECTION_SCAN_CHARS);
  const window = scanned < text.length ? cutAtCodePoint(text, scanned) : text;
  const matches: InjectionMatch[] = [];
  let scan = scanText(window);
  let visible = window;
  if (scan.invisible || scan.softHyphen) {
    if (scan.invisible) hiddenUnicode(window, matches);
    // Text patterns read the text as a person would see it: invisible characters removed.
    visible = window.replace(STRIP_BEFORE_MATCHING, '');
    scan = scanText(visible);
  }
  textPatterns(visible, matches, 0, scan.cues);
  if (scan.angle) hiddenMarkup(visible, matches);
  if (scan.linkParen || scan.angle) remoteImages(visible, matches);
  encodedInstructions(scan.base64, matches);
  matches.sort((a, b) => b.score - a.score || a.index - b.index);
  return { matches: matches.slice(0, MAX_INJECTION_MATCHES), scanned };
}

/** The strongest evidence of a scan, as one score: noisy-OR over the best match of each kind. */
export function injectionScore(matches: readonly InjectionMatch[]): number {
  const best = new Map<InjectionKind, number>();
  for (const m of matches) best.set(m.kind, Math.max(best.get(m.kind) ?? 0, m.score));
  let keep = 1;
  for (const s of best.values()) keep *= 1 - s;
  return 1 - keep;
}

function cutAtCodePoint(text: string, end: number): string {
  const last = text.charCodeAt(end - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}

/** Bits of a text scan beside the patterns' own (one per TEXT_PATTERNS entry, from bit 0). */
const SYSTEM_LINE_BIT = 1 << 28;
const CHAT_TEMPLATE_BIT = 1 << 29;
/** Which patterns each cue enables, as a bit set over TEXT_PATTERNS, and the cues of the two extra checks. */
const CUE_TAGS = new Map<string, number>([
  ['system', SYSTEM_LINE_BIT],
  ...['<|', 'inst]', '<<sys>>', '<</sys>>', '_of_turn>'].map((cue) => [cue, CHAT_TEMPLATE_BIT] as [string, number]),
]);
TEXT_PATTERNS.forEach((p, i) => {
  for (const cue of p.cues) CUE_TAGS.set(cue, (CUE_TAGS.get(cue) ?? 0) | (1 << i));
});
/** Every cue in one automaton: one pass over a text says which patterns can match at all. */
const CUES = new KeywordAutomaton(CUE_TAGS);

/** What one pass over a text learns: cue bits, base64 runs, and whether the rarer checks have anything to read. */
interface TextScan {
  cues: number;
  base64: { index: number; run: string }[];
  invisible: boolean;
  /** A soft hyphen: not reported (web text is full of them) but removed before matching, like the invisibles. */
  softHyphen: boolean;
  angle: boolean;
  linkParen: boolean;
}

/**
 * One pass over `text`: the cue automaton, base64 runs of at least MIN_ENCODED_INSTRUCTION that mix upper
 * and lower case (words and identifiers do not; at most MAX_DECODED_RUNS), and flags for invisible
 * characters, `<` and `](`. Everything else reads only what this pass says is there.
 */
function scanText(text: string): TextScan {
  const scan: TextScan = { cues: 0, base64: [], invisible: false, softHyphen: false, angle: false, linkParen: false };
  const { next, tags } = CUES;
  let state = 0;
  let cues = 0;
  let run = 0;
  let previous = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    if (c >= 0 && c < 0x80) {
      const folded = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      // The automaton's step, inlined: ASCII folded to lower case; anything else resets it.
      state = next[state * 0x80 + folded]!;
      cues |= tags[state]!;
      if ((folded >= 0x61 && folded <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f) {
        run++;
        previous = c;
        continue;
      }
    } else state = 0;
    if (run >= MIN_ENCODED_INSTRUCTION && scan.base64.length < MAX_DECODED_RUNS) {
      const from = i - run;
      // Words and identifiers are not blobs: real base64 of text mixes upper and lower case.
      if (MIXED_CASE.test(text.slice(from, i))) {
        let end = i;
        while (end < text.length && end < i + 2 && text.charCodeAt(end) === 0x3d) end++;
        scan.base64.push({ index: from, run: text.slice(from, end) });
      }
    }
    run = 0;
    if (c === 0x3c) scan.angle = true;
    else if (c === 0x28 && previous === 0x5d) scan.linkParen = true;
    else if (c === 0xad) scan.softHyphen = true;
    else if (c >= 0x180e && !scan.invisible) {
      scan.invisible =
        c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c === 0xfeff || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xdb40;
    }
    previous = c;
  }
  scan.cues = cues;
  return scan;
}

/** Both cases somewhere in a run. */
const MIXED_CASE = /[A-Z][^]*[a-z]|[a-z][^]*[A-Z]/;

function textPatterns(text: string, out: InjectionMatch[], offset: number, cues = CUES.scan(text)): void {
  if ((cues & CHAT_TEMPLATE_BIT) !== 0) {
    const token = CHAT_TEMPLATE.exec(text);
    if (token) out.push({ kind: 'chat-template', rule: 'chat-template-token', what: 'a chat-template control token that forges a turn boundary', index: offset + token.index, score: 0.7, match: excerpt(text, token.index, token[0].length) });
  }
  if ((cues & SYSTEM_LINE_BIT) !== 0 && !out.some((m) => m.rule === 'chat-template-token')) {
    const line = SYSTEM_LINE.exec(text);
    if (line) out.push({ kind: 'chat-template', rule: 'system-line', what: 'a line posing as a system turn', index: offset + line.index, score: 0.4, match: excerpt(text, line.index, line[0].length) });
  }
  for (let i = 0; i < TEXT_PATTERNS.length; i++) {
    if ((cues & (1 << i)) === 0) continue;
    const p = TEXT_PATTERNS[i]!;
    const m = p.pattern.exec(text);
    if (m) out.push({ kind: p.kind, rule: p.rule, what: p.what, index: offset + m.index, score: p.score, match: excerpt(text, m.index, m[0].length) });
  }
}

/** Invisible characters: decoded tag text, zero-width characters splitting words or in runs, bidi controls, selector runs. */
function hiddenUnicode(text: string, out: InjectionMatch[]): void {
  // Unicode tag characters (U+E0000-E007F) mirror ASCII and render as nothing: "ASCII smuggling".
  let tagStart = -1;
  let decoded = '';
  const flushTags = (end: number): void => {
    if (tagStart < 0) return;
    // Emoji subdivision flags (England, Scotland, Wales) are U+1F3F4, a few lower-case tag letters, U+E007F.
    const flag = tagStart >= 2 && text.codePointAt(tagStart - 2) === 0x1f3f4 && /^[a-z0-9]{2,7}\u{e007f}?$/u.test(decoded.replace(/\x7f$/, '\u{e007f}'));
    if (!flag) {
      const hidden = decoded.replace(/\x7f/g, '');
      const sub: InjectionMatch[] = [];
      textPatterns(hidden, sub, tagStart);
      out.push({
        kind: 'hidden-unicode',
        rule: 'unicode-tags',
        what: `text hidden in invisible Unicode tag characters${sub.length > 0 ? ' that holds an instruction' : ''}`,
        index: tagStart,
        score: 0.9,
        match: clip(hidden),
      });
    }
    tagStart = -1;
    decoded = '';
  };
  let zeroWidthRun = 0;
  let zeroWidthRunStart = -1;
  let selectorRun = 0;
  let selectorRunStart = -1;
  let splitWord = -1;
  let bidi = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0xdb40 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdc7f) {
        if (tagStart < 0) tagStart = i;
        decoded += String.fromCharCode(low - 0xdc00);
        i++;
        continue;
      }
      if (low >= 0xdd00 && low <= 0xddef) {
        // Variation selectors 17-256: one after a base character is legitimate, a run encodes bytes.
        if (selectorRun++ === 0) selectorRunStart = i;
        flushTags(i);
        i++;
        continue;
      }
    }
    flushTags(i);
    if (c >= 0xfe00 && c <= 0xfe0f) {
      if (selectorRun++ === 0) selectorRunStart = i;
      continue;
    }
    if (selectorRun >= 4) pushSelectors(text, selectorRunStart, selectorRun, out);
    selectorRun = 0;
    const zeroWidth = (c >= 0x200b && c <= 0x200d) || c === 0x2060 || c === 0x2062 || c === 0x2063 || c === 0x2064 || (c === 0xfeff && i > 0) || c === 0x180e;
    if (zeroWidth) {
      if (zeroWidthRun++ === 0) zeroWidthRunStart = i;
      continue;
    }
    if (zeroWidthRun > 0) {
      // A zero-width character between two ASCII letters splits a word to dodge filters (`ig\u200bnore`);
      // joiners between emoji and in Indic or Persian script have neighbours outside ASCII.
      if (splitWord < 0 && isAsciiLetter(text.charCodeAt(zeroWidthRunStart - 1)) && isAsciiLetter(c)) splitWord = zeroWidthRunStart;
      if (zeroWidthRun >= 4) pushZeroWidthRun(text, zeroWidthRunStart, zeroWidthRun, out);
    }
    zeroWidthRun = 0;
    if (bidi < 0 && ((c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))) bidi = i;
  }
  flushTags(text.length);
  if (selectorRun >= 4) pushSelectors(text, selectorRunStart, selectorRun, out);
  if (zeroWidthRun >= 4) pushZeroWidthRun(text, zeroWidthRunStart, zeroWidthRun, out);
  if (splitWord >= 0) {
    out.push({ kind: 'hidden-unicode', rule: 'zero-width-split', what: 'a zero-width character inside a word (splits it past word filters)', index: splitWord, score: 0.6, match: excerpt(text, splitWord, 1) });
  }
  if (bidi >= 0 && !RTL_LETTER.test(text)) {
    // Trojan Source (CVE-2021-42574): reordering controls in text with no right-to-left script at all.
    out.push({ kind: 'hidden-unicode', rule: 'bidi-control', what: 'bidirectional control characters in text with no right-to-left script (reorders what a reviewer sees)', index: bidi, score: 0.6, match: excerpt(text, bidi, 1) });
  }
}

function pushSelectors(text: string, start: number, run: number, out: InjectionMatch[]): void {
  out.push({ kind: 'hidden-unicode', rule: 'variation-selector-run', what: `${run} variation selectors in a row (bytes smuggled in invisible selectors)`, index: start, score: 0.8, match: excerpt(text, start, 1) });
}

function pushZeroWidthRun(text: string, start: number, run: number, out: InjectionMatch[]): void {
  out.push({ kind: 'hidden-unicode', rule: 'zero-width-run', what: `${run} zero-width characters in a row (hidden data)`, index: start, score: 0.7, match: excerpt(text, start, 1) });
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** HTML comments and CSS-hidden elements that hold an instruction. */
function hiddenMarkup(text: string, out: InjectionMatch[]): void {
  for (const [rule, pattern, what] of [
    ['html-comment', HTML_COMMENT, 'an HTML comment (invisible when rendered)'],
    ['hidden-element', HIDDEN_ELEMENT, 'an element hidden by CSS'],
  ] as const) {
    pattern.lastIndex = 0;
    let found = 0;
    for (const m of text.matchAll(pattern)) {
      const body = (rule === 'html-comment' ? m[1] : m[2]) ?? '';
      const sub: InjectionMatch[] = [];
      textPatterns(body.slice(0, MAX_HIDDEN_BLOCK), sub, m.index);
      const instruction = sub.find((s) => s.kind !== 'reader-directive') ?? sub[0];
      if (instruction) {
        out.push({ kind: 'hidden-markup', rule, what: `${what} holding ${instruction.what}`, index: m.index, score: 0.85, match: excerpt(text, m.index, m[0].length) });
      }
      if (++found >= MAX_INJECTION_MATCHES) break;
    }
  }
}

/** Remote images whose URL carries data or a placeholder for it: the classic markdown-image exfiltration. */
function remoteImages(text: string, out: InjectionMatch[]): void {
  for (const pattern of [MARKDOWN_IMAGE, HTML_IMAGE]) {
    for (const m of text.matchAll(pattern)) {
      const url = m[1]!;
      const query = url.indexOf('?');
      // A placeholder ({data}, $SECRET, [CONVERSATION]) or a query string makes the URL a channel out.
      const placeholder = /[{}$]|%7b|\[[A-Z_]{3,}\]|<[A-Z_]{3,}>/i.test(url);
      const carriesData = query >= 0 && /[=&]/.test(url.slice(query));
      if (!placeholder && !carriesData) continue;
      out.push({
        kind: 'exfiltration',
        rule: 'remote-image',
        what: placeholder ? 'a remote image whose URL has a placeholder for data (renders as a silent request)' : 'a remote image whose URL carries query data (renders as a silent request)',
        index: m.index,
        score: placeholder ? 0.85 : 0.6,
        match: excerpt(text, m.index, m[0].length),
      });
      return;
    }
  }
}

/** Base64 runs that decode to printable text holding an instruction. */
function encodedInstructions(runs: readonly { index: number; run: string }[], out: InjectionMatch[]): void {
  for (const { index, run } of runs) {
    if (run.length > MAX_ENCODED_INSTRUCTION) continue;
    const decoded = Buffer.from(run, 'base64').toString('latin1');
    let printable = 0;
    for (let i = 0; i < decoded.length; i++) {
      const c = decoded.charCodeAt(i);
      if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09) printable++;
    }
    if (decoded.length === 0 || printable < 0.95 * decoded.length) continue;
    const sub: InjectionMatch[] = [];
    textPatterns(decoded, sub, index);
    const instruction = sub.find((s) => s.kind !== 'reader-directive') ?? sub[0];
    if (instruction) {
      out.push({ kind: 'encoded-instruction', rule: 'base64-instruction', what: `base64 that decodes to ${instruction.what}`, index, score: 0.9, match: clip(decoded) });
      return;
    }
  }
}

function excerpt(text: string, index: number, length: number): string {
  const start = Math.max(0, index - EXCERPT_CONTEXT);
  const end = Math.min(text.length, index + Math.min(length, MAX_MATCH_EXCERPT) + EXCERPT_CONTEXT);
  return `${start > 0 ? '…' : ''}${text.slice(start, end).replace(/\s+/g, ' ')}${end < text.length ? '…' : ''}`;
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > MAX_MATCH_EXCERPT ? `${flat.slice(0, MAX_MATCH_EXCERPT - 1)}…` : flat;
}
