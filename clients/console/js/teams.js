// Picking a team from the directory, with what the person choosing needs
// to see: its sector, who it is for (eligibility) and what it offers.
import { listAll } from './api.js';
import { h, field, words, nodes } from './ui.js';

let teams = null;

export function directoryTeams() {
  if (!teams) {
    teams = listAll('directory.v1.DirectoryService', 'ListTeams', {}, 'teams', 1000)
        .catch((e) => {
          teams = null;
          throw e;
        });
  }
  return teams;
}

// A select of teams grouped by sector, and a panel describing the one
// chosen. `acceptingOnly`: teams taking referrals now. `exclude`: team
// names left out (the caller's own).
export async function teamPicker(label, { hint, acceptingOnly = true, exclude = [], name = 'team' } = {}) {
  const all = (await directoryTeams())
      .filter((t) => !exclude.includes(t.name))
      .filter((t) => !acceptingOnly || t.acceptingReferrals);
  const bySector = new Map();
  for (const team of all) {
    const sector = words(team.sector || 'OTHER');
    if (!bySector.has(sector)) bySector.set(sector, []);
    bySector.get(sector).push(team);
  }
  const select = h('select', { name },
      h('option', { value: '' }, 'Choose a team'),
      [...bySector.entries()].sort().map(([sector, members]) => h('optgroup', { label: sector },
          members.sort((a, b) => a.displayName.localeCompare(b.displayName))
              .map((t) => h('option', { value: t.name }, `${t.displayName} (${sector})`)))));
  const about = h('div', { class: 'team-about', 'aria-live': 'polite' });
  function describe() {
    const team = all.find((t) => t.name === select.value);
    about.replaceChildren(...nodes(team ? [
      h('p', {}, h('strong', {}, team.displayName), ` · ${words(team.sector || 'OTHER')}`,
          team.acceptingReferrals ? '' : ' · not taking referrals now'),
      team.eligibility ? h('p', {}, h('strong', {}, 'Who it is for: '), team.eligibility) : null,
      team.serviceDescription ? h('p', {}, h('strong', {}, 'What it offers: '), team.serviceDescription) : null,
      team.contact ? h('p', {}, h('strong', {}, 'Contact: '), team.contact) : null,
    ] : []));
  }
  select.addEventListener('change', describe);
  const element = h('div', { class: 'team-picker' }, field(label, select, hint), about);
  return { element, select };
}
