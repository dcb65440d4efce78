// The console story's steps for protecting the record (issue 11): Sam, of
// a team not on Alex's care team, opens her crisis plan in an emergency
// (not without a reason); Kim's team, which leads her care, sees the access
// and reviews it (Sam may not; an admin's second review is refused with
// the server's words); Kim gives Alex access to her record and ends it. Each
// step checks what the page shows after the server answered, and what the
// server holds.
import {
  http, tokens, teams, person, personId, check, step, api, refusal, eventually, accessible,
  settled, shot, textOf, waitText, clickText, go, fill, newTab, signIn,
} from './lib.mjs';

const CAREPLAN = 'careplan.v1.CarePlanService';
const EMERGENCY_REASON = 'Alex rang the night line at 3am in distress; we need her crisis plan.';

function accesses(token) {
  return api(token, CAREPLAN, 'ListBreakGlassAccesses', { parent: person }).then((a) => a.accesses || []);
}

// Sam's page, not on the care team: the emergency button asks why, and
// opens the crisis plan only with a reason. Returns the access.
export async function emergencyAccess(sam) {
  step('Sam, not on Alex’s care team, opens her crisis plan in an emergency: not without a reason');
  await go(sam, `#/persons/${personId}`);
  await sam.waitForSelector('#summary-not-shown');
  check(!(await textOf(sam, '.summary')).includes('None recorded'), 'no crisis plan is not claimed');
  await clickText(sam, 'button', 'Open the crisis plan in an emergency');
  await sam.waitForSelector('#break-glass-form:not([hidden])');
  check(await sam.evaluate(() => document.activeElement.name === 'break-glass-reason'),
      'the reason field has focus');
  const submit = '#break-glass-form button[type=submit]';
  await sam.click(submit);
  await waitText(sam, '#break-glass-form .error-summary', 'Enter why you need the crisis plan now');
  check(await sam.$eval('textarea[name=break-glass-reason]', (e) => e.getAttribute('aria-invalid')) === 'true',
      'the reason field is marked');
  await accessible(sam, 'the emergency access form with its error');
  await shot(sam, 'break-glass-reason-required');
  // Past the server's limit: its own words, with the field.
  await sam.$eval('textarea[name=break-glass-reason]', (e) => { e.value = 'x'.repeat(501); });
  await sam.click(submit);
  await waitText(sam, '#break-glass-form .error-summary', 'reason: must be at most 500 characters');
  check(!(await sam.$('#crisis-plan')), 'no crisis plan is shown without a reason');
  check((await accesses(tokens.kim)).length === 0, 'nothing was opened');

  await fill(sam, 'textarea[name=break-glass-reason]', EMERGENCY_REASON);
  await sam.click(submit);
  await sam.waitForSelector('#emergency-opened');
  await waitText(sam, '#crisis-plan', 'talking to my sister Jo');
  const [access] = await accesses(tokens.kim);
  check(access && access.team === teams.north && access.reason === EMERGENCY_REASON && !access.review,
      `the access is kept with its reason: ${JSON.stringify(access)}`);
  const until = await sam.evaluate((t) => new Intl.DateTimeFormat('en-GB',
      { hour: '2-digit', minute: '2-digit' }).format(new Date(t)), access.expireTime);
  const notice = await textOf(sam, '#emergency-opened');
  check(notice.includes(`Open until ${until}`), `the notice says until when (${until}): ${notice}`);
  await waitText(sam, '#emergency-opened', 'The person and their lead team, Crisis team, are told');
  check(notice.includes('will review it'), 'the notice says it will be reviewed');
  check(await sam.evaluate(() => document.activeElement.id === 'emergency-opened'), 'focus moves to the notice');
  check(!(await sam.$('#break-glass-accesses')), 'the opener is offered no review');
  await accessible(sam, 'the crisis plan opened in an emergency');
  await shot(sam, 'break-glass');
  // Whoever opened it may not review it (here, nor is Sam's team the lead).
  const refused = await refusal(tokens.sam, CAREPLAN, 'ReviewBreakGlassAccess',
      { name: access.name, outcome: 'JUSTIFIED', reason: 'It was an emergency.' });
  check(refused.code === 'PERMISSION_DENIED', `the opener may not review it: ${refused.code}`);
  return access;
}

// Kim's team leads: the access is listed for review; Kim reviews it while
// an admin has the form open, whose review is then refused.
export async function reviewEmergencyAccess(kim, access) {
  step('the lead team sees the emergency access and reviews it; a second review is refused');
  await go(kim, `#/persons/${personId}`);
  await kim.reload();
  const item = `[data-access="${access.name}"]`;
  await waitText(kim, item, EMERGENCY_REASON);
  await waitText(kim, item, 'North CMHT');
  await waitText(kim, '#accesses-heading', '(1 to review)');
  check((await textOf(kim, item)).includes('Not reviewed yet'), 'not reviewed yet');

  // An admin (the Caldicott guardian, say) has the same access open.
  const { context: adminContext, page: admin } = await newTab();
  await signIn(admin, tokens.admin);
  await go(admin, `#/persons/${personId}`);
  await waitText(admin, item, 'Not reviewed yet');

  await clickText(kim, `${item} button`, 'Record the review');
  const problems = await textOf(kim, `${item} .error-summary`);
  check(problems.includes('Choose whether it was justified') && problems.includes('Enter what you found'),
      `the outcome and what was found are asked for: ${problems}`);
  await accessible(kim, 'the review form with its errors');
  const n = access.name.split('/').pop();
  await kim.click(`#outcome-${n}-JUSTIFIED`);
  await fill(kim, `${item} textarea[name=review-reason]`, 'Spoke with Sam and with Alex: a crisis at 3am.');
  await clickText(kim, `${item} button`, 'Record the review');
  await waitText(kim, item, 'Justified by');
  check(!(await kim.$(`${item} form`)), 'no form once reviewed');
  const [reviewed] = await accesses(tokens.kim);
  check(reviewed.review && reviewed.review.outcome === 'JUSTIFIED' && reviewed.review.reviewerTeam === teams.crisis,
      `the review is kept: ${JSON.stringify(reviewed.review)}`);
  await accessible(kim, 'a reviewed emergency access');
  await shot(kim, 'break-glass-reviewed');

  await admin.click(`#outcome-${n}-NOT_JUSTIFIED`);
  await fill(admin, `${item} textarea[name=review-reason]`, 'No reason on record.');
  await clickText(admin, `${item} button`, 'Record the review');
  await waitText(admin, '#break-glass-accesses .error', 'was reviewed already by');
  await waitText(admin, item, 'Justified by');
  await accessible(admin, 'a review refused, reviewed already');
  const [kept] = await accesses(tokens.kim);
  check(kept.review.outcome === 'JUSTIFIED', 'the first review stands');
  await adminContext.close();
}

// Alex's own view lists the emergency access with its reason and review,
// and an attempt refused as refused (not as done).
export async function personSeesEmergencyAccess(alex) {
  await waitText(alex, 'section table', `Emergency access: ${EMERGENCY_REASON}`);
  await waitText(alex, 'section table', 'Reviewed, justified: Spoke with Sam and with Alex');
  await settled(alex);
  const rows = await alex.$$eval('section table tbody tr', (all) => all.map((row) => row.innerText));
  check(rows.some((row) => row.includes('North CMHT') && row.includes('opened your crisis plan in an emergency') &&
      row.includes(EMERGENCY_REASON)), 'the emergency access is listed as North CMHT’s, with its reason');
  const review = (text) => rows.filter((row) => row.includes('reviewed an emergency access') && row.includes(text));
  check(review('North CMHT').every((row) => row.includes('Refused: nothing was shown or changed')) &&
      review('North CMHT').length === 1, `Sam's attempt to review is listed as refused: ${review('North CMHT')}`);
  const [adminTry, kimReview] = [review('No reason on record.'), review('Spoke with Sam')];
  check(adminTry.length === 1 && adminTry[0].includes('Refused') && kimReview.length === 1 &&
      !kimReview[0].includes('Refused'), `the admin's review refused, Kim's made: ${adminTry} / ${kimReview}`);
}

// Kim gives Alex a token of her own on Alex's page; returns it.
export async function givePersonAccess(kim) {
  step('Kim gives Alex access to her record: the token is shown once');
  await go(kim, `#/persons/${personId}`);
  await clickText(kim, '#give-access button', 'Give the person access to their record');
  await kim.waitForSelector('#person-token');
  const token = await kim.$eval('#person-token', (e) => e.value);
  check(token.length > 20, 'a token is shown');
  await waitText(kim, '#give-access', 'This is the only time it is shown');
  check(await kim.evaluate(() => document.activeElement.id === 'give-access-heading'), 'focus moves to it');
  await kim.browserContext().overridePermissions(http, ['clipboard-read', 'clipboard-write']);
  await clickText(kim, '#give-access button', 'Copy the token');
  await waitText(kim, '#give-access .copied', 'Copied');
  check(await kim.evaluate(() => navigator.clipboard.readText()) === token, 'the copy is the token');
  await accessible(kim, 'the person’s token, shown once');
  await shot(kim, 'person-token');
  return token;
}

// Kim ends Alex's access (confirmed first); Alex's token stops working.
export async function endPersonAccess(kim, alex, token) {
  step('Kim ends Alex’s access: confirmed first, then her token no longer works');
  await go(kim, `#/persons/${personId}`);
  await kim.waitForSelector('#end-access');
  await fill(kim, 'textarea[name=end-access-reason]', 'Alex lost her phone.');
  await clickText(kim, '#end-access button', 'End the person’s access');
  await waitText(kim, '#end-access .error-summary', 'Tick to confirm you want to end their access');
  await accessible(kim, 'ending the person’s access, not confirmed');
  check((await api(token, CAREPLAN, 'GetCarePlan', { name: `${person}/carePlan` })).name,
      'nothing ended before it was confirmed');
  await kim.click('#end-access-confirm');
  await clickText(kim, '#end-access button', 'End the person’s access');
  await waitText(kim, '#end-access-result', 'has stopped working, on every device');
  await eventually('Alex’s token refused', async () => {
    const response = await fetch(`${http}/v1/session`, { headers: { Authorization: `Bearer ${token}` } });
    return response.status === 401;
  });
  await alex.goto(`${http}/console/`);
  await alex.waitForSelector('textarea[name=token]', { visible: true });
  await alex.$eval('textarea[name=token]', (e, value) => { e.value = value; }, token);
  await clickText(alex, 'form button[type=submit]', 'Sign in');
  await waitText(alex, '.error-summary', 'Alex lost her phone.');
  check(await alex.evaluate(() => sessionStorage.length === 0), 'the ended token is not kept');
}
