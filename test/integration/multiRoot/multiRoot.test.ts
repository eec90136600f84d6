// A window of several folders: the first one inside a git repository is the one whose sessions run and
// show, and the Sessions view names it; Choose Repository switches the window to another.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { SessionInfo } from '../../../src/protocol/types';
import { api, sessionWhere, settled, until } from '../kit';

suite('a window of several folders', () => {
  test('the first folder inside a git repository is the one whose sessions run, and the Sessions view names it', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    assert.deepStrictEqual(folders.map(f => path.basename(f.uri.fsPath)), ['notes', 'app', 'lib'], 'the window has a folder outside git first');
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

  test('Choose Repository switches the window to another repository: its sessions show and start there, the other\'s transcript tabs close, and the choice is kept', async () => {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const a = await api();
    const app = fs.realpathSync(folders[1]!.uri.fsPath);
    const lib = fs.realpathSync(folders[2]!.uri.fsPath);
    const inApp = a.sessions().find(s => s.title === 'In the app');
    assert.ok(inApp, 'the first test\'s session is listed');
    await vscode.commands.executeCommand('switchyard.openTranscript', inApp.id);
    const appTabs = () => vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.label.includes('In the app')).length;
    await until(() => appTabs() === 1, 'its transcript tab to open');

    assert.strictEqual(await vscode.commands.executeCommand('switchyard.chooseRepository', lib), lib);
    assert.strictEqual(a.repo(), lib);
    assert.deepStrictEqual(a.sessions(), [], 'lib has no session yet: app\'s are not shown');
    // With none yet, the view still says which repository a new session starts in.
    assert.strictEqual(a.sessionsViewDescription(), 'lib');
    await until(() => appTabs() === 0, 'the other repository\'s transcript tab to close');
    // Kept: looking for the repositories again (Refresh, a folder added) keeps the one chosen.
    await vscode.commands.executeCommand('switchyard.refresh');
    assert.strictEqual(a.repo(), lib);

    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] add alpha', title: 'In the lib' });
    assert.ok(s, 'the session was created');
    const done = await sessionWhere(a, s.id, settled, 'the session to finish');
    assert.strictEqual(done.status, 'done', done.statusReason);
    assert.strictEqual(done.repo, lib);

    // Back: app's session is there again, and only it.
    await vscode.commands.executeCommand('switchyard.chooseRepository', app);
    assert.deepStrictEqual(a.sessions().map(x => x.title), ['In the app']);
    // A path that is no repository open here is refused, and changes nothing.
    assert.strictEqual(await vscode.commands.executeCommand('switchyard.chooseRepository', '/nowhere'), undefined);
    assert.strictEqual(a.repo(), app);
  });
});
