// A window of several folders: the first one inside a git repository is the one whose sessions run and
// show, and the Sessions view names it.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionInfo } from '../../../src/protocol/types';
import { api, sessionWhere, settled, until } from '../kit';

suite('a window of several folders', () => {
  test('the first folder inside a git repository is the one whose sessions run, and the Sessions view names it', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepStrictEqual(folders.map(f => path.basename(f.uri.fsPath)), ['notes', 'app'], 'the window has a folder outside git first');
    const a = await api();
    const app = fs.realpathSync(folders[1]!.uri.fsPath);
    assert.strictEqual(a.repo(), app);

    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] add alpha', title: 'In the app' });
    assert.ok(s, 'the session was created');
    const done = await sessionWhere(a, s.id, settled, 'the session to finish');
    assert.strictEqual(done.status, 'done', done.statusReason);
    assert.strictEqual(done.repo, app);
    await until(() => a.sessionsViewDescription()?.startsWith('app · '), `the Sessions view to name the repository (it says "${a.sessionsViewDescription()}")`, a.onDidChangeSessions);
  });
});
