import { defineDetector } from '../../core/detector.js';
import type { Severity } from '../../core/severity.js';
import { parseChatTemplate, type TemplateNode } from '../../readers/gguf/index.js';
import type { GgufArtifact } from './gguf-header.js';

/*
 * CVE-2024-34359 ("Llama Drama"): llama-cpp-python rendered the chat template stored in GGUF metadata with
 * an unsandboxed jinja2 Environment, so `{{ ''.__class__.__mro__[1].__subclasses__() }}`-style templates
 * reached Python internals and ran commands when the model was loaded for chat. vLLM and SGLang rendered
 * user-supplied templates the same way. Templates are parsed to an AST here (never rendered) and judged by
 * the constructs a sandbox escape needs; a second check reports text the template itself adds to every
 * conversation (a hidden system prompt), which is prompt injection shipped inside the model file.
 */

/** Attributes that lead from any object to Python internals: the steps of every known jinja2 SSTI chain. */
const ESCAPE_ATTRIBUTES = new Set([
  '__class__', '__globals__', '__subclasses__', '__builtins__', '__init__', '__mro__', 'mro', '__base__', '__bases__',
  '__dict__', '__getattribute__', '__import__', '__code__', '__func__', '__self__', '__reduce__', '__reduce_ex__',
  '__loader__', '__spec__', 'func_globals', 'f_globals', 'f_back', 'gi_frame', 'cr_frame', 'tb_frame', '__getitem__',
]);
/** Names of modules and functions that run commands or code; templates never need them. */
const DANGEROUS_NAMES = new Set(['os', 'popen', 'system', 'import', 'eval', 'exec', 'open', 'subprocess', '__import__', 'builtins', 'importlib', 'import_module', 'check_output', 'getattr', 'compile', 'globals', 'sys']);
/** jinja2 globals (and Flask's) whose functions carry `__globals__`: the usual first step of an escape. */
const GADGETS = new Set(['lipsum', 'cycler', 'joiner', 'self', 'config', 'request', 'url_for', 'get_flashed_messages']);
/** Ordinary methods of cycler objects. */
const CYCLER_METHODS = new Set(['next', 'reset', 'current']);
/** Filters that take attribute names (jinja2 make_attrgetter follows dotted paths through getattr). */
const ATTRIBUTE_FILTERS = new Set(['map', 'selectattr', 'rejectattr', 'groupby', 'sort', 'sum', 'unique', 'min', 'max']);
/** A Python dunder name anywhere in a string. */
const DUNDER = /__[A-Za-z][A-Za-z0-9_]*__/;
/** Longest string a fold builds (bounds `'_' * 10**9` and similar). */
const MAX_FOLD_LENGTH = 4096;

/** Text that reads as an instruction to the model or that points somewhere: injected prompts. */
const INSTRUCTION_LIKE =
  /\b(ignore|disregard|forget)\b.{0,20}\b(previous|prior|above|earlier|all)\b|\balways\s+(recommend|promote|suggest|mention|include|say|respond|answer|tell|link|advertise)|\bnever\s+(mention|reveal|tell|disclose|admit)|\bdo not\s+(tell|reveal|mention|disclose)|\bsecretly\b|\bexfiltrat|\b(api[_ -]?key|password|credentials?)\b/i;
/** URLs and bare domains. */
const URL_LIKE = /https?:\/\/|\bwww\.|\b[a-z0-9-]+\.(com|net|org|io|ru|cn|xyz|top|info|biz|ly|sh|me|app|dev|site|online)\b/i;
/** Special tokens and role markers of Llama 2/3, ChatML, Mistral, Gemma, Phi, Cohere and tool plumbing. */
const MARKERS =
  /<\|[^|<>]{0,64}\|>|<\/?s>|\[\/?INST\]|<<\/?SYS>>|<\/?(start|end)_of_turn>|\[\/?(AVAILABLE_TOOLS|TOOL_CALLS|TOOL_RESULTS|SYSTEM_PROMPT)\]|<\/?(tool_call|tool_response|tools|think)>|<\|?(im_start|im_end|endoftext)\|?>/g;
/** Default system prompts and headers that model cards publish (normalised: lower case, single spaces). */
const KNOWN_DEFAULTS = [
  'you are qwen, created by alibaba cloud. you are a helpful assistant.',
  'you are a helpful assistant.',
  'cutting knowledge date: december 2023',
  'environment: ipython',
  'you are a helpful, respectful and honest assistant.',
];
/** Words that mark a branch as tool-use plumbing (`{% if tools %}`): its boilerplate is not a hidden prompt. */
const TOOL_BRANCH = /tool|function|document|builtin/i;

type Messages = {
  escape: string;
  dangerousName: string;
  gadget: string;
  dynamicAttr: string;
  dunderString: string;
  lexical: string;
  unparsed: string;
  unreadable: string;
  injectedText: string;
};

/** One finding about a template, before it is reported. */
interface Hit {
  messageId: keyof Messages & string;
  severity: Severity;
  construct: string;
  names: Set<string>;
}

/** Print an expression compactly, for evidence (bounded). */
function show(node: unknown, depth = 0): string {
  if (depth > 40 || node === null || typeof node !== 'object') return '…';
  const n = node as TemplateNode;
  const s = (child: unknown): string => show(child, depth + 1);
  switch (n.type) {
    case 'Identifier': return String(n.value);
    case 'StringLiteral': return `'${String(n.value).replace(/[\\']/g, '\\$&').replace(/\n/g, '\\n')}'`;
    case 'IntegerLiteral':
    case 'FloatLiteral': return String(n.value);
    case 'MemberExpression': {
      const property = n.property as TemplateNode;
      return n.computed ? `${s(n.object)}[${s(property)}]` : `${s(n.object)}.${String(property.value)}`;
    }
    case 'CallExpression': return `${s(n.callee)}(${(n.args as unknown[]).map(s).join(', ')})`;
    case 'FilterExpression': return `${s(n.operand)}|${s(n.filter)}`;
    case 'BinaryExpression': return `${s(n.left)} ${String((n.operator as { value?: unknown }).value)} ${s(n.right)}`;
    case 'KeywordArgumentExpression': return `${s(n.key)}=${s(n.value)}`;
    case 'ArrayLiteral': return `[${(n.value as unknown[]).map(s).join(', ')}]`;
    case 'TupleLiteral': return `(${(n.value as unknown[]).map(s).join(', ')})`;
    case 'TestExpression': return `${s(n.operand)} is ${n.negate ? 'not ' : ''}${s(n.test)}`;
    case 'UnaryExpression': return `${String((n.operator as { value?: unknown }).value)} ${s(n.argument)}`;
    case 'Ternary': return `${s(n.trueExpr)} if ${s(n.condition)} else ${s(n.falseExpr)}`;
    default: return `<${n.type}>`;
  }
}

/** Bound a string for messages and evidence. */
function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Python %-formatting of constants, as `'%c%c'|format(95, 95)` and `'%s' % x` do it. */
function percentFormat(format: string, args: (string | number)[]): string {
  let i = 0;
  return format.replace(/%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?([sdrcixXaf%])/g, (whole, conversion: string) => {
    if (conversion === '%') return '%';
    const arg = args[i++];
    if (arg === undefined) return whole;
    if (conversion === 'c') return typeof arg === 'number' ? String.fromCharCode(arg) : arg;
    return String(arg);
  });
}

/** str.format of constants: `'{}{}'.format('_', '_')`, `'{0}'.format(x)`. */
function braceFormat(format: string, args: (string | number)[]): string {
  let i = 0;
  return format.replace(/\{(\d*)(![rsa])?(:[^{}]*)?\}/g, (whole, index: string, _conv: unknown, spec: string | undefined) => {
    const arg = index === '' ? args[i++] : args[Number(index)];
    if (arg === undefined) return whole;
    if (spec === ':c' && typeof arg === 'number') return String.fromCharCode(arg);
    return String(arg);
  });
}

/** Analysis of one parsed template. */
class TemplateAnalysis {
  readonly hits: Hit[] = [];
  private readonly env = new Map<string, string>();
  private readonly declared = new Set<string>();
  private readonly chains = new Map<TemplateNode, Hit>();
  private readonly consumed = new Set<unknown>();

  constructor(private readonly body: TemplateNode[]) {
    // Constants assigned with {% set %} (twice, so that one constant may build on another).
    for (let pass = 0; pass < 2; pass++) this.eachNode(body, (node) => this.collectDeclaration(node));
  }

  private eachNode(root: unknown, visit: (node: TemplateNode) => void): void {
    const stack: unknown[] = [root];
    let budget = 1_000_000;
    while (stack.length > 0 && budget-- > 0) {
      const item = stack.pop();
      if (Array.isArray(item)) {
        for (const child of item) stack.push(child);
      } else if (item instanceof Map) {
        for (const [k, v] of item) stack.push(k, v);
      } else if (item !== null && typeof item === 'object' && typeof (item as TemplateNode).type === 'string') {
        visit(item as TemplateNode);
        for (const [field, value] of Object.entries(item)) if (field !== 'operator' && typeof value === 'object') stack.push(value);
      }
    }
  }

  private collectDeclaration(node: TemplateNode): void {
    const declare = (target: unknown): void => {
      const t = target as TemplateNode | undefined;
      if (t?.type === 'Identifier') this.declared.add(String(t.value));
      else if (t?.type === 'TupleLiteral') for (const item of t.value as unknown[]) declare(item);
    };
    if (node.type === 'Set') {
      declare(node.assignee);
      const assignee = node.assignee as TemplateNode;
      if (assignee.type === 'Identifier' && node.value) {
        const value = this.fold(node.value);
        if (value !== null) this.env.set(String(assignee.value), value);
      }
    } else if (node.type === 'For') {
      declare(node.loopvar);
    } else if (node.type === 'Macro') {
      declare(node.name);
      for (const arg of node.args as TemplateNode[]) declare(arg.type === 'KeywordArgumentExpression' ? arg.key : arg);
    }
  }

  /** The constant string an expression always evaluates to, or null when it depends on the conversation. */
  fold(node: unknown, depth = 0): string | null {
    if (depth > 64 || node === null || typeof node !== 'object') return null;
    const n = node as TemplateNode;
    const result = this.foldNode(n, depth);
    return result !== null && result.length > MAX_FOLD_LENGTH ? result.slice(0, MAX_FOLD_LENGTH) : result;
  }

  private foldNode(n: TemplateNode, depth: number): string | null {
    const f = (child: unknown): string | null => this.fold(child, depth + 1);
    const args = (list: unknown): (string | number)[] | null => {
      const out: (string | number)[] = [];
      for (const item of (list as TemplateNode[]) ?? []) {
        if (item.type === 'IntegerLiteral' || item.type === 'FloatLiteral') out.push(Number(item.value));
        else {
          const s = f(item);
          if (s === null) return null;
          out.push(s);
        }
      }
      return out;
    };
    switch (n.type) {
      case 'StringLiteral': return String(n.value);
      case 'IntegerLiteral':
      case 'FloatLiteral': return String(n.value);
      case 'Identifier': return this.env.get(String(n.value)) ?? null;
      case 'BinaryExpression': {
        const op = String((n.operator as { value?: unknown }).value);
        if (op === '+' || op === '~') {
          const l = f(n.left);
          const r = f(n.right);
          return l === null || r === null ? null : l + r;
        }
        if (op === '*') {
          const l = f(n.left);
          const r = (n.right as TemplateNode).type === 'IntegerLiteral' ? Number((n.right as TemplateNode).value) : null;
          return l === null || r === null ? null : l.repeat(Math.max(0, Math.min(r, Math.ceil(MAX_FOLD_LENGTH / Math.max(1, l.length)))));
        }
        if (op === '%') {
          const l = f(n.left);
          const right = n.right as TemplateNode;
          const a = right.type === 'TupleLiteral' || right.type === 'ArrayLiteral' ? args(right.value) : args([right]);
          return l === null || a === null ? null : percentFormat(l, a);
        }
        return null;
      }
      case 'FilterExpression': {
        const filter = n.filter as TemplateNode;
        const name = filter.type === 'Identifier' ? String(filter.value) : filter.type === 'CallExpression' ? String((filter.callee as TemplateNode).value) : '';
        const filterArgs = filter.type === 'CallExpression' ? (filter.args as TemplateNode[]) : [];
        if (name === 'join') {
          const operand = n.operand as TemplateNode;
          const items = operand.type === 'ArrayLiteral' || operand.type === 'TupleLiteral' ? args(operand.value) : null;
          const separator = filterArgs.length > 0 ? f(filterArgs[0]) : '';
          if (items !== null && separator !== null) return items.join(separator);
          const text = f(operand);
          return text === null || separator === null ? null : Array.from(text).join(separator);
        }
        const operand = f(n.operand);
        if (operand === null) return null;
        switch (name) {
          case 'format': {
            const a = args(filterArgs);
            return a === null ? null : percentFormat(operand, a);
          }
          case 'lower': return operand.toLowerCase();
          case 'upper': return operand.toUpperCase();
          case 'reverse': return Array.from(operand).reverse().join('');
          case 'string':
          case 'trim':
          case 'safe': return name === 'trim' ? operand.trim() : operand;
          case 'replace': {
            const a = args(filterArgs);
            return a === null || a.length < 2 ? null : operand.split(String(a[0])).join(String(a[1]));
          }
          default: return null;
        }
      }
      case 'CallExpression': {
        const callee = n.callee as TemplateNode;
        if (callee.type !== 'MemberExpression' || callee.computed) return null;
        const method = String((callee.property as TemplateNode).value);
        const target = f(callee.object);
        const a = args(n.args);
        if (target === null || a === null) {
          if (method === 'join' && target !== null) {
            const list = (n.args as TemplateNode[])[0];
            if (list && (list.type === 'ArrayLiteral' || list.type === 'TupleLiteral')) {
              const items = args(list.value);
              return items === null ? null : items.join(target);
            }
          }
          return null;
        }
        if (method === 'format') return braceFormat(target, a);
        if (method === 'lower') return target.toLowerCase();
        if (method === 'upper') return target.toUpperCase();
        if (method === 'replace' && a.length >= 2) return target.split(String(a[0])).join(String(a[1]));
        return null;
      }
      default:
        return null;
    }
  }

  /** Names in an attribute path that lead to Python internals (`a.__class__` style paths are split at dots). */
  private escapeNames(name: string): string[] {
    return name.split('.').filter((part) => ESCAPE_ATTRIBUTES.has(part) || DUNDER.test(part));
  }

  private addChainHit(top: TemplateNode, messageId: Hit['messageId'], severity: Severity, names: string[]): void {
    const existing = this.chains.get(top);
    if (existing) {
      for (const name of names) existing.names.add(name);
      if (severity === 'critical') {
        existing.severity = 'critical';
        existing.messageId = messageId;
      }
      return;
    }
    const hit: Hit = { messageId, severity, construct: clip(show(top)), names: new Set(names) };
    this.chains.set(top, hit);
    this.hits.push(hit);
  }

  /** Walk every expression, with `top` the outermost node of the member/call/filter chain it belongs to. */
  run(): void {
    const stack: [unknown, TemplateNode | null][] = [[this.body, null]];
    let budget = 1_000_000;
    while (stack.length > 0 && budget-- > 0) {
      const [item, top] = stack.pop()!;
      if (Array.isArray(item)) {
        for (const child of item) stack.push([child, null]);
        continue;
      }
      if (item instanceof Map) {
        for (const [k, v] of item) stack.push([k, null], [v, null]);
        continue;
      }
      if (item === null || typeof item !== 'object' || typeof (item as TemplateNode).type !== 'string') continue;
      const node = item as TemplateNode;
      const chainTop = top ?? node;
      this.check(node, chainTop);
      const push = (child: unknown, sameChain: boolean): void => {
        if (child !== undefined && child !== null) stack.push([child, sameChain ? chainTop : null]);
      };
      switch (node.type) {
        case 'MemberExpression':
          push(node.object, true);
          if (node.computed) push(node.property, false);
          break;
        case 'CallExpression':
          if ((node.callee as TemplateNode).type === 'Identifier') this.checkName(node.callee as TemplateNode, node);
          else push(node.callee, true);
          push(node.args, false);
          break;
        case 'FilterExpression': {
          push(node.operand, true);
          const filter = node.filter as TemplateNode;
          if (filter.type === 'CallExpression') push(filter.args, false);
          break;
        }
        case 'TestExpression':
          push(node.operand, false);
          break;
        case 'KeywordArgumentExpression':
          push(node.value, false);
          break;
        case 'Macro':
          push(node.args, false);
          push(node.body, false);
          break;
        default:
          for (const [field, value] of Object.entries(node)) if (field !== 'operator' && typeof value === 'object') push(value, false);
      }
    }
  }

  private checkName(identifier: TemplateNode, top: TemplateNode): void {
    const name = String(identifier.value);
    if (this.declared.has(name)) return;
    if (DANGEROUS_NAMES.has(name)) this.addChainHit(top, 'dangerousName', 'high', [name]);
    else if (GADGETS.has(name)) this.addChainHit(top, 'gadget', 'medium', [name]);
  }

  private check(node: TemplateNode, top: TemplateNode): void {
    switch (node.type) {
      case 'Identifier':
        this.checkName(node, top);
        return;
      case 'MemberExpression': {
        const property = node.property as TemplateNode;
        const name = node.computed ? this.fold(property) : String(property.value);
        if (name === null) return;
        if (node.computed) this.consumed.add(property);
        const escapes = this.escapeNames(name);
        if (escapes.length > 0) {
          this.addChainHit(top, 'escape', 'critical', escapes);
        } else if (!node.computed && DANGEROUS_NAMES.has(name)) {
          this.addChainHit(top, 'dangerousName', 'high', [name]);
        } else if (!node.computed && name === 'format') {
          // '{0.__class__}'.format(x): str.format looks attributes up itself, outside any sandbox.
          const format = this.fold(node.object);
          if (format !== null && /\{[^{}]*__[A-Za-z]\w*__/.test(format)) {
            this.consumed.add(node.object);
            this.addChainHit(top, 'escape', 'critical', [clip(format, 60)]);
          }
        }
        const object = node.object as TemplateNode;
        if (object.type === 'Identifier' && GADGETS.has(String(object.value)) && !this.declared.has(String(object.value))) {
          const isCyclerMethod = object.value === 'cycler' && CYCLER_METHODS.has(name);
          if (!isCyclerMethod) this.addChainHit(top, escapes.length > 0 ? 'escape' : 'gadget', escapes.length > 0 ? 'critical' : 'high', [`${String(object.value)}.${name}`]);
        }
        return;
      }
      case 'FilterExpression': {
        const filter = node.filter as TemplateNode;
        const name = filter.type === 'Identifier' ? String(filter.value) : filter.type === 'CallExpression' ? String((filter.callee as TemplateNode).value) : '';
        const args = filter.type === 'CallExpression' ? (filter.args as TemplateNode[]) : [];
        if (name === 'attr') {
          const attribute = args[0] === undefined ? null : this.fold(args[0]);
          if (args[0] !== undefined) this.consumed.add(args[0]);
          if (attribute === null) this.addChainHit(top, 'dynamicAttr', 'medium', ['attr']);
          else if (this.escapeNames(attribute).length > 0 || DANGEROUS_NAMES.has(attribute)) this.addChainHit(top, 'escape', 'critical', [attribute]);
        } else if (ATTRIBUTE_FILTERS.has(name)) {
          for (const arg of args) {
            const value = arg.type === 'KeywordArgumentExpression' ? (arg.value as TemplateNode) : arg;
            const text = this.fold(value);
            if (text !== null && this.escapeNames(text).length > 0) {
              this.consumed.add(value);
              this.addChainHit(top, 'escape', 'critical', this.escapeNames(text));
            }
          }
        }
        this.checkBuiltString(node);
        return;
      }
      case 'StringLiteral':
      case 'BinaryExpression':
      case 'CallExpression':
        this.checkBuiltString(node);
        return;
      default:
    }
  }

  /** A constant (or constant-built) string holding a dunder name, not already judged as an attribute. */
  private checkBuiltString(node: TemplateNode): void {
    if (this.consumed.has(node)) return;
    const text = this.fold(node);
    if (text === null) return;
    const match = DUNDER.exec(text);
    // Everything below was folded into this string: do not report its pieces again.
    this.eachNode(node, (child) => this.consumed.add(child));
    if (match) this.hits.push({ messageId: 'dunderString', severity: 'high', construct: clip(show(node)), names: new Set([match[0]]) });
  }
}

/** A piece of text the template outputs, and where. */
interface Output {
  text: string;
  toolBranch: boolean;
  inLoop: boolean;
}

/** String constants a template outputs directly (text, `{{ '...' }}`, concatenations) or stores with set. */
function outputs(body: unknown, toolBranch: boolean, inLoop: boolean, out: Output[], depth = 0): void {
  if (!Array.isArray(body) || depth > 200) return;
  const strings = (expr: unknown, d = 0): string[] => {
    const n = expr as TemplateNode | null;
    if (!n || typeof n !== 'object' || d > 64) return [];
    switch (n.type) {
      case 'StringLiteral': return [String(n.value)];
      case 'BinaryExpression': {
        const op = String((n.operator as { value?: unknown }).value);
        return op === '+' || op === '~' ? [...strings(n.left, d + 1), ...strings(n.right, d + 1)] : [];
      }
      case 'Ternary': return [...strings(n.trueExpr, d + 1), ...strings(n.falseExpr, d + 1)];
      case 'FilterExpression': return strings(n.operand, d + 1);
      default: return [];
    }
  };
  const mentionsTools = (test: unknown): boolean => {
    let found = false;
    const visit = (n: unknown, d: number): void => {
      if (found || d > 64 || n === null || typeof n !== 'object') return;
      const node = n as TemplateNode;
      if ((node.type === 'Identifier' || node.type === 'StringLiteral') && TOOL_BRANCH.test(String(node.value))) found = true;
      for (const [field, value] of Object.entries(node)) if (field !== 'operator' && typeof value === 'object') visit(value, d + 1);
    };
    visit(test, 0);
    return found;
  };
  for (const statement of body as TemplateNode[]) {
    switch (statement.type) {
      case 'If': {
        const tools = toolBranch || mentionsTools(statement.test);
        outputs(statement.body, tools, inLoop, out, depth + 1);
        outputs(statement.alternate, toolBranch, inLoop, out, depth + 1);
        break;
      }
      case 'For':
        outputs(statement.body, toolBranch, true, out, depth + 1);
        outputs(statement.defaultBlock, toolBranch, inLoop, out, depth + 1);
        break;
      case 'Set':
        for (const text of strings(statement.value)) out.push({ text, toolBranch, inLoop });
        outputs(statement.body, toolBranch, inLoop, out, depth + 1);
        break;
      case 'Macro':
      case 'CallStatement':
      case 'FilterStatement':
        outputs(statement.body, toolBranch, inLoop, out, depth + 1);
        break;
      case 'Comment':
        break;
      default:
        for (const text of strings(statement)) out.push({ text, toolBranch, inLoop });
    }
  }
}

/** Lines of natural language left in an output string once markers and role names are removed. */
function injectedLines(text: string): string[] {
  return text
    .replace(MARKERS, '\n')
    .split(/\n+/)
    .map((line) => line.trim())
    .filter((line) => (line.match(/[\p{L}]{2,}/gu) ?? []).length >= 4);
}

function isKnownDefault(line: string): boolean {
  const norm = line.toLowerCase().replace(/\s+/g, ' ').trim();
  return KNOWN_DEFAULTS.some((known) => known.includes(norm) || (norm.includes(known) && norm.length <= known.length + 24));
}

/** Python string escapes jinja2 decodes in literals (`'\x5f'`, `'\137'`, `'\N{LOW LINE}'`, `'\u005f'`). */
function decodeEscapes(code: string): string {
  return code
    .replace(/\\x([0-9a-fA-F]{2})|\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})|\\([0-7]{1,3})/g, (_w, x?: string, u?: string, U?: string, o?: string) => {
      const point = x ?? u ?? U;
      const code = point !== undefined ? parseInt(point, 16) : parseInt(o ?? '0', 8);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    })
    .replace(/\\N\{LOW LINE\}/gi, '_');
}

/** Constructs found by reading the code parts of a template as text: the net under the parser. */
function lexicalHits(template: string): string[] {
  const found = new Set<string>();
  const code = template.replace(/\{#[\s\S]*?#\}/g, '');
  for (const region of code.match(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g) ?? []) {
    const decoded = decodeEscapes(region).replace(/['"]\s*(?:~|\+)\s*['"]/g, '');
    for (const m of decoded.matchAll(/__[A-Za-z][A-Za-z0-9_]*__/g)) found.add(m[0]);
    for (const m of decoded.matchAll(/\b(lipsum|cycler|joiner|popen|subprocess|os\.\w+|eval|exec|mro)\b/g)) found.add(m[1]!);
    const statement = /^\{%[-+]?\s*(import|include|extends|from)\b/.exec(region);
    if (statement) found.add(`{% ${statement[1]!} %}`);
    if (found.size > 20) break;
  }
  return [...found];
}

export default defineDetector<GgufArtifact, Messages>({
  id: 'model/gguf-chat-template',
  title: 'GGUF chat template escapes the Jinja sandbox or injects hidden instructions',
  description:
    'GGUF files carry Jinja chat templates that loaders render for every conversation. llama-cpp-python rendered ' +
    'them without a sandbox (CVE-2024-34359, "Llama Drama"): a template reaching __class__, __globals__ or ' +
    '__subclasses__ runs commands on the machine that loads the model. A template can also add hard-coded text ' +
    'to every conversation: a hidden system prompt that steers the model (prompt injection shipped in the file).',
  remediation:
    'Do not load the model with a loader that renders templates outside a sandbox (update llama-cpp-python to ' +
    '0.2.72 or later, vLLM and SGLang to releases that use an ImmutableSandboxedEnvironment). Replace the chat ' +
    'template with the one published by the model author and compare the text this finding shows against it.',
  defaultSeverity: 'critical',
  tags: ['OWASP-LLM03', 'OWASP-LLM01', 'AML.T0010', 'AML.T0051', 'CVE-2024-34359', 'CWE-1336', 'CWE-94'],
  messages: {
    escape: 'chat template {{name}} reaches Python internals ({{names}}): {{construct}}',
    dangerousName: 'chat template {{name}} names {{names}}, which templates never need: {{construct}}',
    gadget: 'chat template {{name}} uses the jinja2 global {{names}}, a usual first step of a sandbox escape: {{construct}}',
    dynamicAttr: 'chat template {{name}} looks up an attribute whose name is computed at render time: {{construct}}',
    dunderString: 'chat template {{name}} builds the Python internal name {{names}}: {{construct}}',
    lexical: 'chat template {{name}} contains {{names}} in its code ({{reason}})',
    unparsed: 'chat template {{name}} could not be analysed: {{reason}}',
    unreadable: 'chat template {{name}} could not be read: {{reason}}',
    injectedText: 'chat template {{name}} adds fixed text to {{where}}: "{{text}}"',
  },
  requires: { network: false, unsafe: false },
  input: 'gguf',
  run({ file }, context) {
    for (const template of file.chatTemplates) {
      const base = { location: { offset: template.offset, jsonPath: template.key } };
      if (template.text === null) {
        context.report({ ...base, messageId: 'unreadable', data: { name: template.name, reason: template.unreadable ?? 'unknown' }, severity: 'medium', evidence: { match: template.key } });
        continue;
      }
      const parsed = parseChatTemplate(template.text);
      let escapeFound = false;
      if (parsed.ok) {
        const analysis = new TemplateAnalysis(parsed.value.body);
        analysis.run();
        for (const hit of analysis.hits) {
          escapeFound = true;
          const names = [...hit.names].join(', ');
          context.report({
            ...base,
            messageId: hit.messageId,
            data: { name: template.name, names, construct: hit.construct },
            severity: hit.severity,
            evidence: { match: hit.construct, rule: hit.messageId, details: { template: template.name, names } },
          });
        }
        const texts: Output[] = [];
        outputs(parsed.value.body, false, false, texts);
        const seen = new Set<string>();
        for (const output of texts) {
          for (const line of injectedLines(output.text)) {
            if (seen.has(line) || isKnownDefault(line)) continue;
            const pointed = INSTRUCTION_LIKE.test(line) || URL_LIKE.test(line);
            if (output.toolBranch && !pointed) continue;
            seen.add(line);
            const where = output.inLoop ? 'every turn' : 'every conversation';
            context.report({
              ...base,
              messageId: 'injectedText',
              data: { name: template.name, where, text: clip(line) },
              severity: pointed ? 'high' : 'medium',
              evidence: { excerpt: clip(line), details: { template: template.name, where, instructionLike: pointed } },
            });
          }
        }
      } else {
        context.report({ ...base, messageId: 'unparsed', data: { name: template.name, reason: parsed.error.message }, severity: 'medium', evidence: { match: template.key, details: { length: template.text.length } } });
      }
      if (!escapeFound) {
        const hits = lexicalHits(template.text);
        if (hits.length > 0) {
          const reason = parsed.ok ? 'found by a text scan the parser did not confirm' : 'found by a text scan of the unparsed template';
          // Steps of a known escape chain inside template code are critical even when only the text scan saw them.
          const severity: Severity = hits.some((hit) => ESCAPE_ATTRIBUTES.has(hit)) ? 'critical' : 'high';
          context.report({ ...base, messageId: 'lexical', data: { name: template.name, names: hits.join(', '), reason }, severity, evidence: { match: hits.join(', '), details: { template: template.name } } });
        }
      }
    }
  },
});
