// The sim's tokenizer: one token per whitespace-separated word, so prompt sizes are easy to craft.
//
// Completions: a string prompt is split on whitespace; a number[] prompt is taken as token ids.
// Chat: each message costs 3 template tokens (<|start|>, its role, <|end|>) plus the words of its
// content (text parts of a content array are joined). Generated text is one " wordN" per token,
// so re-tokenizing the output with the same rule gives completion_tokens back.

export type ChatContent = string | { type?: string; text?: string }[] | null | undefined;
export interface ChatMessage {
  role: string;
  content?: ChatContent;
}

const WHITESPACE = /\s+/;

export function tokenizeText(text: string): string[] {
  return text.split(WHITESPACE).filter((word) => word !== '');
}

export function tokenizeCompletionPrompt(prompt: string | readonly number[]): string[] {
  return typeof prompt === 'string' ? tokenizeText(prompt) : prompt.map((id) => `#${id}`);
}

function contentText(content: ChatContent): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join(' ');
}

export function tokenizeChat(messages: readonly ChatMessage[]): string[] {
  const tokens: string[] = [];
  for (const message of messages) {
    tokens.push('<|start|>', `<|${message.role}|>`);
    for (const word of tokenizeText(contentText(message.content))) tokens.push(word);
    tokens.push('<|end|>');
  }
  return tokens;
}

const OUTPUT_WORDS = ['the', 'model', 'is', 'serving', 'tokens', 'at', 'a', 'steady', 'rate', 'now'];

/** Text of the generated token at `index`: always one leading space and one word. */
export function outputTokenText(index: number): string {
  return ` ${OUTPUT_WORDS[index % OUTPUT_WORDS.length]}`;
}
