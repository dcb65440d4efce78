// Editing the care plan with the person: goals in their words, actions with
// the teams that own them, the crisis plan and the review date. A save
// names the version it was made on: when someone else saved first, the
// server refuses it (ABORTED), and the page shows what they changed and
// lets the user redo their edits on the latest version. Nothing is ever
// overwritten unseen. Also recording the person's agreement.
import { call, get, carePlan, requestId, ApiError } from './api.js';
import {
  h, show, loading, nameSpan, words, timeElement, field, textarea, input,
  button, busy, announce, select, dateText, dateOf, clearErrors, errorSummary, fieldError,
} from './ui.js';
import { directoryTeams } from './teams.js';
import { personLine } from './person.js';

const CAREPLAN = 'careplan.v1.CarePlanService';
const GOAL_STATUSES = ['ACTIVE', 'ACHIEVED', 'PAUSED'];
const ACTION_STATUSES = ['NOT_STARTED', 'SCHEDULED', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CANCELLED', 'STOPPED'];
const CRISIS_FIELDS = [
  ['earlyWarningSigns', 'Early warning signs'],
  ['triggers', 'Triggers'],
  ['whatHelps', 'What helps'],
  ['whatToAvoid', 'What to avoid'],
  ['preferredResponse', 'How the person would like us to respond'],
  ['advanceStatements', 'Advance statements'],
];
// The sections this page edits, by their update mask path.
const SECTIONS = { goals: 'GOALS', actions: 'ACTIONS', crisisPlan: 'CRISIS_PLAN', reviewDate: 'REVIEW_DATE' };

// JSON with keys sorted, so equal content compares equal whatever order
// its keys were set in.
function canonical(value) {
  return JSON.stringify(value ?? null, (key, v) => (v && typeof v === 'object' && !Array.isArray(v) ?
    Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

function same(a, b) {
  return canonical(a) === canonical(b);
}

// A list of rows the user can add to and remove from.
function rows(title, id, items, makeRow, addText) {
  const list = h('ol', { class: 'edit-rows', id });
  const add = (item) => {
    const row = makeRow(item || {});
    const remove = button('Remove', () => {
      row.remove();
      announce(`${title}: one removed`);
      add.focus();
    }, { class: 'link' });
    list.append(h('li', { class: 'edit-row' }, row, remove));
    return row;
  };
  items.forEach(add);
  const addButton = button(addText, () => {
    const row = add();
    const first = row.querySelector('textarea, input, select');
    if (first) first.focus();
  });
  add.focus = () => addButton.focus();
  return { element: h('fieldset', { class: 'card' }, h('legend', {}, title), list, addButton), list };
}

function goalRow(goal) {
  const row = h('div', { class: 'goal', 'data-id': goal.id || '' },
      field('Goal, in the person’s words', textarea(goal.description, { name: 'goal-description' })),
      h('div', { class: 'row' },
          field('Status', select(GOAL_STATUSES.map((s) => [s, words(s)]), goal.status || 'ACTIVE', { name: 'goal-status' })),
          field('Target date', h('input', { type: 'date', name: 'goal-target', value: dateText(goal.targetDate) }))));
  return row;
}

function actionRow(teamOptions) {
  return (action) => h('div', { class: 'action', 'data-id': action.id || '' },
      field('Action', textarea(action.description, { name: 'action-description' })),
      h('div', { class: 'row' },
          field('Owning team', select([['', 'Choose a team'], ...teamOptions,
            ...(action.owningTeam && !teamOptions.some(([t]) => t === action.owningTeam) ?
              [[action.owningTeam, action.owningTeam]] : [])], action.owningTeam || '', { name: 'action-team' })),
          field('Status', select(ACTION_STATUSES.map((s) => [s, words(s)]), action.status || 'NOT_STARTED', { name: 'action-status' })),
          field('Due', h('input', { type: 'date', name: 'action-due', value: dateText(action.dueDate) }))));
}

function contactRow(contact) {
  return h('div', { class: 'contact' },
      h('div', { class: 'row' },
          field('Name', input(contact.name, { name: 'contact-name' })),
          field('Relationship', input(contact.relationship, { name: 'contact-relationship' }))),
      h('div', { class: 'row' },
          field('How to contact', input(contact.howToContact, { name: 'contact-how' })),
          field('When to contact', input(contact.whenToContact, { name: 'contact-when' }))));
}

function value(root, name) {
  const control = root.querySelector(`[name=${name}]`);
  return control ? control.value.trim() : '';
}

// Strips what the server leaves empty, so an untouched section compares
// equal to what was read.
function clean(value) {
  if (Array.isArray(value)) return value.map(clean);
  if (!value || typeof value !== 'object') return value;
  const kept = {};
  for (const [key, raw] of Object.entries(value)) {
    const v = typeof raw === 'string' ? raw.trim() : raw;
    const c = clean(v);
    const empty = c === '' || c === undefined || c === null || (Array.isArray(c) && !c.length) ||
      (typeof c === 'object' && !Array.isArray(c) && !Object.keys(c).length);
    if (!empty) kept[key] = c;
  }
  return kept;
}

// The user's edits to one section (`original` -> `mine`) applied to the
// latest version of it, so a colleague's change to another field or item
// is kept: the crisis plan field by field; goals and actions by id (edited
// ones replaced, removed ones left out, new ones added).
function mergeSection(path, original, mine, latest) {
  if (path === 'crisisPlan') {
    const result = { ...(latest || {}) };
    const keys = new Set([...Object.keys(original || {}), ...Object.keys(mine || {})]);
    for (const key of keys) {
      if (key === 'contacts') {
        result.contacts = mergeByContent(original?.contacts, mine?.contacts, latest?.contacts);
      } else if (!same(original?.[key], mine?.[key])) {
        result[key] = mine?.[key];
      }
    }
    return clean(result);
  }
  if (path === 'goals' || path === 'actions') {
    const before = new Map((original || []).map((item) => [item.id, item]));
    const edited = new Map((mine || []).filter((item) => item.id).map((item) => [item.id, item]));
    const now = new Map((latest || []).map((item) => [item.id, item]));
    const result = [];
    for (const item of latest || []) {
      const mineItem = edited.get(item.id);
      const changedByThem = before.has(item.id) && !same(item, before.get(item.id));
      // Removed by the user: gone, unless a colleague changed it meanwhile.
      if (before.has(item.id) && !mineItem && !changedByThem) continue;
      result.push(mineItem && !same(mineItem, before.get(item.id)) ? mineItem : item);
    }
    // Edited by the user but removed by a colleague: kept, as a new item.
    for (const [id, item] of edited) {
      if (!now.has(id) && !same(item, before.get(id))) result.push({ ...item, id: undefined });
    }
    // Added by the user, unless already there (a save whose answer was
    // lost).
    const theirsNew = (latest || []).filter((item) => !before.has(item.id));
    for (const item of (mine || []).filter((i) => !i.id)) {
      if (!theirsNew.some((t) => t.description === item.description)) result.push(item);
    }
    return clean({ list: result }).list || [];
  }
  return mine;
}

// A list without ids (crisis contacts) merged by content: the latest, less
// what the user removed, plus what the user added.
function mergeByContent(original, mine, latest) {
  const has = (list, item) => (list || []).some((x) => same(x, item));
  const kept = (latest || []).filter((item) => !has(original, item) || has(mine, item));
  const added = (mine || []).filter((item) => !has(original, item) && !has(kept, item));
  return [...kept, ...added];
}

class Editor {
  constructor(me, person, plan, teams) {
    this.me = me;
    this.person = person;
    this.teams = teams;
    this.base = plan;
    this.form = null;
  }

  // The sections as the form has them now.
  draft() {
    const form = this.form;
    const goals = [...form.querySelectorAll('.goal')].map((row) => clean({
      id: row.dataset.id, description: value(row, 'goal-description'),
      status: value(row, 'goal-status'), targetDate: dateOf(value(row, 'goal-target')),
    })).filter((g) => g.description);
    const actions = [...form.querySelectorAll('.action')].map((row) => clean({
      id: row.dataset.id, description: value(row, 'action-description'), owningTeam: value(row, 'action-team'),
      status: value(row, 'action-status'), dueDate: dateOf(value(row, 'action-due')),
      reviewDate: (this.base.actions || []).find((a) => a.id === row.dataset.id)?.reviewDate,
    })).filter((a) => a.description);
    const crisisPlan = { ...(this.base.crisisPlan || {}) };
    for (const [key] of CRISIS_FIELDS) crisisPlan[key] = value(form, `crisis-${key}`);
    crisisPlan.contacts = [...form.querySelectorAll('.contact')].map((row) => clean({
      name: value(row, 'contact-name'), relationship: value(row, 'contact-relationship'),
      howToContact: value(row, 'contact-how'), whenToContact: value(row, 'contact-when'),
    })).filter((c) => c.name);
    return clean({ goals, actions, crisisPlan, reviewDate: dateOf(value(form, 'review-date')) });
  }

  changedSections(draft, against) {
    const base = clean({ goals: against.goals || [], actions: against.actions || [],
      crisisPlan: against.crisisPlan || {}, reviewDate: against.reviewDate });
    return Object.keys(SECTIONS).filter((path) => !same(draft[path], base[path]));
  }

  // The form showing `plan` (by default the version edits are made on).
  render(notice, plan = this.base, reasonText = '') {
    // One request id per draft: a save retried after a lost answer is not
    // applied twice.
    this.requestId = requestId();
    const teamOptions = this.teams.map((t) => [t.name, t.displayName]);
    const goals = rows('Goals', 'goals', plan.goals || [], goalRow, 'Add a goal');
    const actions = rows('Actions', 'actions', plan.actions || [], actionRow(teamOptions), 'Add an action');
    const crisis = plan.crisisPlan || {};
    const contacts = rows('Who to contact in a crisis', 'contacts', crisis.contacts || [], contactRow, 'Add a contact');
    const reason = input(reasonText, { name: 'reason' });
    const save = h('button', { type: 'submit', class: 'primary' }, 'Save the plan');
    this.form = h('form', { class: 'plan-editor', novalidate: true },
        notice || null,
        h('p', {}, `Editing version ${plan.version || 0}`, plan.updateTime ? [', saved ', timeElement(plan.updateTime)] : ''),
        h('fieldset', { class: 'card crisis' }, h('legend', {}, 'Crisis plan'),
            CRISIS_FIELDS.map(([key, label]) => field(label, textarea(crisis[key], { name: `crisis-${key}` })))),
        contacts.element, goals.element, actions.element,
        h('div', { class: 'card' }, field('Next review', h('input', { type: 'date', name: 'review-date', value: dateText(plan.reviewDate) }))),
        h('div', { class: 'card' }, field('What changed and why', reason, 'Everyone on the care team sees this with the change.'), save));
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(this.form);
      this.save(save, reason);
    });
    show(h('h1', {}, 'Care plan: ', nameSpan(this.person)), this.form);
  }

  // Rows left half-written: said, never silently dropped.
  problems() {
    const problems = [];
    const row = (selector, name, message) => this.form.querySelectorAll(selector).forEach((r) => {
      const control = r.querySelector(`[name=${name}]`);
      const filled = [...r.querySelectorAll('input[type=text], textarea')].some((c) => c.value.trim());
      if (!control.value.trim() && (filled || r.dataset.id)) {
        problems.push(fieldError(control, message));
      }
    });
    row('.goal', 'goal-description', 'Write the goal, or remove it');
    row('.action', 'action-description', 'Write the action, or remove it');
    row('.contact', 'contact-name', 'Enter the contact’s name, or remove the contact');
    this.form.querySelectorAll('.action').forEach((r) => {
      const team = r.querySelector('[name=action-team]');
      if (r.querySelector('[name=action-description]').value.trim() && !team.value) {
        problems.push(fieldError(team, 'Choose the team that owns this action'));
      }
    });
    return problems;
  }

  async save(saveButton, reason) {
    const rowProblems = this.problems();
    if (rowProblems.length) {
      errorSummary(this.form, rowProblems);
      return;
    }
    const draft = this.draft();
    const paths = this.changedSections(draft, this.base);
    if (!paths.length) {
      errorSummary(this.form, [fieldError(reason, 'Nothing has changed yet')]);
      return;
    }
    if (!reason.value.trim()) {
      errorSummary(this.form, [fieldError(reason, 'Say what changed and why')]);
      return;
    }
    // Sections whole, but the crisis plan field by field: a team the person
    // shares only some of it with may write those, and a colleague's other
    // fields are never written over.
    const carePlan = { name: `${this.person}/carePlan` };
    const mask = [];
    for (const path of paths) {
      if (path === 'crisisPlan') {
        const before = clean(this.base.crisisPlan || {});
        const after = draft.crisisPlan || {};
        carePlan.crisisPlan = {};
        for (const key of [...CRISIS_FIELDS.map(([k]) => k), 'contacts']) {
          if (same(before[key], after[key])) continue;
          mask.push(`crisisPlan.${key}`);
          if (after[key] !== undefined) carePlan.crisisPlan[key] = after[key];
        }
      } else {
        mask.push(path);
        if (draft[path] !== undefined) carePlan[path] = draft[path];
      }
    }
    await busy(saveButton, this.form, async () => {
      try {
        const saved = await call(CAREPLAN, 'UpdateCarePlan', {
          carePlan, updateMask: mask.join(','), reason: reason.value.trim(), requestId: this.requestId,
          etag: this.base.version && this.base.version !== '0' ? this.base.etag : '',
        });
        announce(`Saved: version ${saved.version}`);
        location.hash = `#/persons/${this.person.split('/')[1]}`;
      } catch (e) {
        if (e instanceof ApiError && e.code === 'ABORTED') {
          await this.stale(draft, paths, reason.value);
          return;
        }
        throw e;
      }
    });
  }

  // Someone saved first: show what they changed, keep the user's edits,
  // and let the user save them again on the latest version.
  async stale(draft, paths, reasonText) {
    const latest = await carePlan(this.person);
    let diff = { sections: [] };
    if (this.base.version && this.base.version !== '0') {
      diff = await call(CAREPLAN, 'DiffCarePlanVersions', {
        name: `${this.person}/carePlan`, fromVersion: this.base.version, toVersion: latest.version,
      }).catch(() => ({ sections: [] }));
    }
    const theirs = (diff.sections || []).filter((s) => s.changes && s.changes.length);
    const clashes = paths.filter((p) => theirs.some((s) => s.section === SECTIONS[p]));
    const original = clean({ goals: this.base.goals, actions: this.base.actions,
      crisisPlan: this.base.crisisPlan, reviewDate: this.base.reviewDate });
    const newest = clean({ goals: latest.goals, actions: latest.actions,
      crisisPlan: latest.crisisPlan, reviewDate: latest.reviewDate });
    const notice = h('div', { class: 'stale', role: 'alert', tabindex: '-1', id: 'stale-notice' },
        h('h2', {}, 'Someone changed the plan while you were editing'),
        h('p', {}, `Your changes were not saved. The plan is now version ${latest.version}. ` +
          'This is what changed since you opened it:'),
        h('ul', {}, theirs.map((section) => h('li', {},
            h('strong', {}, words(section.section)),
            section.lastChanged ? [' by ', nameSpan(section.lastChanged.updatedBy, 'a colleague'), ' (',
              nameSpan(section.lastChanged.updatedByTeam), ')'] : '',
            h('ul', {}, section.changes.slice(0, 20).map((c) => h('li', {},
                `${c.path}: `, c.before ? h('del', {}, c.before) : '', c.before && c.after ? ' → ' : '',
                c.after ? h('ins', {}, c.after) : '')))))),
        clashes.length ? h('p', {}, h('strong', {}, 'You both changed: '), clashes.map((p) => words(SECTIONS[p])).join(', '),
            '. Your edits are put on top of theirs, item by item: check the form before you save.') : null,
        h('p', {}, 'Below is the latest plan with your edits applied to it. Nothing is saved until you save again.'));
    // The latest plan, with the user's own edits (what they changed from
    // the version they opened) applied field by field and item by item.
    const merged = { ...latest };
    for (const path of paths) merged[path] = mergeSection(path, original[path], draft[path], newest[path]);
    this.base = latest;
    this.render(notice, merged, reasonText);
    notice.focus();
  }
}

export async function showPlanEditor(me, id) {
  const person = `persons/${id}`;
  show(h('h1', {}, 'Care plan'), loading('the care plan'));
  const [plan, teams] = await Promise.all([carePlan(person), directoryTeams()]);
  new Editor(me, person, plan, teams).render();
}

// Recording that the person agrees with this version, in their words.
export async function showAgreement(me, id) {
  const person = `persons/${id}`;
  show(h('h1', {}, 'Agreement'), loading('the care plan'));
  const [plan, who] = await Promise.all([carePlan(person), get(person).catch(() => null)]);
  const comment = textarea('', { name: 'person-comment', rows: 4 });
  const confirm = h('input', { type: 'checkbox', id: 'agree-confirm', name: 'confirm' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Record agreement');
  const form = h('form', { class: 'card', novalidate: true },
      h('p', {}, `The person has gone through version ${plan.version} of their plan with you.`),
      plan.agreed ? h('p', {}, 'They agreed with it ', timeElement(plan.agreement?.agreeTime), '.') :
        h('p', {}, h('strong', {}, 'This version is not agreed yet.')),
      h('div', { class: 'checkbox' }, confirm,
          h('label', { for: 'agree-confirm' }, 'The person agrees with this plan')),
      field('What the person wants to say about it (optional)', comment, 'In their words.'),
      submit);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!confirm.checked) {
      errorSummary(form, [fieldError(confirm, 'Tick to confirm the person agrees')]);
      return;
    }
    busy(submit, form, async () => {
      await call(CAREPLAN, 'RecordAgreement', { name: plan.name, version: plan.version, personComment: comment.value.trim() });
      announce('Agreement recorded');
      location.hash = `#/persons/${id}`;
    });
  });
  show(h('h1', {}, 'Agreement: ', nameSpan(person)), personLine(who), form);
}
