// Driving the real VS Code workbench as a user does: the palette, quick inputs, tree rows, the status bar,
// notifications and webviews. Every wait is on something visible, never a fixed sleep.
import path from 'node:path';

export class Workbench {
  constructor(page, shotsDir) {
    this.page = page;
    this.shotsDir = shotsDir;
  }

  async ready() {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await this.page.locator('.statusbar').waitFor({ timeout: 60000 });
  }

  /** F1, type the command's title, pick it. */
  async runCommand(title) {
    await this.closeQuickInput();
    // Keys typed while a webview has focus stay in its frame: give the workbench focus first.
    const bar = this.page.locator('.part.statusbar');
    const box = await bar.boundingBox();
    await bar.click({ position: { x: Math.round((box?.width ?? 800) / 2), y: Math.round((box?.height ?? 22) / 2) } });
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    // The palette can close again as it opens (focus moving after a tree click or a redraw under load;
    // seen once in CI): open it again rather than wait on a hidden input.
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press('F1');
      await input.waitFor();
      try {
        await input.fill(`>${title}`, { timeout: 5000 });
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
        await this.closeQuickInput();
      }
    }
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  async quickInputVisible() {
    return this.page.locator('.quick-input-widget').isVisible();
  }

  /** Types into the open input box and confirms. */
  async answerInput(text) {
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.waitFor();
    await input.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /** Picks the quick-pick item whose label contains `text`: typed into the filter, then Enter. */
  /** Picks the item `text` names; `detail`, when given, must match what the item shows before it is picked. */
  async pick(text, detail = undefined) {
    // The list must be up first: the input box of a previous step shares the same widget.
    await this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first().waitFor();
    const input = this.page.locator('.quick-input-widget input[type="text"]');
    await input.fill(text);
    const row = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: text }).first();
    await row.waitFor();
    if (detail) await row.filter({ hasText: detail }).waitFor({ timeout: 5000 });
    await this.page.keyboard.press('Enter');
  }

  /**
   * Starts a session from the palette, as a user does: the task, a title, then each [field, choice] of
   * `options` (e.g. ['Agent', 'codex']), then Start, once its summary matches `summary` when given.
   */
  async newSession(task, title, options = [], summary = undefined) {
    await this.runCommand('Switchyard: New Session…');
    await this.answerInput(task);
    await this.pick('Title');
    await this.answerInput(title);
    for (const [field, choice] of options) {
      await this.pick(field);
      await this.pick(choice);
    }
    await this.pick('Start session', summary);
  }

  async closeQuickInput() {
    if (await this.quickInputVisible()) await this.page.keyboard.press('Escape');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' }).catch(() => {});
  }

  async openSwitchyard() {
    const bar = this.page.locator('.activitybar [aria-label^="Switchyard"]').first();
    await bar.waitFor({ timeout: 30000 });
    const expanded = await bar.getAttribute('aria-expanded');
    if (expanded !== 'true') await bar.click();
    await this.page.locator('.pane-header', { hasText: 'Sessions' }).waitFor();
  }

  sessionRow(title) {
    return this.page.locator('.pane-body .monaco-list-row', { hasText: title }).first();
  }

  async waitForRowText(title, pattern, timeout = 60000) {
    const row = this.sessionRow(title);
    await row.waitFor({ timeout });
    await this.page.waitForFunction(
      ([t, src]) => [...document.querySelectorAll('.pane-body .monaco-list-row')].some(r => r.textContent.includes(t) && new RegExp(src).test(r.textContent)),
      [title, pattern.source],
      { timeout },
    );
    return (await row.innerText()).replace(/\s+/g, ' ');
  }

  statusItem(text) {
    return this.page.locator('.statusbar-item', { hasText: text }).first();
  }

  notification(text) {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  }

  /**
   * The notification saying `text`, where the user can see it: its toast, or, when VS Code did not draw one
   * (it drops toasts that come in a burst, and hides the oldest past three), the Notifications center,
   * opened as a user would from the bell. Returns the locator and a function that closes the center again.
   */
  async shownNotification(text, timeout = 30000) {
    const toast = this.notification(text);
    const waitToast = Math.min(timeout, 10000);
    if (await toast.waitFor({ timeout: waitToast }).then(() => true, () => false)) return { item: toast, where: 'toast', close: async () => {} };
    await this.runCommand('Notifications: Show Notifications');
    const item = this.page.locator('.notifications-center .notification-list-item', { hasText: text }).first();
    await item.waitFor({ timeout: timeout - waitToast });
    const close = async () => {
      await this.runCommand('Notifications: Hide Notifications');
      await this.page.locator('.notifications-center').waitFor({ state: 'hidden' });
    };
    return { item, where: 'the Notifications center', close };
  }

  /** What a failed step leaves to read in a CI log: the sidebar's rows, the notifications, the open quick input. */
  async describe() {
    const texts = async sel => (await this.page.locator(sel).allInnerTexts().catch(() => [])).map(t => t.replace(/\s+/g, ' ').trim()).filter(Boolean);
    return [
      ['session rows', await texts('.pane-body .monaco-list-row')],
      ['toasts', await texts('.notifications-toasts .notification-toast')],
      ['notifications center', await texts('.notifications-center .notification-list-item')],
      ['quick input', await texts('.quick-input-widget:visible')],
      ['dialog', await texts('.monaco-dialog-box')],
    ].map(([what, lines]) => `  ${what}:${lines.length ? lines.map(l => `\n    ${l.slice(0, 300)}`).join('') : ' none'}`).join('\n');
  }

  /**
   * Waits until some webview (their content lives in nested frames) shows `selector`, and returns that
   * frame's locator for it.
   */
  async inWebview(selector, timeout = 30000) {
    const deadline = Date.now() + timeout;
    for (;;) {
      for (const frame of this.page.frames()) {
        const loc = frame.locator(selector).first();
        if (await loc.isVisible().catch(() => false)) return loc;
      }
      if (Date.now() > deadline) throw new Error(`no webview shows ${selector}`);
      await this.page.waitForTimeout(200);
    }
  }

  async screenshot(name) {
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' }).catch(() => {});
    const file = path.join(this.shotsDir, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
