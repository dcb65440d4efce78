// Signing in with a token: one carebridge issued (carectl member token, a
// person's own token), or the organisation's identity provider's ID token.
import { session, setToken } from './api.js';
import { h, show, field, errorSummary, fieldError, clearErrors } from './ui.js';

export function showSignIn(signedIn) {
  const tokenInput = h('textarea', {
    rows: 4, autocomplete: 'off', spellcheck: 'false', name: 'token', required: true,
  });
  const form = h('form', { class: 'card narrow', novalidate: true },
      field('Your sign-in token', tokenInput,
          'Paste the token your administrator gave you, or the one from your ' +
          "organisation's sign-in. It is kept in this tab only and forgotten " +
          'when you close it.'),
      h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const value = tokenInput.value.trim();
    if (!value) {
      errorSummary(form, [fieldError(tokenInput, 'Enter your sign-in token')]);
      return;
    }
    setToken(value);
    try {
      const who = await session();
      signedIn(who);
    } catch (e) {
      setToken('');
      errorSummary(form, [fieldError(tokenInput, e.message)]);
    }
  });
  show(h('h1', {}, 'Sign in to carebridge'), form);
}
