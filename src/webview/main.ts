// Entry of dist/webview.js. The host page says which view it is (body data-view); the script announces
// itself with 'ready' and then renders whatever the extension posts.
import './styles.css';
import './spend/spend.css';
import './transcript/transcript.css';
import { h } from './dom';
import { SpendView } from './spend/spendView';
import { TranscriptView } from './transcript/transcriptView';
import { onMessage, post } from './vscodeApi';

function start(): void {
  const root = document.getElementById('app');
  if (!root) throw new Error('switchyard webview: the page has no #app element');
  const view = document.body.dataset.view;
  if (view === 'spend') {
    const spend = new SpendView(root);
    onMessage(m => {
      if (m.type === 'spend/state') spend.show(m.body);
    });
  } else if (view === 'transcript') {
    const transcript = new TranscriptView(root);
    onMessage(m => {
      if (m.type === 'transcript/reset') transcript.reset(m.body);
      else if (m.type === 'transcript/append') transcript.append(m.body);
      else if (m.type === 'transcript/session') transcript.session(m.body);
    });
  } else {
    root.replaceChildren(h('div', { class: 'banner banner-error', role: 'alert' }, `Unknown view "${view ?? ''}".`));
    return;
  }
  post('ready', {});
}

start();
