import * as assert from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MergeResult } from '../../src/protocol/sessions';
import type { SessionInfo } from '../../src/protocol/types';
import { Approvals } from '../../src/extension/approvals';
import { HELPER_NAME } from '../../src/host/util/launcher';
import { childrenNamed } from '../benchSuite/procStats';
import { api, EXTENSION_ID, sessionWhere, settled, until } from './kit';

suite('sessions in a real VS Code', () => {
  test('two sessions run, show their transcript and changes, and one merges back', async () => {
    const a = await api();
    const repo = a.repo()!;
    const first = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] add alpha', title: 'Add alpha' });
    const second = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-beta] add beta', title: 'Add beta' });
    assert.ok(first && second, 'both sessions were created');
    const doneA = await sessionWhere(a, first.id, settled, 'session alpha to finish');
    const doneB = await sessionWhere(a, second.id, settled, 'session beta to finish');
    assert.strictEqual(doneA.status, 'done', doneA.statusReason);
    assert.strictEqual(doneB.status, 'done', doneB.statusReason);
    assert.ok(doneA.usage.requests >= 3 && doneA.costUsd > 0);

    await vscode.commands.executeCommand('switchyard.openTranscript', first.id);
    await until(() => vscode.window.tabGroups.all.flatMap(g => g.tabs).find(t => t.label === 'Agent: Add alpha'), 'the transcript tab');

    await vscode.commands.executeCommand('switchyard.showChanges', first.id);
    await until(() => vscode.window.tabGroups.all.flatMap(g => g.tabs).find(t => t.label.includes('Add alpha (switchyard/')), 'the multi-file diff editor');

    assert.ok(!fs.existsSync(path.join(repo, 'alpha.txt')), 'nothing lands in the checkout before a merge');
    const merged = await vscode.commands.executeCommand<MergeResult>('switchyard.mergeSession', first.id, 'squash');
    assert.ok(merged?.ok, `merge failed: ${JSON.stringify(merged)}`);
    assert.strictEqual(fs.readFileSync(path.join(repo, 'alpha.txt'), 'utf8'), 'alpha\n');
    await sessionWhere(a, first.id, s => s.status === 'merged', 'the merged status');
    assert.ok(!fs.existsSync(path.join(repo, 'beta.txt')), 'the other session is still apart');
    // Its worktree gone, its Show Changes is closed: it would show the files as if they were still there.
    assert.ok(!vscode.window.tabGroups.all.flatMap(g => g.tabs).some(t => t.label.includes('Add alpha (switchyard/')), `the diff of the merged session is closed: ${JSON.stringify(vscode.window.tabGroups.all.flatMap(g => g.tabs).map(t => t.label))}`);
    assert.ok(vscode.window.tabGroups.all.flatMap(g => g.tabs).some(t => t.label === 'Agent: Add alpha'), 'its transcript stays');
  });

  test("a row's click opens a preview tab that the next click reuses, until it is kept", async () => {
    const a = await api();
    const [alpha, beta] = ['Add alpha', 'Add beta'].map(t => a.sessions().find(s => s.title === t)!);
    assert.ok(alpha && beta, 'the first test left its two sessions');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const transcriptTabs = () => vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.label.startsWith('Agent: ')).map(t => t.label).sort();
    const click = async (id: string) => {
      await a.revealSession(id);
      await until(() => a.selectedSession()?.id === id, 'the row to be selected');
      await vscode.commands.executeCommand('switchyard.openClickedSession');
    };
    const tabsAre = (labels: string[], what: string) =>
      until(() => JSON.stringify(transcriptTabs()) === JSON.stringify(labels), `${what} (tabs: ${JSON.stringify(transcriptTabs())})`);

    await click(alpha.id);
    await tabsAre(['Agent: Add alpha'], 'the preview of alpha');
    await click(beta.id);
    await tabsAre(['Agent: Add beta'], 'beta shown in the same tab');
    // Kept, it stays; the next click opens a preview of its own.
    await vscode.commands.executeCommand('switchyard.keepTranscriptOpen');
    await click(alpha.id);
    await tabsAre(['Agent: Add alpha', 'Agent: Add beta'], 'alpha beside the kept beta');
    // Opened by its command, a transcript is a tab of its own: no later click takes it.
    await vscode.commands.executeCommand('switchyard.openTranscript', alpha.id);
    await click(beta.id);
    await tabsAre(['Agent: Add alpha', 'Agent: Add beta'], 'both tabs kept');
    // With the editor's previews turned off, every click keeps its tab.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const editor = vscode.workspace.getConfiguration('workbench.editor');
    await editor.update('enablePreview', false, vscode.ConfigurationTarget.Global);
    try {
      await click(alpha.id);
      await click(beta.id);
      await tabsAre(['Agent: Add alpha', 'Agent: Add beta'], 'a tab for each click');
    } finally {
      await editor.update('enablePreview', undefined, vscode.ConfigurationTarget.Global);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  test('a session can be paused and resumed from commands', async () => {
    const a = await api();
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-slow] slow work', title: 'Slow work' });
    await sessionWhere(a, s.id, x => x.status === 'running', 'the session to run');
    // This tier runs with SWITCHYARD_LAUNCHER_ABOVE=0: while a session runs, the agent host's processes
    // start from its launcher process (src/host/util/launcher.ts), here in a real editor's agent host.
    const { pid } = await a.hostReady();
    await until(() => childrenNamed(pid, HELPER_NAME).length > 0, 'the agent host\'s launcher process');
    // It inherits the agent host's background priority, and so does everything it starts.
    assert.strictEqual(os.getPriority(childrenNamed(pid, HELPER_NAME)[0]), os.getPriority(pid));
    // Its row selected, a row command that VS Code gives no row (one it forgot in a redraw) does nothing:
    // it must not fall back to the selected row, which may be another session.
    // A reveal that lands while the tree redraws finds no row and is dropped by VS Code: ask again until it takes.
    await until(() => {
      if (a.selectedSession()?.id === s.id) return true;
      void a.revealSession(s.id);
      return false;
    }, 'the row to be selected');
    await vscode.commands.executeCommand('switchyard.pauseSession', undefined);
    await vscode.commands.executeCommand('switchyard.refresh');
    assert.strictEqual(a.sessions().find(x => x.id === s.id)?.status, 'running', 'a lost row paused the selected session');
    // From the palette (no argument at all), the command acts on the selected row.
    await vscode.commands.executeCommand('switchyard.pauseSession');
    await sessionWhere(a, s.id, x => x.status === 'paused', 'the session to pause');
    // Another session's transcript brought to the front after the row was selected: a command from the
    // palette is about the transcript being read, not the row left selected.
    const other = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-slow] read me', title: 'Read me' });
    await sessionWhere(a, other.id, x => x.status === 'running', 'the second session to run');
    await vscode.commands.executeCommand('switchyard.pauseSession', other.id);
    await sessionWhere(a, other.id, x => x.status === 'paused', 'the second session to pause');
    await until(() => {
      if (a.selectedSession()?.id === s.id) return true;
      void a.revealSession(s.id);
      return false;
    }, 'the first row to be selected again');
    await vscode.commands.executeCommand('switchyard.openTranscript', other.id);
    await until(() => vscode.window.tabGroups.activeTabGroup.activeTab?.label.includes('Read me') === true, 'its transcript to be in front');
    await vscode.commands.executeCommand('switchyard.resumeSession');
    const read = await sessionWhere(a, other.id, settled, 'the session whose transcript is in front to resume and finish');
    assert.strictEqual(read.status, 'done', read.statusReason);
    assert.strictEqual(a.sessions().find(x => x.id === s.id)?.status, 'paused', 'the row left selected was resumed');
    await vscode.commands.executeCommand('switchyard.resumeSession', s.id);
    const done = await sessionWhere(a, s.id, settled, 'the resumed session to finish');
    assert.strictEqual(done.status, 'done', done.statusReason);
  });

  test('a session stopped from its command is stopped, not failed, and can be resumed', async () => {
    const a = await api();
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-slow] stop me', title: 'Stop me' });
    await sessionWhere(a, s.id, x => x.status === 'running', 'the session to run');
    await vscode.commands.executeCommand('switchyard.stopSession', s.id);
    const stopped = await sessionWhere(a, s.id, x => x.status === 'stopped', 'the session to stop');
    assert.strictEqual(stopped.statusReason, 'Stopped by the user.');
    await vscode.commands.executeCommand('switchyard.resumeSession', s.id);
    const done = await sessionWhere(a, s.id, x => x.status !== 'stopped' && settled(x), 'the resumed session to finish');
    assert.strictEqual(done.status, 'done', done.statusReason);
  });

  test("with the machine's slots taken by a CLI run, a new session waits, says why, and starts once the run ends", async () => {
    const a = await api();
    const config = vscode.workspace.getConfiguration('switchyard');
    const home = process.env.SWITCHYARD_HOME!;
    await config.update('maxConcurrentSessions', 1, vscode.ConfigurationTarget.Global);
    // The CLI run is a command agent that holds its slot until told to let go (a file appears), so this
    // window sees it and asks for a slot meanwhile, however slow the machine.
    const release = path.join(os.tmpdir(), `switchyard-release-${process.pid}-${Date.now()}`);
    try {
      // The host has the new limit once it has saved it for CLI runs.
      await until(() => /"maxConcurrentSessions": 1\b/.test(readOr(path.join(home, 'config.json'))), 'the host to take the limit of 1');
      const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
      const env = { ...process.env, SWITCHYARD_HOME: home, OPENAI_BASE_URL: config.get<string>('baseUrl')!, OPENAI_API_KEY: 'sk-integration-test' };
      const run = spawn(process.execPath, [cli, 'run', '--repo', a.repo()!, '--task', 'elsewhere', '--command', `while [ ! -e '${release}' ]; do sleep 0.1; done`, '--json', '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      run.stdout.on('data', (d: Buffer) => (out += d.toString()));
      run.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const ended = new Promise<number | null>(resolve => run.on('exit', code => resolve(code)));
      // The CLI's session shows here, running, from the editor's next look at the repository.
      const theirs = await until(() => a.sessions().find(x => x.task === 'elsewhere' && x.status === 'running'), 'the CLI run to show as running');
      const mine = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] after the CLI run', title: 'After the CLI run' });
      const waiting = await sessionWhere(a, mine.id, x => x.status === 'queued' && /^Waiting for a free slot/.test(x.statusReason ?? ''), 'the new session to wait for the machine');
      assert.strictEqual(waiting.statusReason, 'Waiting for a free slot: 1 agent runs on this machine (limit 1), all in other windows or CLI runs.');
      assert.strictEqual(waiting.queuePosition, 1);
      fs.writeFileSync(release, '');
      assert.strictEqual(await ended, 0, out);
      const done = await sessionWhere(a, mine.id, settled, 'the waiting session to run once the CLI run ended');
      assert.strictEqual(done.status, 'done', done.statusReason);
      await sessionWhere(a, theirs.id, x => x.status === 'done', "the CLI run's session to show as done");
    } finally {
      fs.writeFileSync(release, '');
      await config.update('maxConcurrentSessions', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a session another process ran, left paused when that process ended, is said here with Resume It; this window resumes it', async () => {
    const a = await api();
    const config = vscode.workspace.getConfiguration('switchyard');
    const release = path.join(os.tmpdir(), `switchyard-release-${process.pid}-${Date.now()}-killed`);
    const cli = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
    const env = { ...process.env, OPENAI_BASE_URL: config.get<string>('baseUrl')!, OPENAI_API_KEY: 'sk-integration-test' };
    type Show = (message: string, ...items: string[]) => Thenable<string | undefined>;
    const window = vscode.window as unknown as { showInformationMessage: Show; showWarningMessage: Show };
    const [show, warn] = [window.showInformationMessage, window.showWarningMessage];
    const said: { message: string; items: string[] }[] = [];
    window.showInformationMessage = window.showWarningMessage = (message: string, ...items: string[]) => {
      said.push({ message, items });
      // Resume It, as a user would click it.
      return Promise.resolve(items.find(i => i === 'Resume It'));
    };
    try {
      // A command agent that waits for the file and then ends: run by the CLI first, by this window once resumed.
      const run = spawn(process.execPath, [cli, 'run', '--repo', a.repo()!, '--task', 'killed elsewhere', '--command', `while [ ! -e '${release}' ]; do sleep 0.1; done`, '--json', '--quiet'], { env, stdio: 'ignore' });
      const theirs = await until(() => a.sessions().find(x => x.task === 'killed elsewhere' && x.status === 'running'), 'the CLI run to show as running');
      assert.strictEqual(theirs.runsHere, undefined, 'another process runs it');
      // Killed outright, as a window or run that crashed: it writes nothing more.
      run.kill('SIGKILL');
      await until(() => said.find(x => /^Switchyard: 1 session was paused when the window or run running it closed\.$/.test(x.message)), 'this window to say the session was paused');
      await sessionWhere(a, theirs.id, x => x.status === 'running' && x.runsHere === true, 'Resume It to run it here');
      // This window's own host restarted while it runs the session: said by the restart, not as another's.
      await vscode.commands.executeCommand('switchyard.restartHost');
      await until(() => said.find(x => x.message === 'Switchyard: the restart paused 1 running session.'), "the restart's own word");
      await sessionWhere(a, theirs.id, x => x.status === 'running' && x.runsHere === true, 'Resume It, after the restart');
      await new Promise(r => setTimeout(r, 9000));
      fs.writeFileSync(release, '');
      assert.strictEqual((await sessionWhere(a, theirs.id, settled, 'the resumed session to finish')).status, 'done');
      assert.deepStrictEqual(said.filter(x => /paused/.test(x.message)).map(x => x.message), [
        'Switchyard: 1 session was paused when the window or run running it closed.',
        'Switchyard: the restart paused 1 running session.',
      ], 'each pause said once, by the window that can tell what paused it');
    } finally {
      window.showInformationMessage = show;
      window.showWarningMessage = warn;
      fs.writeFileSync(release, '');
    }
  });

  test('Merge Back of a session that changed nothing says so at once, without offering three strategies first', async () => {
    const a = await api();
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-nothing] look only', title: 'Looks only' });
    assert.ok(s, 'the session was created');
    const done = await sessionWhere(a, s.id, settled, 'the session to finish');
    assert.strictEqual(done.statusReason, 'Finished without changing files.');
    // A strategy picker would wait here for a choice nobody makes.
    const r = await vscode.commands.executeCommand<MergeResult | undefined>('switchyard.mergeSession', s.id);
    assert.strictEqual(r?.ok, false);
    assert.strictEqual(r.ok === false && r.reason, 'nothing-to-merge');
  });

  test('Discard offers to commit the uncommitted work to the branch first, which keeps it whole', async () => {
    const a = await api();
    const repo = a.repo()!;
    const s = await vscode.commands.executeCommand<SessionInfo>('switchyard.newSession', { task: '[script:int-alpha] half done', title: 'Half done' });
    await sessionWhere(a, s.id, settled, 'the session to finish');
    fs.writeFileSync(path.join(s.worktree, 'notes.txt'), 'mine\n');
    const r = await vscode.commands.executeCommand<{ ok: boolean; branchKept?: boolean }>('switchyard.discardSession', s.id, 'Commit to Branch, Then Discard');
    assert.deepStrictEqual(r, { ok: true, branchKept: true });
    await sessionWhere(a, s.id, x => x.status === 'discarded', 'the discarded status');
    assert.ok(!fs.existsSync(s.worktree));
    const show = spawnSync('git', ['show', `${s.branch}:notes.txt`], { cwd: repo, encoding: 'utf8' });
    assert.strictEqual(show.stdout, 'mine\n', show.stderr);
  });

  test('an approval notification clicked after its question was answered from the row says so, and offers the question asked now', async () => {
    const window = vscode.window as unknown as { showWarningMessage: (...args: unknown[]) => Thenable<string | undefined>; showInformationMessage: (...args: unknown[]) => Thenable<string | undefined> };
    const [warn, info] = [window.showWarningMessage, window.showInformationMessage];
    const notices: ((choice: string | undefined) => void)[] = [];
    const said: string[] = [];
    // Notifications wait for a click; the row's dialog (modal) is answered Approve at once.
    window.showWarningMessage = (_m: unknown, options: unknown) =>
      typeof options === 'object' && options !== null && 'modal' in options ? Promise.resolve('Approve') : new Promise<string | undefined>(r => notices.push(r));
    window.showInformationMessage = (m: unknown) => {
      said.push(String(m));
      return Promise.resolve(undefined);
    };
    const approvals = new Approvals();
    try {
      const token = new vscode.CancellationTokenSource().token;
      const first = approvals.ask({ sessionId: 's1', title: 'Tests', command: 'echo hello', cwd: '/tmp' }, token);
      await until(() => notices.length === 1, 'the first notification');
      await approvals.review('s1');
      assert.deepStrictEqual(await first, { approved: true });
      void approvals.ask({ sessionId: 's1', title: 'Tests', command: 'ls -la', cwd: '/tmp' }, token);
      await until(() => notices.length === 2, 'the second notification');
      // The first notification's Approve, clicked late: it answers nothing, and says so.
      notices[0]!('Approve');
      await until(() => said.length > 0, 'a word on the late click');
      assert.strictEqual(said[0], 'Switchyard: that command of "Tests" was approved already; nothing was changed. It asks about another command now.');
      assert.ok(approvals.isWaiting('s1'), 'the question asked now is still open');
    } finally {
      window.showWarningMessage = warn;
      window.showInformationMessage = info;
      approvals.dispose();
    }
  });
});

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
