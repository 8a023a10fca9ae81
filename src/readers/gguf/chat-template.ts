import { parse, tokenize } from '@huggingface/jinja';
import { errorMessage, fail, ok, type ReadResult } from '../../core/index.js';

/*
 * Chat templates are Jinja source stored in GGUF metadata. Loaders render them (llama-cpp-python before
 * 0.2.72 did so in an unsandboxed jinja2 Environment: CVE-2024-34359), so antidote only ever parses them:
 * @huggingface/jinja's tokenizer and parser give an AST; its interpreter is never imported or called.
 */

/** Longest template parsed to an AST (CWE-400): real templates are under 64 KiB; longer ones get a lexical scan only. */
export const MAX_TEMPLATE_LENGTH = 256 * 1024;

/** One AST node: `type` names it (`MemberExpression`, `FilterExpression`, `For`, ...); fields follow @huggingface/jinja's ast.ts. */
export interface TemplateNode {
  type: string;
  [field: string]: unknown;
}

/** A parsed template: the statements of its body. */
export interface TemplateProgram {
  body: TemplateNode[];
}

/**
 * Parse a template with the whitespace options llama-cpp-python and transformers use (trim_blocks,
 * lstrip_blocks). Never renders. Fails (never throws) on syntax the parser does not know, on templates over
 * MAX_TEMPLATE_LENGTH, and on nesting deep enough to exhaust the stack.
 */
export function parseChatTemplate(text: string): ReadResult<TemplateProgram> {
  if (text.length > MAX_TEMPLATE_LENGTH) {
    return fail({ kind: 'limit', limit: 'maxTemplateLength', message: `template of ${text.length} characters is over ${MAX_TEMPLATE_LENGTH}` });
  }
  try {
    const program = parse(tokenize(text, { trim_blocks: true, lstrip_blocks: true }));
    return ok({ body: program.body as unknown as TemplateNode[] });
  } catch (error) {
    return fail({ kind: 'malformed', message: `template does not parse: ${errorMessage(error)}` });
  }
}
