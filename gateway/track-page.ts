import type { Plugin } from 'graphql-yoga';

/** GET /track: a live tracking page, served by the gateway like GraphiQL (no CDN, no build step). */
export function useTrackPage(): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (request.method !== 'GET' || url.pathname !== '/track') return;
      endResponse(new Response(trackPageHtml, { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' } }));
    },
  };
}

// The page works from a tracking link (/track?order=<id>&token=<Order.trackingToken>): the token
// lets it read and follow that one order and nothing else, so the page shows no personal data.
// It reads the order and its history once, then follows it over a WebSocket with the
// graphql-ws protocol, resubscribing from its last cursor whenever the connection drops, so
// it never misses or repeats a transition (rows are keyed by transition id).
const trackPageHtml = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Track an order</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 56rem; padding: 0 1rem; color: #1d2330; }
  form { display: flex; gap: .5rem; margin-bottom: 1.5rem; }
  input { flex: 1; font: inherit; padding: .45rem .6rem; border: 1px solid #b8c0cc; border-radius: 6px; }
  button { font: inherit; padding: .45rem 1rem; border: 0; border-radius: 6px; background: #2357d9; color: white; cursor: pointer; }
  #summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; margin-bottom: 1.25rem; }
  #summary div { background: #f2f5fa; border-radius: 8px; padding: .6rem .8rem; }
  #summary b { display: block; font-size: .75rem; text-transform: uppercase; color: #5b6577; letter-spacing: .04em; }
  #connection { font-size: .85rem; color: #5b6577; margin-bottom: .5rem; }
  #connection[data-state="live"]::before { content: "● "; color: #1a9b4b; }
  #connection[data-state="reconnecting"]::before { content: "● "; color: #d98a00; }
  #connection[data-state="ended"]::before { content: "● "; color: #b42318; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e3e7ee; font-size: .9rem; }
  tr.new { animation: flash 1.5s ease-out; }
  @keyframes flash { from { background: #fff4c2; } to { background: transparent; } }
  .error { color: #b42318; }
</style>
</head>
<body>
<h1>Track an order</h1>
<form id="form"><input id="order-id" name="order" placeholder="Order id" autocomplete="off" required><button>Track</button></form>
<p id="message"></p>
<section id="tracking" hidden>
  <div id="summary">
    <div><b>Status</b><span id="status"></span></div>
    <div><b>Where</b><span id="where"></span></div>
    <div><b>Shipments</b><span id="shipments"></span></div>
  </div>
  <div id="connection"></div>
  <table><thead><tr><th>When</th><th>What</th><th>Change</th><th>Node</th></tr></thead><tbody id="history"></tbody></table>
</section>
<script>
const endpoint = new URL('/graphql', location.href);
const params = new URLSearchParams(location.search);
const token = params.get('token');
const $ = (id) => document.getElementById(id);
// Not the detail: a tracking link may not read it (it can name what was ordered, or how it was paid).
const transitionFields = 'id elementType elementId from to node at';
const orderQuery = \`query TrackOrder($id: ID!) {
  order(id: $id) {
    id status stage
    location { state node since }
    shipments { id carrier trackingNumber }
    history { \${transitionFields} }
    historyCursor
  }
}\`;
const subscription = \`subscription FollowOrder($orderId: ID!, $after: String) {
  orderTransitions(orderId: $orderId, after: $after) {
    cursor
    transition { \${transitionFields} }
    order { status stage location { state node } }
    shipment { id carrier trackingNumber }
  }
}\`;

let current = null;

async function query(text, variables) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Bearer ' + token;
  try {
    const response = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ query: text, variables }) });
    return await response.json();
  } catch {
    return { errors: [{ message: 'The server cannot be reached.', extensions: { code: 'UNREACHABLE' } }] };
  }
}

// Errors that pass: asking again later may well succeed.
const passing = ['DEPENDENCY_UNAVAILABLE', 'REQUEST_TIMEOUT', 'RATE_LIMITED', 'INTERNAL_SERVER_ERROR', 'UNREACHABLE'];

// Rows in the order the transitions happened, as the history query gives them. Live events come
// in the order tracking recorded them, and two nodes' reports can cross on the way (the order's
// SHIPPING after its shipment's SHIPPED): a late one goes where it belongs.
function addRow(t, fresh) {
  if (document.querySelector('[data-id="' + CSS.escape(t.id) + '"]')) return;
  const row = document.createElement('tr');
  row.dataset.id = t.id;
  row.dataset.at = t.at;
  if (fresh) row.className = 'new';
  const cells = [new Date(t.at).toLocaleTimeString(), t.elementType.toLowerCase() + ' ' + t.elementId.slice(-8), (t.from ?? 'new') + ' → ' + t.to, t.node];
  for (const text of cells) { const cell = document.createElement('td'); cell.textContent = text; row.append(cell); }
  // By time, then id, as tracking sorts the history.
  const later = [...$('history').children].find((other) => other.dataset.at > t.at || (other.dataset.at === t.at && other.dataset.id.localeCompare(t.id) > 0));
  $('history').insertBefore(row, later ?? null);
}

// The live feed's state and what it says; without one, nothing (no feed, or none yet).
function showConnection(state, text = '') {
  if (state) $('connection').dataset.state = state;
  else delete $('connection').dataset.state;
  $('connection').textContent = text;
}

function showShipments(list) {
  $('shipments').textContent = list.length ? list.map((s) => s.carrier + ' ' + s.trackingNumber).join(', ') : 'none yet';
}

// Each call of track() is one attempt: an answer for an attempt another has replaced is dropped
// (a second order asked for while the first was being read; a retry overtaken by a new request).
let attempt = 0;

async function track(orderId, again = false) {
  current?.stop();
  current = null;
  const mine = ++attempt;
  // A new order starts blank; a retry keeps what it shows until the new answer comes.
  if (!again) {
    $('tracking').hidden = true;
    $('message').className = '';
    $('message').textContent = 'Reading the order…';
    $('history').replaceChildren();
    showConnection();
  }
  const { data, errors } = await query(orderQuery, { id: orderId });
  if (mine !== attempt) return;
  $('message').textContent = '';
  if (again) $('history').replaceChildren();
  const askAgain = () => {
    const retry = setTimeout(() => track(orderId, true), 5000);
    current = { stop() { clearTimeout(retry); } };
  };
  const transient = errors?.some((error) => passing.includes(error.extensions?.code));
  if (!data?.order) {
    $('tracking').hidden = true;
    $('message').className = 'error';
    if (transient) {
      $('message').textContent = 'This order cannot be read just now; trying again shortly.';
      askAgain();
      return;
    }
    $('message').textContent = errors?.[0]?.message ?? 'This link shows no order: no order has this id, or the link is for another order.';
    return;
  }
  const order = data.order;
  $('tracking').hidden = false;
  $('status').textContent = order.status;
  $('where').textContent = order.location ? order.location.state + ' at ' + order.location.node : (order.stage ?? '');
  const shipments = new Map((order.shipments ?? []).map((s) => [s.id, s]));
  if (order.shipments === null) $('shipments').textContent = 'cannot be shown just now';
  else showShipments([...shipments.values()]);
  // A service that could not be asked leaves its part null (shipping: the shipments; tracking: the
  // history and the cursor to follow on from), with an error naming it: say so, and ask again.
  if (errors?.length) {
    const missing = [...new Set(errors.map((error) => error.extensions?.serviceName).filter(Boolean))];
    $('message').className = 'error';
    $('message').textContent = 'Part of this order cannot be shown just now' + (missing.length ? ' (from ' + missing.join(', ') + ')' : '') + '; trying again shortly.';
    showConnection();
    for (const t of order.history ?? []) addRow(t, false);
    askAgain();
    return;
  }
  // The history is complete up to historyCursor: following on from there misses nothing,
  // and a transition that comes again is shown once (rows are keyed by transition id).
  let cursor = order.historyCursor;
  for (const t of order.history) addRow(t, false);
  current = follow(orderId, cursor, (event) => {
    cursor = event.cursor;
    addRow(event.transition, true);
    if (event.order) $('status').textContent = event.order.status;
    // Where tracking says the order is now, as on a reload: not a late arrival, nor a refund or a change.
    if (event.order?.location) $('where').textContent = event.order.location.state + ' at ' + event.order.location.node;
    if (event.shipment) { shipments.set(event.shipment.id, event.shipment); showShipments([...shipments.values()]); }
  }, () => cursor);
}

// A minimal graphql-ws client: connection_init, subscribe, next/complete, ping→pong,
// and reconnection that resumes from the last cursor received. A refusal is said, and waited out
// longer each time (a link open in more tabs than its limit would otherwise ask four times a
// second); a link that no longer works ends the following, as trying again cannot help.
function follow(orderId, startCursor, onEvent, lastCursor) {
  let socket, stopped = false, attempt = 0, timer, refused, liveSince;
  const connect = () => {
    if (stopped) return;
    refused = null;
    liveSince = null;
    socket = new WebSocket(endpoint.href.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.onopen = () => socket.send(JSON.stringify({ type: 'connection_init', payload: token ? { authorization: 'Bearer ' + token } : {} }));
    socket.onmessage = ({ data }) => {
      const message = JSON.parse(data);
      if (message.type === 'connection_ack') {
        liveSince = Date.now();
        showConnection('live', 'Live: transitions appear as they happen.');
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: subscription, variables: { orderId, after: lastCursor() ?? startCursor } } }));
      } else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }));
      else if (message.type === 'next') {
        const event = message.payload.data?.orderTransitions;
        if (event) {
          attempt = 0; // it follows: the next drop is tried again at once
          onEvent(event);
        }
        // Part of an event unreadable (its order's status, say): the feed itself goes on.
        if (message.payload.errors && event) showConnection('live', 'Live; part of the last update could not be read.');
        else if (message.payload.errors) refused = message.payload.errors[0];
      } else if (message.type === 'error') refused = message.payload[0] ?? { message: 'The subscription was refused.' };
      else if (message.type === 'complete') socket.close(1000);
    };
    socket.onclose = ({ code }) => {
      if (stopped) return;
      const why = refused?.extensions?.code;
      if (code === 4401 || code === 4403 || why === 'UNAUTHENTICATED' || why === 'FORBIDDEN') {
        stopped = true;
        showConnection('ended', 'Not following live any more: this link has expired or no longer gives access to this order. Ask for a new link.');
        return;
      }
      // Too old a cursor to follow on from: read the order again, and follow on from there.
      if (why === 'CURSOR_EXPIRED') {
        stopped = true;
        track(orderId, true);
        return;
      }
      // Live a good while before it dropped: not a refusal in a loop, so no wait.
      if (!refused && liveSince && Date.now() - liveSince > 30000) attempt = 0;
      const wait = Math.min(10000, 250 * 2 ** attempt++);
      showConnection('reconnecting', (refused?.message ? refused.message + ' ' : '') + 'Reconnecting in ' + Math.ceil(wait / 1000) + ' s…');
      timer = setTimeout(connect, wait);
    };
  };
  connect();
  return { stop() { stopped = true; clearTimeout(timer); socket?.close(1000); } };
}

$('form').addEventListener('submit', (event) => {
  event.preventDefault();
  const id = $('order-id').value.trim();
  history.replaceState(null, '', '?order=' + encodeURIComponent(id) + (token ? '&token=' + encodeURIComponent(token) : ''));
  track(id);
});
if (params.get('order')) { $('order-id').value = params.get('order'); track(params.get('order')); }
</script>
</body>
</html>
`;
