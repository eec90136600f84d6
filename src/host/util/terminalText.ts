// Text from a model, a command or a file, made safe to print on a terminal: an escape sequence in it could
// clear the screen, set the window's title, plant a link, or hide what follows; a direction-changing
// character could make a line read as another.

const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
const CSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;
const OTHER_ESCAPE = /\u001b[@-_]?/g;
// A carriage return only where a line ends (CRLF, as CSV has): alone, it would print over the line's start.
const CONTROLS_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` without escape sequences and control or direction-changing characters; line ends (LF, CRLF) and tabs kept when `keepLines`. */
export function terminalSafe(text: string, keepLines = true): string {
  return text
    .replace(OSC, '')
    .replace(CSI, '')
    .replace(OTHER_ESCAPE, '')
    .replace(keepLines ? CONTROLS_BUT_LINES : CONTROLS, '');
}

/**
 * A line of JSON made safe to print the same way, with its values intact: the characters JSON leaves as
 * they are (DEL, C1 controls, direction changes) written as `\uXXXX` escapes, which parse back to them.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
