// Building the page: elements from data (text is always set as text, never
// parsed as HTML), words for the API's codes, times, and names for ids.
import { get, ApiError } from './api.js';

// h('p', { class: 'note' }, 'text', child, ...): an element.
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === undefined || value === null) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value') {
      element.value = value;
    } else if (name === 'checked' || name === 'selected') {
      element[name] = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  element.append(...nodes(children));
  return element;
}

// Children as nodes: arrays flattened, null/undefined/false left out, the
// rest as text.
export function nodes(...children) {
  return children.flat(Infinity)
      .filter((child) => child !== null && child !== undefined && child !== false)
      .map((child) => (child instanceof Node ? child : document.createTextNode(String(child))));
}

// Replaces the page's main content and moves focus to its heading, so a
// screen reader announces where the person has arrived.
export function show(...children) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes(children));
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: false });
    document.title = `${heading.textContent} · carebridge`;
  }
}

// Says something to screen readers (and shows it) without moving focus.
export function announce(message) {
  const status = document.getElementById('status');
  status.textContent = '';
  setTimeout(() => { status.textContent = message; }, 50);
}

export function errorBox(error) {
  const message = error instanceof ApiError ? error.message : String(error.message || error);
  return h('div', { class: 'error', role: 'alert' },
      h('strong', {}, 'That did not work. '), message);
}

export function loading(what) {
  return h('p', { class: 'loading', role: 'status' }, `Loading ${what}…`);
}

const WORDS = {
  ROUTINE: 'Routine', URGENT: 'Urgent', CRISIS: 'Crisis',
  SENT: 'Waiting for an answer', ACKNOWLEDGED: 'Acknowledged', ACCEPTED: 'Accepted',
  DECLINED: 'Declined', REDIRECTED: 'Redirected', WITHDRAWN: 'Withdrawn',
  COMPLETED: 'Completed', PENDING: 'Waiting for an answer', CANCELLED: 'Cancelled',
  TRANSFER_OF_RESPONSIBILITY: 'Transfer of responsibility', SHARED_CARE: 'Shared care',
  INFORMATION_ONLY: 'For information', STABLE: 'Stable', WATCHER: 'Watch closely',
  UNSTABLE: 'Unstable', ACTIVE: 'Active', ACHIEVED: 'Achieved', PAUSED: 'Paused',
  NOT_STARTED: 'Not started', SCHEDULED: 'Scheduled', IN_PROGRESS: 'In progress',
  ON_HOLD: 'On hold', STOPPED: 'Stopped',
  COMMUNITY_MENTAL_HEALTH: 'Community mental health', VOLUNTARY_SECTOR: 'Voluntary sector',
  PRIMARY_CARE: 'Primary care', INPATIENT: 'Inpatient', SOCIAL_CARE: 'Social care',
  OTHER: 'Other', PHONE_CALL: 'Phone call', TEXT_MESSAGE: 'Text message', EMAIL: 'Email',
  LETTER: 'Letter', IN_PERSON: 'In person', VIDEO_CALL: 'Video call',
  GOALS: 'Goals', ACTIONS: 'Actions', CRISIS_PLAN: 'Crisis plan',
  COMMUNICATION_PREFERENCES: 'Communication preferences', REVIEW_DATE: 'Review date',
  CARE_TEAM: 'Care team', AGREEMENT: 'Agreement',
  BOUNCED: 'Declined by team after team', ONWARD_ROUTE_NOT_TAKEN: 'Onward route not taken up',
  ANSWER_OVERDUE: 'Answer overdue', PLAN_NOT_AGREED: 'Plan not agreed with the person',
  REVIEW_OVERDUE: 'Review overdue', NO_CRISIS_PLAN: 'No crisis plan', NO_LEAD: 'Nobody leads care',
  JOIN_NOT_REVIEWED: 'Team joined, not reviewed',
  BREAK_GLASS_NOT_REVIEWED: 'Break-glass access not reviewed',
};

export function words(code) {
  if (!code) return '';
  return WORDS[code] || code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ');
}

const URGENCY_RANK = { CRISIS: 3, URGENT: 2, ROUTINE: 1 };
export function urgencyRank(urgency) {
  return URGENCY_RANK[urgency] || 0;
}

export function urgencyBadge(urgency) {
  return h('span', { class: `badge urgency-${(urgency || 'routine').toLowerCase()}` },
      words(urgency || 'ROUTINE'));
}

// One formatter for every time on the page (making one per call is slow
// on a list of thousands).
const TIME_FORMAT = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});

// "3 Dec 2026, 14:05" in the browser's own time zone.
export function when(timestamp) {
  if (!timestamp) return '';
  return TIME_FORMAT.format(new Date(timestamp));
}

export function timeElement(timestamp) {
  return h('time', { datetime: timestamp }, when(timestamp));
}

// "2 h 5 min" for a span in milliseconds.
export function span(ms) {
  const minutes = Math.round(Math.abs(ms) / 60000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

export function durationSeconds(duration) {
  return duration ? parseFloat(duration) : 0;
}

// "2026-12-03" for a care plan Date, and back.
export function dateText(date) {
  if (!date || !date.year) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.year}-${pad(date.month)}-${pad(date.day)}`;
}

export function dateOf(text) {
  if (!text) return undefined;
  const [year, month, day] = text.split('-').map(Number);
  return { year, month, day };
}

const names = new Map();

// The display name for `teams/…`, `members/…` or `persons/…` (fetched once
// per page load); the id itself when the caller may not read it.
export async function nameOf(name) {
  if (!name) return '';
  if (name.startsWith('services/')) return 'carebridge';
  if (!names.has(name)) {
    names.set(name, get(name).then((resource) => {
      if (resource.displayName) return resource.displayName;
      if (resource.givenName || resource.familyName) {
        const given = resource.preferredName || resource.givenName || '';
        return `${given} ${resource.familyName || ''}`.trim();
      }
      return name;
    }).catch(() => name));
  }
  return names.get(name);
}

// A span that shows the name once it is known; `fallback` when the caller
// may not read it (a member of another team: "a colleague"), else the id.
export function nameSpan(name, fallback) {
  const element = h('span', { class: 'name', 'data-name': name }, name ? '…' : '');
  nameOf(name).then((text) => {
    element.textContent = text === name && fallback ? fallback : text;
  });
  return element;
}

// Text whose ids (`teams/…`, `persons/…`, `members/…`) show as names.
export function named(text) {
  return (text || '').split(/((?:teams|persons|members)\/[A-Za-z0-9-]+)/)
      .map((part, i) => (i % 2 ? nameSpan(part) : part));
}

export function link(href, ...children) {
  return h('a', { href }, ...children);
}

export function idOf(name) {
  return name ? name.split('/')[1] : '';
}

// A labelled form field. `control` is an input, select or textarea; `hint`
// says what to write.
let fieldCount = 0;
export function field(label, control, hint) {
  fieldCount += 1;
  const id = control.id || `field-${fieldCount}`;
  control.id = id;
  const children = [h('label', { for: id }, label)];
  if (hint) {
    const hintId = `${id}-hint`;
    children.push(h('p', { class: 'hint', id: hintId }, hint));
    control.setAttribute('aria-describedby', hintId);
  }
  children.push(control);
  return h('div', { class: 'field' }, children);
}

// Marks `control` as wrong with `message` (read with the field), and
// returns the message for an error summary.
export function fieldError(control, message, before = control) {
  control.setAttribute('aria-invalid', 'true');
  const id = `${control.id}-error`;
  let error = document.getElementById(id);
  if (!error) {
    error = h('p', { class: 'field-error', id });
    before.before(error);
  }
  error.textContent = message;
  const described = (control.getAttribute('aria-describedby') || '').split(' ');
  if (!described.includes(id)) {
    control.setAttribute('aria-describedby', [...described, id].join(' ').trim());
  }
  return { control, message };
}

export function clearErrors(form) {
  form.querySelectorAll('.field-error, .error-summary').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

// An error summary at the top of `form`, focused, each problem a link to
// its field (the GOV.UK pattern).
export function errorSummary(form, problems) {
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
      h('h2', {}, 'There is a problem'),
      h('ul', {}, problems.map((p) => h('li', {},
          h('a', { href: `#${p.control.id}`, onclick: (e) => {
            e.preventDefault();
            p.control.focus();
          } }, p.message)))));
  form.prepend(summary);
  summary.focus();
}

export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, text]) =>
      h('option', { value: v, selected: v === value }, text)));
}

export function textarea(value, attrs = {}) {
  return h('textarea', { rows: 3, ...attrs, value: value || '' });
}

export function input(value, attrs = {}) {
  return h('input', { type: 'text', ...attrs, value: value || '' });
}

export function button(text, onclick, attrs = {}) {
  return h('button', { type: 'button', ...attrs, onclick }, text);
}

// A form that does one thing: a heading, its fields, one submit button.
// On submit `action(form)` runs with the button busy (errors shown in the
// form); it checks its own fields first and returns early, with an error
// summary, when they are wrong.
export function actionForm(title, id, fields, submitText, action, extraClass = '') {
  const submit = h('button', { type: 'submit', class: `primary ${extraClass}` }, submitText);
  const form = h('form', { class: 'card', novalidate: true, 'aria-labelledby': id },
      h('h2', { id }, title), fields, submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(submit, form, () => action(form));
  });
  return form;
}

// Runs `action` with the button busy (no double submit), showing an error
// in `where` if it fails. Returns its result, or undefined on failure.
export async function busy(buttonElement, where, action) {
  buttonElement.disabled = true;
  buttonElement.setAttribute('aria-busy', 'true');
  where.querySelectorAll(':scope > .error').forEach((e) => e.remove());
  try {
    return await action();
  } catch (e) {
    const box = errorBox(e);
    where.prepend(box);
    return undefined;
  } finally {
    buttonElement.disabled = false;
    buttonElement.removeAttribute('aria-busy');
  }
}
