// Conversation items (Responses shape) -> Chat Completions messages, deterministically, so a chat-only
// server sees the same byte-stable prefix turn after turn.
import type OpenAI from 'openai';
import type { ConversationItem } from './conversation';

/** The Responses API's function tool; the conversation's tool list is kept in this shape. */
export type ResponsesTool = OpenAI.Responses.FunctionTool;

type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;

export function toChatMessages(instructions: string, items: readonly ConversationItem[]): ChatMessage[] {
  const out: ChatMessage[] = [{ role: 'system', content: instructions }];
  let assistant: OpenAI.Chat.Completions.ChatCompletionAssistantMessageParam | undefined;
  const flush = () => {
    if (assistant) out.push(assistant);
    assistant = undefined;
  };
  for (const item of items) {
    if (item.type === 'message' && item.role === 'assistant') {
      flush();
      assistant = { role: 'assistant', content: item.content.map(c => c.text).join('') };
    } else if (item.type === 'function_call') {
      assistant ??= { role: 'assistant', content: null };
      (assistant.tool_calls ??= []).push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
    } else if (item.type === 'function_call_output') {
      flush();
      out.push({ role: 'tool', tool_call_id: item.call_id, content: item.output });
    } else {
      flush();
      // Many local servers' chat templates accept a system message only at the start: notes from
      // Switchyard to the model travel as user messages there.
      out.push({ role: 'user', content: item.content });
    }
  }
  flush();
  return out;
}

export function toChatTools(tools: readonly ResponsesTool[]): OpenAI.Chat.Completions.ChatCompletionTool[] {
  // Not strict: several OpenAI-compatible servers reject or ignore `strict`.
  return tools.map(t => ({ type: 'function', function: { name: t.name, description: t.description ?? '', parameters: t.parameters ?? {} } }));
}
