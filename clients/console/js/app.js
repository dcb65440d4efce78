// The console: who is signed in, the header, and which page the address
// names (#/inbox, #/referrals/{id}, #/persons/{id}, ...).
import { session, setToken, token } from './api.js';
import { h, nameOf, errorBox, show, announce } from './ui.js';
import { showSignIn, providerAnswer } from './signin.js';
import { showInbox } from './inbox.js';
import { showReferral, showRefer } from './referral.js';
import { showPerson } from './person.js';
import { showPlanEditor, showAgreement } from './plan_edit.js';
import { showHandover, showHandoverForm } from './handover.js';
import { showReport } from './report.js';
import { showOwnView } from './own_view.js';

let me = null;
let leaving = null;

// Pages ask to be told when they are left (to stop a live stream).
export function onLeave(stop) {
  leaving = stop;
}

export function whoAmI() {
  return me;
}

const ROUTES = [
  [/^#\/inbox$/, () => showInbox(me)],
  [/^#\/refer(?:\?person=([\w.-]+))?$/, (person) => showRefer(me, person)],
  [/^#\/referrals\/([\w.-]+)$/, (id) => showReferral(me, id)],
  [/^#\/handovers\/([\w.-]+)$/, (id) => showHandover(me, id)],
  [/^#\/persons\/([\w.-]+)$/, (id) => showPerson(me, id)],
  [/^#\/persons\/([\w.-]+)\/plan$/, (id) => showPlanEditor(me, id)],
  [/^#\/persons\/([\w.-]+)\/agreement$/, (id) => showAgreement(me, id)],
  [/^#\/persons\/([\w.-]+)\/handover$/, (id) => showHandoverForm(me, id)],
  [/^#\/report$/, () => showReport(me)],
  [/^#\/me$/, () => showOwnView(me)],
];

async function route() {
  if (leaving) {
    leaving();
    leaving = null;
  }
  // Back from the organisation's sign-in.
  let problem = null;
  try {
    const fromProvider = providerAnswer();
    if (fromProvider) {
      setToken(fromProvider);
      me = null;
    }
  } catch (e) {
    problem = e;
  }
  if (!token() || !me) {
    if (token()) {
      try {
        me = await session();
      } catch (e) {
        setToken('');
        me = null;
        problem = problem || e;
      }
    }
    if (!me) {
      renderWho();
      showSignIn(signedIn, problem);
      return;
    }
    renderWho();
  }
  const hash = location.hash || '';
  const home = me.role === 'person' ? '#/me' : '#/inbox';
  for (const [pattern, page] of ROUTES) {
    const match = hash.match(pattern);
    if (match) {
      markCurrent(hash);
      try {
        await page(...match.slice(1));
      } catch (e) {
        show(h('h1', {}, 'Something went wrong'), errorBox(e));
      }
      return;
    }
  }
  location.replace(home);
}

function markCurrent(hash) {
  document.querySelectorAll('#nav a').forEach((a) => {
    const href = a.getAttribute('href');
    if (hash === href || hash.startsWith(`${href}?`)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

async function signedIn(who) {
  me = who;
  renderWho();
  const home = me.role === 'person' ? '#/me' : '#/inbox';
  if (location.hash === home) route();
  else location.hash = home;
}

function signOut() {
  setToken('');
  me = null;
  location.hash = '';
  route();
}

window.addEventListener('carebridge:signed-out', (event) => {
  if (!me) return;
  signOut();
  announce(`You have been signed out: ${event.detail || 'your sign-in is no longer valid'}. Sign in again.`);
});

function renderWho() {
  const who = document.getElementById('who');
  const nav = document.getElementById('nav');
  nav.hidden = !me || me.role === 'person' || !me.team;
  if (!me) {
    who.replaceChildren();
    return;
  }
  const person = h('span', { class: 'me' },
      me.role === 'person' ? 'you, to your own record' : me.subject);
  const team = h('span', { class: 'team' }, me.team || '');
  if (me.role !== 'person') nameOf(me.subject).then((name) => { person.textContent = name; });
  if (me.team) nameOf(me.team).then((name) => { team.textContent = name; });
  who.replaceChildren(
      h('p', {}, 'Signed in as ', person, me.team ? [' · ', team] : []),
      h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
}

// The skip link moves focus to the content without touching the address
// (which names the page).
document.querySelector('.skip').addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main').focus();
});
window.addEventListener('hashchange', route);
route();
