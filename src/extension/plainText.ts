// Text from agents, model servers and sessions' titles, shown in notifications. VS Code turns
// `[label](target)` in a notification's message into a link, and runs `command:` targets when clicked: an
// agent could hide part of a command behind a label, or offer a click that runs a VS Code command.

/** A link in a notification's markdown (VS Code's own pattern is narrower; this errs on the safe side). */
const LINK = /\[[^\]]*\]\s*\(/;

export function hasLink(text: string): boolean {
  return LINK.test(text);
}

/** The same text with no link in it: a zero-width space between `]` and `(`, which shows nothing. */
export function plainText(text: string): string {
  return text.replace(/\](\s*)\(/g, ']\u200b$1(');
}
