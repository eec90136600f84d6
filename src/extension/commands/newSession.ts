// "Switchyard: New Session…": the task first, then a summary the user can start at once (Enter) or
// adjust item by item: title, role, agent, model, tier, budget, base branch. Called with a
// CreateSessionParams-like object, it starts without asking (tests, keybindings, other extensions).
import * as vscode from 'vscode';
import path from 'node:path';
import { SessionsProtocol, type CreateSessionParams, type RepoBranches, type RoleInfo } from '../../protocol/sessions';
import type { AgentKind, ApprovalPolicy, SessionInfo, Tier } from '../../protocol/types';
import { usdExact } from '../../protocol/money';
import { MIN_SESSION_BUDGET_USD, readSettings } from '../settings';
import type { CommandContext } from './context';
import { askBriefly } from './askBriefly';
import { budgetAboveCapsLeft } from './budgetRoom';
import { dollarsIn, isDollars } from './dollars';
import { isPriced, pickModel, UNPRICED_WARNING } from './modelPick';
import { errorText, refusedUntrusted } from './pick';
import { refusal } from './startRefusal';
import { baseLooks } from './baseLooks';
import { chooseRepository } from './repoChoice';
import { noRepositoryMessage } from './noRepository';

type Draft = Omit<CreateSessionParams, 'repo'>;

/**
 * A task typed and then left (Escape) before its session started: offered again at the next New Session of
 * this window, so a long task typed by hand is not lost to one key. The text only: the defaults it would
 * start with (the branch checked out, the settings) may have changed since.
 */
let unstarted: string | undefined;

export async function newSession(ctx: CommandContext, arg?: unknown): Promise<SessionInfo | undefined> {
  // Looked for again when there was none: the folder may have become a repository (git init) since.
  let repo = ctx.repo() ?? (await ctx.findRepo().catch(() => undefined));
  if (!repo) {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter(f => f.uri.scheme === 'file').map(f => f.uri.fsPath);
    const { message, open } = noRepositoryMessage(folders, ctx.noCommitsYet());
    void vscode.window.showErrorMessage(message, ...open.map(o => o.label)).then(choice => {
      const picked = open.find(o => o.label === choice);
      if (picked) void vscode.commands.executeCommand('vscode.openFolder', picked.folder ? vscode.Uri.file(picked.folder) : undefined);
    });
    return undefined;
  }
  if (refusedUntrusted('no session starts')) return undefined;
  const given = typeof arg === 'object' && arg !== null && typeof (arg as Draft).task === 'string' ? (arg as Draft) : undefined;
  let asked = given ? { draft: given, repo } : await askDraft(ctx, repo, undefined);
  while (asked) {
    const { draft } = asked;
    repo = asked.repo;
    try {
      // Making the worktree checks out the repository: seconds on a large one.
      const session = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Switchyard: starting "${draft.title ?? 'a session'}"` }, () => ctx.host.request(SessionsProtocol.create, { ...draft, repo: ctx.startFolder(repo!) }));
      ctx.state.update(session);
      ctx.setActiveSession(session.id);
      if (!given) {
        await ctx.tree.reveal(session);
      }
      return session;
    } catch (err) {
      const refused = refusal(errorText(err));
      // Called with its fields (a script, another extension): said, and the caller is not kept waiting.
      if (given) {
        void vscode.window.showErrorMessage(refused.message, ...refused.actions).then(choice => choice && void vscode.commands.executeCommand(refused.command!, ...(refused.args ?? [])));
        return undefined;
      }
      // Typed into the dialog: what was typed is kept for another try.
      const retry = 'Edit and Retry';
      const choice = await vscode.window.showErrorMessage(refused.message, ...refused.actions, retry);
      if (!choice) {
        unstarted = draft.task;
        return undefined;
      }
      if (choice !== retry) await vscode.commands.executeCommand(refused.command!, ...(refused.args ?? []));
      asked = await askDraft(ctx, repo, draft);
    }
  }
  return undefined;
}

/** The draft the user starts, and the repository it starts in (of several open, the user may switch). */
async function askDraft(ctx: CommandContext, repo: string, retried: Draft | undefined): Promise<{ draft: Draft; repo: string } | undefined> {
  const selection = vscode.window.activeTextEditor?.selection;
  const selected = selection && !selection.isEmpty ? vscode.window.activeTextEditor?.document.getText(selection)?.trim() : undefined;
  // Text selected now is a new task; otherwise one left unstarted comes back.
  const left = !retried && !selected ? unstarted : undefined;
  const prompt = retried
    ? 'The task as you gave it; edit it or press Enter.'
    : left
      ? 'The task you typed last time and did not start; edit it, press Enter, or clear it for another.'
      : selected
        ? 'The selected text is the task; edit it or press Enter.'
        : 'What should the agent do? (Select text in an editor first for a multi-line task.)';
  const asked = await askTask(prompt, retried?.task ?? left ?? selected);
  // Left again, it is kept; cleared, forgotten; taken up, it is the draft's now (left again at step 2, it comes back).
  if (asked.left !== undefined) unstarted = asked.left.trim() ? asked.left : undefined;
  else if (left !== undefined) unstarted = undefined;
  const task = asked.task;
  if (!task) return undefined;
  const { settings } = readSettings();
  let { roles, branches } = await repoFacts(ctx, repo);
  // Tier and budget stay unset until adjusted: until then they are the role's own, if it has them.
  const draft: Draft = retried ? { ...retried, task } : { task, role: settings.defaultRole, agent: 'builtin', model: settings.model, baseBranch: branches.current };
  const priced = new Map<string, boolean | undefined>();
  const firsts = new Map<string, number | null | undefined>();
  for (;;) {
    const model = draft.model ?? settings.model;
    if (!priced.has(model)) priced.set(model, await isPriced(ctx.host, model));
    const unpriced = priced.get(model) === false;
    const role = roles.find(r => r.name === draft.role);
    const tier: Tier = draft.tier ?? role?.tier ?? settings.defaultTier;
    const budgetUsd = draft.budgetUsd !== undefined ? draft.budgetUsd : role?.budgetUsd ?? settings.budgets.sessionUsd;
    const approval = draft.approval ?? settings.defaultApproval;
    const firstUsd = (draft.agent ?? 'builtin') === 'builtin' && !unpriced ? await firstRequestUsd(ctx, repo, draft, firsts) : null;
    // No dollar cap holds a model without a price (the Model row says so), nor keeps a command agent from
    // starting: none is said to stop them.
    const aboveCaps = unpriced || draft.agent === 'command' ? undefined : budgetAboveCapsLeft(budgetUsd, ctx.state.spend, firstUsd);
    const budgetText = budgetUsd == null ? 'no session cap' : `${usdExact(budgetUsd)} cap`;
    const several = ctx.repos().length > 1;
    // Opened on a folder below the root (a monorepo's package): the agent is told the user works there. Said
    // early in the row, which a narrow window cuts at its end.
    const within = branches.folder ? `works in ${branches.folder}/ · ` : '';
    const base = baseLooks(draft.baseBranch!, branches);
    // The warning leads the summary: a long one is cut at the window's edge, and the Budget row says it whole.
    const warnings = [aboveCaps?.short, base.warning].filter(Boolean);
    const warning = warnings.length ? `$(warning) ${warnings.join('; ')} · ` : '';
    const items: (vscode.QuickPickItem & { key: string })[] = [
      { key: 'start', label: '$(play) Start session', detail: `${warning}${several ? `in ${path.basename(repo)} · ` : ''}${within}${draft.agent} agent · ${draft.role} · ${model}${unpriced ? ' (no price)' : ''} · ${tier} · ${budgetText} · from ${base.said}${commandsNote(approval, role, draft.agent ?? 'builtin')}` },
      { key: 'sep', label: 'Adjust', kind: vscode.QuickPickItemKind.Separator },
      ...(several ? [{ key: 'repo', label: '$(repo) Repository', description: `${path.basename(repo)} — ${repo}` }] : []),
      { key: 'title', label: '$(edit) Title', description: draft.title ?? '(first line of the task)' },
      { key: 'role', label: '$(person) Role', description: `${draft.role}${role ? ` — ${role.description}` : ''}` },
      { key: 'agent', label: '$(hubot) Agent', description: draft.agent === 'command' ? `command: ${draft.command ?? ''}` : draft.agent },
      { key: 'model', label: '$(sparkle) Model', description: unpriced ? `${model} $(warning) ${UNPRICED_WARNING}` : model },
      { key: 'tier', label: '$(dashboard) Tier', description: tier },
      { key: 'approval', label: '$(shield) Commands', description: role?.runsCommands === false ? `none: the ${role.name} role runs no command (it only reads)` : draft.agent && draft.agent !== 'builtin' && approval === 'ask' ? UNASKED[draft.agent] : APPROVAL_LABELS[approval] },
      { key: 'budget', label: '$(credit-card) Budget', description: `${budgetUsd == null ? 'none (day and month caps apply)' : usdExact(budgetUsd)}${aboveCaps ? ` $(warning) ${aboveCaps.what}: ${aboveCaps.so}` : ''}` },
      { key: 'base', label: '$(git-branch) Base branch', description: base.detail },
    ];
    const pick = await vscode.window.showQuickPick(items, { title: 'New Switchyard session (2/2): start, or adjust', ignoreFocusOut: true });
    if (!pick) {
      unstarted = draft.task;
      return undefined;
    }
    if (pick.key === 'start') return { draft: { ...draft, tier, budgetUsd }, repo };
    if (pick.key === 'repo') {
      const chosen = await chooseRepository(ctx);
      if (chosen && chosen !== repo) {
        // Another repository's branches and roles: it starts from what is checked out there.
        repo = chosen;
        ({ roles, branches } = await repoFacts(ctx, repo));
        draft.baseBranch = branches.current;
        if (!roles.some(r => r.name === draft.role)) draft.role = settings.defaultRole;
      }
      continue;
    }
    await adjust(ctx, pick.key, draft, roles, branches, budgetUsd);
  }
}

/** A repository's roles and branches, as New Session offers them. */
async function repoFacts(ctx: CommandContext, repo: string): Promise<{ roles: RoleInfo[]; branches: RepoBranches }> {
  const [roles, branches] = await Promise.all([
    ctx.host.request(SessionsProtocol.roles, { repo }).catch(() => [] as RoleInfo[]),
    ctx.host.request(SessionsProtocol.branches, { repo: ctx.startFolder(repo) }).catch((): RepoBranches => ({ current: 'HEAD', branches: [] })),
  ]);
  return { roles, branches };
}

/** The first request's least reservation for the draft as it stands (asked once per shape of it), if the host can say. */
async function firstRequestUsd(ctx: CommandContext, repo: string, d: Draft, cache: Map<string, number | null | undefined>): Promise<number | null | undefined> {
  const p = { repo: ctx.startFolder(repo), task: d.task, title: d.title, role: d.role, model: d.model, baseBranch: d.baseBranch };
  const key = JSON.stringify(p);
  if (!cache.has(key)) cache.set(key, (await askBriefly(ctx.host, () => ctx.host.request(SessionsProtocol.firstRequest, p)))?.usd);
  return cache.get(key);
}

/**
 * Only the built-in agent's commands can be asked about one by one: a command agent runs its own, inside
 * Switchyard's sandbox, and Codex its own, inside its sandbox, asking nobody (its `exec` mode cannot).
 */
const UNASKED: Record<Exclude<AgentKind, 'builtin'>, string> = {
  command: 'not asked one by one: a command agent runs its own commands, inside the sandbox',
  codex: "not asked one by one: Codex runs its own commands, inside its own sandbox (writes only in the worktree)",
};

/** The summary's word on commands, where they are not run unasked. */
function commandsNote(approval: ApprovalPolicy, role: RoleInfo | undefined, agent: AgentKind): string {
  if (role?.runsCommands === false || approval === 'read-only') return ' · reads only';
  if (approval !== 'ask') return '';
  return agent === 'builtin' ? ' · asks before each command' : ' · commands run sandboxed, not asked one by one';
}

/**
 * The task's input box. An input box that is closed unanswered gives nothing back, so the text in it is read
 * as it closes (`left`), to be offered again.
 */
function askTask(prompt: string, value: string | undefined): Promise<{ task?: string; left?: string }> {
  const box = vscode.window.createInputBox();
  box.title = 'New Switchyard session (1/2): the task';
  box.prompt = prompt;
  box.value = value ?? '';
  box.placeholder = 'e.g. Add input validation to the signup form and cover it with tests';
  box.ignoreFocusOut = true;
  return new Promise(resolve => {
    let answered = false;
    box.onDidChangeValue(v => (box.validationMessage = v.trim() ? undefined : 'Describe the task the agent should do.'));
    box.onDidAccept(() => {
      if (!box.value.trim()) {
        box.validationMessage = 'Describe the task the agent should do.';
        return;
      }
      answered = true;
      resolve({ task: box.value });
      box.hide();
    });
    box.onDidHide(() => {
      if (!answered) resolve({ left: box.value });
      box.dispose();
    });
    box.show();
  });
}

async function adjust(ctx: CommandContext, key: string, d: Draft, roles: RoleInfo[], branches: RepoBranches, budgetUsd: number | null): Promise<void> {
  switch (key) {
    case 'title': {
      const v = await vscode.window.showInputBox({ title: 'Session title', value: d.title ?? '', prompt: 'Also names the branch (switchyard/<title>).' });
      if (v !== undefined) d.title = v.trim() || undefined;
      break;
    }
    case 'role': {
      const p = await vscode.window.showQuickPick(roles.map(r => ({ label: r.name, description: r.source === 'repo' ? 'this repository' : undefined, detail: r.description })), { title: 'Role' });
      if (p) {
        d.role = p.label;
        d.tier = undefined;
        d.budgetUsd = undefined;
      }
      break;
    }
    case 'agent': {
      const p = await vscode.window.showQuickPick(
        [
          { label: 'builtin', detail: "Switchyard's own agent (tools in the worktree, sandboxed commands)." },
          { label: 'codex', detail: "OpenAI's Codex CLI, run through Switchyard's gateway (metered, capped, guarded)." },
          { label: 'command', detail: 'Any command that honours OPENAI_BASE_URL and OPENAI_API_KEY.' },
        ],
        { title: 'Agent' },
      );
      if (!p) break;
      if (p.label === 'command') {
        const command = (await vscode.window.showInputBox({
          title: 'Command to run in the worktree',
          value: d.command,
          ignoreFocusOut: true,
          validateInput: v => (v.trim() ? undefined : 'The command is the agent: say what to run (it gets OPENAI_BASE_URL and OPENAI_API_KEY).'),
        }))?.trim();
        // Escape keeps the agent as it was: a command agent with no command could only be refused at Start.
        if (!command) break;
        d.command = command;
      }
      d.agent = p.label as AgentKind;
      break;
    }
    case 'model': {
      const model = await pickModel(ctx.host, d.model ?? readSettings().settings.model);
      if (model) d.model = model;
      break;
    }
    case 'tier': {
      const p = await vscode.window.showQuickPick(tierItems(), { title: 'Tier' });
      if (p) d.tier = p.label as Tier;
      break;
    }
    case 'approval': {
      const p = await vscode.window.showQuickPick(
        (Object.keys(APPROVAL_LABELS) as ApprovalPolicy[]).map(a => ({ label: a, detail: APPROVAL_LABELS[a] })),
        { title: 'What may the agent do without asking?' },
      );
      if (p) d.approval = p.label as ApprovalPolicy;
      break;
    }
    case 'budget': {
      const v = await vscode.window.showInputBox({
        title: 'Session budget (USD)',
        value: budgetUsd == null ? '' : String(budgetUsd),
        prompt: 'Empty: no session cap (the day and month caps still apply).',
        validateInput: x => (x.trim() === '' || isDollars(x, MIN_SESSION_BUDGET_USD) ? undefined : 'A number of dollars, at least 0.000001 (a millionth of a dollar), or empty.'),
      });
      if (v !== undefined) d.budgetUsd = v.trim() === '' ? null : dollarsIn(v);
      break;
    }
    case 'base': {
      // The current branch first, sessions' own branches last: what a session usually starts from is on top.
      const own = (b: string) => b.startsWith('switchyard/');
      const ordered = [...branches.branches].sort((a, b) => Number(b === branches.current) - Number(a === branches.current) || Number(own(a)) - Number(own(b)));
      // A detached HEAD is offered too, to go back to after another was tried.
      const detached = branches.detachedAt ? [{ label: 'HEAD', description: `detached at ${branches.detachedAt}: no branch to merge back into` }] : [];
      const p = await vscode.window.showQuickPick(
        [...detached, ...ordered.map(b => ({ label: b, description: b === branches.current ? 'current' : own(b) ? "a session's branch" : undefined, picked: b === d.baseBranch }))],
        { title: 'Base branch' },
      );
      if (p) d.baseBranch = p.label;
      break;
    }
    default:
      break;
  }
}

const APPROVAL_LABELS: Record<ApprovalPolicy, string> = {
  auto: 'run commands without asking (in the sandbox)',
  ask: 'ask before every command',
  'read-only': 'read only: no edits, no commands',
};

export function tierItems(): vscode.QuickPickItem[] {
  return [
    { label: 'standard', description: 'the API’s default tier', detail: 'Standard price and speed.' },
    { label: 'priority', description: '≈2× standard (2.5× on gpt-5.5)', detail: 'Fastest. Worth it when someone waits for the answer.' },
    { label: 'flex', description: '½ standard', detail: 'Slower, sometimes briefly unavailable. Good for reviews, triage and background work.' },
  ];
}
