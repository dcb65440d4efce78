// Signing in: with the organisation's identity provider when carebridge is
// set up for it (OpenID Connect; the provider sends the browser back with
// an ID token, checked here against the state and nonce this page made and
// then by carebridge like any token), or by pasting a token: one
// carebridge issued (a member's, a person's own) or the provider's.
import { session, setToken } from './api.js';
import { h, show, field, errorSummary, fieldError, clearErrors, errorBox } from './ui.js';

const PENDING_KEY = 'carebridge.sign-in';

async function signInOptions() {
  try {
    const response = await fetch('/v1/sign-in', { cache: 'no-store' });
    return response.ok ? await response.json() : {};
  } catch (e) {
    return {};
  }
}

function randomToken() {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Off to the provider, remembering what to expect back.
function startProviderSignIn(provider) {
  const pending = { state: randomToken(), nonce: randomToken() };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const query = new URLSearchParams({
    response_type: 'id_token',
    client_id: provider.clientId,
    redirect_uri: `${location.origin}/console/`,
    scope: 'openid email',
    state: pending.state,
    nonce: pending.nonce,
  });
  location.assign(`${provider.authorizationEndpoint}?${query}`);
}

function payloadOf(jwt) {
  const part = (jwt.split('.')[1] || '').replace(/-/g, '+').replace(/_/g, '/');
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')));
}

// The provider's answer in the address (#id_token=...&state=... or
// #error=...): null when there is none; else the token, or throws why not.
export function providerAnswer() {
  const fragment = location.hash.slice(1);
  if (!/(^|&)(id_token|error)=/.test(fragment)) return null;
  const answer = new URLSearchParams(fragment);
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || '{}');
  sessionStorage.removeItem(PENDING_KEY);
  history.replaceState(null, '', `${location.pathname}#/`);
  // Nothing in the address is believed, not even an error's words, unless
  // it answers a sign-in started here.
  if (!pending.state || answer.get('state') !== pending.state) {
    throw new Error('the sign-in answer does not match a sign-in started here; start again');
  }
  if (answer.get('error')) {
    throw new Error(`your organisation's sign-in said: ${answer.get('error_description') || answer.get('error')}`);
  }
  const token = answer.get('id_token');
  let claims;
  try {
    claims = payloadOf(token);
  } catch (e) {
    throw new Error('the sign-in answer is not a token');
  }
  if (claims.nonce !== pending.nonce) {
    throw new Error('the sign-in answer was not made for this sign-in; start again');
  }
  return token;
}

export async function showSignIn(signedIn, problem) {
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
  const options = await signInOptions();
  const provider = options.identityProvider;
  show(h('h1', {}, 'Sign in to carebridge'),
      problem ? errorBox(problem) : null,
      provider ? h('div', { class: 'card narrow' },
          h('p', {}, 'Use the account you sign in to at work with.'),
          h('button', { type: 'button', class: 'primary', id: 'provider-sign-in',
            onclick: () => startProviderSignIn(provider) }, 'Sign in with your organisation'),
          h('p', { class: 'hint' }, 'Or paste a token below.')) : null,
      form);
}
