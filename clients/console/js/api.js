// The JSON API (the gRPC services' proto3 JSON mapping) as the signed-in
// person, and the team inbox stream. Every rule lives on the server: this
// file only carries requests and answers.

const TOKEN_KEY = 'carebridge.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// An answer that was not a success: the HTTP status, the gRPC code
// (`ABORTED`) and the server's message, which names the field and the
// problem.
export class ApiError extends Error {
  constructor(httpStatus, code, message) {
    super(message);
    this.httpStatus = httpStatus;
    this.code = code;
  }
}

async function send(method, path, body) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'UNAVAILABLE',
        'carebridge cannot be reached; check the connection and try again');
  }
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch (e) {
    parsed = {};
  }
  if (!response.ok) {
    const error = parsed.error || {};
    // The token expired or was revoked: back to sign-in, saying why.
    if (response.status === 401 && path !== '/v1/session') {
      window.dispatchEvent(new CustomEvent('carebridge:signed-out', { detail: error.message }));
    }
    throw new ApiError(response.status, error.status || 'UNKNOWN',
        error.message || `the server answered ${response.status}`);
  }
  return parsed;
}

// Any unary method: call('referral.v1.ReferralService', 'AcceptReferral',
// {...}).
export function call(service, method, body = {}) {
  return send('POST', `/v1/carebridge.${service}/${method}`, body);
}

// A resource by name: get('referrals/abc').
export function get(name) {
  return send('GET', `/v1/${name}`);
}

export function session() {
  return send('GET', '/v1/session');
}

// Every page of a List method (at most `limit` items): one page reader for
// every list on the console.
export async function listAll(service, method, body, field, limit = 1000) {
  const items = [];
  let pageToken = '';
  do {
    const page = await call(service, method,
        { ...body, pageToken, pageSize: Math.min(500, limit - items.length) });
    items.push(...(page[field] || []));
    pageToken = page.nextPageToken || '';
  } while (pageToken && items.length < limit);
  return items;
}

// A person's care plan; one not written yet reads as an empty version 0,
// which the editor can start.
export async function carePlan(person) {
  try {
    return await get(`${person}/carePlan`);
  } catch (e) {
    if (e.code !== 'NOT_FOUND') throw e;
    return { name: `${person}/carePlan`, person, version: '0' };
  }
}

// A fresh id for a create's request_id, so a retried create is not made
// twice.
export function requestId() {
  return crypto.randomUUID ? crypto.randomUUID() :
      `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

// Follows the team inbox (GET /v1/inbox:stream, server-sent events read
// with fetch so the token travels in a header, never a URL). `onEvent(event)`
// for each inbox item; `onState('live'|'reconnecting'|'stopped', detail)`.
// Resumes from the last event seen after a dropped connection. Returns a
// function that stops it.
export function followInbox(onEvent, onState) {
  let stopped = false;
  let after = '';
  let controller = null;
  let delay = 1000;
  let readyAt = 0;

  async function connect() {
    while (!stopped) {
      controller = new AbortController();
      try {
        const query = after ? `?after=${encodeURIComponent(after)}` : '';
        const response = await fetch(`/v1/inbox:stream${query}`, {
          headers: { Authorization: `Bearer ${token()}` },
          signal: controller.signal,
          cache: 'no-store',
        });
        if (response.status === 401 || response.status === 403) {
          onState('stopped', 'your sign-in is no longer valid');
          return;
        }
        if (response.status === 429) {
          // The server has as many live inboxes open as it serves: the
          // page refreshes on each retry instead.
          onState('busy');
          await new Promise((resolve) => setTimeout(resolve, 30000));
          continue;
        }
        if (!response.ok || !response.body) throw new Error(`${response.status}`);
        await read(response.body.getReader());
      } catch (e) {
        if (stopped) return;
      }
      onState('reconnecting');
      if (readyAt && Date.now() - readyAt > 10000) delay = 1000;
      readyAt = 0;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 30000);
    }
  }

  async function read(reader) {
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  }

  function dispatch(block) {
    let type = 'message';
    let id = '';
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) type = line.slice(7);
      else if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (id) after = id;
    if (type === 'ready') {
      // Back off until the stream has shown it works (an event, or 10 s
      // up): a stream that opens and fails at once must not loop.
      readyAt = Date.now();
      onState('live');
    } else if (type === 'inbox') {
      delay = 1000;
      onEvent(JSON.parse(data.join('\n')));
    } else if (type === 'error') {
      onState('reconnecting');
    }
  }

  connect();
  return () => {
    stopped = true;
    if (controller) controller.abort();
  };
}
