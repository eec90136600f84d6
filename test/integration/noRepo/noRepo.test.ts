// A window on a folder in no git repository: nothing starts, and once the folder is made one (git init and a
// first commit), Refresh or New Session finds it without a reload.
import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { SessionInfo } from '../../../src/protocol/types';
import { activated, sessionWhere, settled } from '../kit';

suite('a window on a folder in no repository', () => {
  test('no session starts until the folder is a repository; then Refresh finds it, and a session runs', async () => {
    const folder = fs.realpathSync(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
    const a = await activated();
    assert.strictEqual(a.repo(), undefined);
    const refused = await vscode.commands.executeCommand<SessionInfo | undefined>('switchyard.newSession', { task: '[script:int-alpha] add alpha', title: 'Too early' });
    assert.strictEqual(refused, undefined);

    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: folder });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'first');
    await vscode.commands.executeCommand('switchyard.refresh');
    assert.strictEqual(a.repo(), folder);

    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] add alpha', title: 'Now a repository' });
    assert.ok(s, 'the session was created');
    const done = await sessionWhere(a, s.id, settled, 'the session to finish');
    assert.strictEqual(done.status, 'done', done.statusReason);
  });
});
