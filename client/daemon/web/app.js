// yellowtail's web UI: Hamachi's window in a page. Everything it shows comes from
// the daemon's /api/events stream ("state": status and list, "chat": one message);
// everything it does is one control command POSTed to /api/command, the same
// commands the CLI sends (client/daemon/web_api.h). Text from the daemon, which
// quotes other people's names and messages, only ever goes into textContent.
'use strict';

const token = new URLSearchParams(location.search).get('token') || '';
const ui = {
  status: null,
  list: null,
  conversation: null,   // {kind: 'network' | 'peer', id, label}
  collapsed: new Set(), // network names folded away
  unread: new Set(),    // conversation keys with messages not seen
};
const $ = (id) => document.getElementById(id);

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

// ---- talking to the daemon -------------------------------------------------

let errorTimer = null;
function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { box.hidden = true; }, 10000);
}

// Runs one control command; resolves with its result, or shows the daemon's
// reason and resolves with null.
async function command(body) {
  try {
    const response = await fetch('/api/command', {
      method: 'POST',
      headers: {'Content-Type': 'application/json', 'X-Yellowtail-Token': token},
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    if (!answer.ok) {
      showError(answer.error);
      return null;
    }
    $('error').hidden = true;  // an old error no longer applies once something worked
    return answer.result;
  } catch (e) {
    showError('the daemon did not answer: ' + e);
    return null;
  }
}

let lastList = '';
function connectEvents() {
  const events = new EventSource('/api/events?token=' + encodeURIComponent(token));
  events.addEventListener('open', () => { document.body.classList.remove('disconnected'); });
  // The browser reconnects by itself; until then the page says it is stale.
  events.addEventListener('error', () => {
    document.body.classList.add('disconnected');
    $('me-state').textContent = 'no connection to the daemon';
  });
  events.addEventListener('state', (e) => {
    const state = JSON.parse(e.data);
    ui.status = state.status;
    renderMe();
    // The member list is rebuilt only when it changed (counters in the status
    // change every second; rebuilding under the pointer would eat clicks).
    const list = JSON.stringify(state.list);
    if (list !== lastList) {
      lastList = list;
      ui.list = state.list;
      render();
    }
  });
  events.addEventListener('chat', (e) => onChat(JSON.parse(e.data)));
  events.addEventListener('failure', (e) => showError(JSON.parse(e.data).error));
}

// ---- what a member's row says ------------------------------------------------

function rtt(peer) {
  return typeof peer.rtt_ms === 'number' ? ' · ' + peer.rtt_ms.toFixed(2) + ' ms' : '';
}

// The four states of Hamachi's status dot, with the words the CLI's list uses.
function peerState(peer) {
  if (!peer.online) return {state: 'offline', text: 'offline'};
  if (peer.connection === 'direct') return {state: 'direct', text: 'direct ' + peer.path + rtt(peer)};
  if (peer.connection === 'relayed') {
    return {state: 'relayed', text: 'relayed via ' + peer.path + ' (' + peer.relay_transport + ')' + rtt(peer)};
  }
  return {state: 'connecting', text: 'connecting: ' + (peer.reason || 'no tunnel yet')};
}

function peerName(peer) { return peer.nickname || peer.node_id; }

// ---- rendering -------------------------------------------------------------

function renderMe() {
  const s = ui.status;
  if (!s) return;
  $('nick').textContent = s.nickname || '(no nickname)';
  const address = s.virtual_ip ? s.virtual_ip + (s.prefix_length ? '/' + s.prefix_length : '') : 'no address yet';
  $('me-detail').textContent = address + ' · node ' + s.node_id + ' · server ' + s.server;
  const online = s.state === 'online';
  const badge = $('me-state');
  badge.textContent = s.logged_in ? s.state : 'logged out' + (s.logout_reason ? ': ' + s.logout_reason : '');
  badge.dataset.state = online ? 'online' : s.logged_in ? 'connecting' : 'offline';
  const power = $('power');
  power.dataset.on = String(s.logged_in);
  power.title = s.logged_in ? 'Log out (close every tunnel)' : 'Log in';
  $('footer').textContent = 'peers ' + s.peers + ' (' + s.direct_peers + ' direct, ' + s.relayed_peers +
      ' relayed) · sent ' + s.stats.packets_sent + ' · received ' + s.stats.packets_received;
}

function memberRow(peer, network) {
  const {state, text} = peerState(peer);
  const key = 'peer:' + peer.node_id;
  return el('li', {class: 'member', 'data-peer': peer.node_id, 'data-state': state, title: peer.public_key},
    el('span', {class: 'dot', title: state}),
    el('span', {class: 'name'}, peerName(peer)),
    el('span', {class: 'vip'}, peer.virtual_ip),
    el('span', {class: 'path'}, text),
    el('button', {type: 'button', class: 'small' + (ui.unread.has(key) ? ' unread' : ''), 'data-chat-peer': peer.node_id,
                  onclick: () => openConversation('peer', peer.node_id, peerName(peer))}, 'Chat'));
}

function networkGroup(network, peers) {
  const name = network.name;
  // By name, as Hamachi lists them; the node id settles equal nicknames.
  const members = peers.filter((p) => (p.networks || []).includes(name))
      .sort((a, b) => peerName(a).localeCompare(peerName(b)) || a.node_id.localeCompare(b.node_id));
  const folded = ui.collapsed.has(name);
  const key = 'network:' + name;
  const header = el('div', {class: 'group-header'},
    el('button', {type: 'button', class: 'fold', title: folded ? 'Show members' : 'Hide members',
                  onclick: () => { folded ? ui.collapsed.delete(name) : ui.collapsed.add(name); render(); }},
       folded ? '▸' : '▾'),
    el('span', {class: 'group-name'}, name),
    el('span', {class: 'count'}, members.filter((p) => p.online).length + '/' + members.length + ' online'),
    el('button', {type: 'button', class: 'small toggle', 'data-online': String(network.online),
                  title: network.online ? 'Appear offline in this network' : 'Go online in this network',
                  onclick: () => command({command: network.online ? 'go-offline' : 'go-online', network: name})},
       network.online ? 'Go offline' : 'Go online'),
    el('button', {type: 'button', class: 'small' + (ui.unread.has(key) ? ' unread' : ''), 'data-chat-network': name,
                  onclick: () => openConversation('network', name, name)}, 'Chat'),
    el('button', {type: 'button', class: 'small danger', onclick: () => leave(name)}, 'Leave'));
  const list = el('ul', {class: 'members'});
  if (!members.length) list.append(el('li', {class: 'hint'}, 'No other members yet.'));
  for (const peer of members) list.append(memberRow(peer, name));
  list.hidden = folded;
  return el('div', {class: 'group' + (network.online ? '' : ' offline-here'), 'data-network': name}, header, list);
}

function render() {
  renderMe();
  const box = $('networks');
  const networks = (ui.list && ui.list.networks) || [];
  const peers = (ui.list && ui.list.peers) || [];
  box.replaceChildren();
  if (!networks.length) box.append(el('p', {class: 'hint'}, 'Not in any network yet: create one or join one.'));
  for (const network of networks) box.append(networkGroup(network, peers));
}

// ---- chat ------------------------------------------------------------------

function conversationKey(kind, id) { return kind + ':' + id; }

// A history entry belongs to a network's conversation when it was sent there, to
// a peer's when it was private with that peer.
function belongs(entry, kind, id) {
  return kind === 'network' ? entry.network === id : !entry.network && entry.peer === id;
}

function messageLine(entry) {
  const time = new Date(entry.unix_ms).toLocaleTimeString();
  const who = entry.outgoing ? 'me' : (entry.nickname || entry.peer);
  return el('div', {class: 'msg' + (entry.outgoing ? ' mine' : '')},
    el('span', {class: 'time'}, time), el('span', {class: 'from', title: entry.peer || ''}, who),
    el('span', {class: 'text'}, entry.text));
}

async function openConversation(kind, id, label) {
  ui.conversation = {kind, id, label};
  ui.unread.delete(conversationKey(kind, id));
  $('chat-title').textContent = (kind === 'network' ? 'Network ' : 'Chat with ') + label;
  $('chat-input').disabled = false;
  $('chat-send').disabled = false;
  $('chat-input').focus();
  render();
  const log = $('chat-log');
  log.replaceChildren(el('p', {class: 'hint'}, 'Loading history…'));
  try {
    const response = await fetch('/api/history?limit=500&with=' + encodeURIComponent(id),
                                 {headers: {'X-Yellowtail-Token': token}});
    const answer = await response.json();
    if (!answer.ok) throw new Error(answer.error);
    if (!ui.conversation || ui.conversation.id !== id) return;  // another one was opened meanwhile
    log.replaceChildren();
    const mine = answer.result.messages.filter((m) => belongs(m, kind, id));
    if (!mine.length) log.append(el('p', {class: 'hint'}, 'No messages yet.'));
    for (const entry of mine) log.append(messageLine(entry));
    log.scrollTop = log.scrollHeight;
  } catch (e) {
    showError('chat history: ' + e.message);
  }
}

function onChat(entry) {
  const c = ui.conversation;
  if (c && belongs(entry, c.kind, c.id)) {
    const log = $('chat-log');
    log.querySelector('.hint')?.remove();
    log.append(messageLine(entry));
    log.scrollTop = log.scrollHeight;
    return;
  }
  ui.unread.add(entry.network ? conversationKey('network', entry.network) : conversationKey('peer', entry.peer));
  render();
}

async function sendChat(event) {
  event.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text || !ui.conversation) return;
  // The message appears when the daemon reports it recorded (a "chat" event).
  if (await command({command: 'chat', to: ui.conversation.id, text})) input.value = '';
}

// ---- actions ---------------------------------------------------------------

async function leave(name) {
  if (!confirm('Leave network ' + name + '?')) return;
  if (await command({command: 'leave', network: name}) && ui.conversation && ui.conversation.id === name) {
    ui.conversation = null;
    $('chat-title').textContent = 'Chat';
    $('chat-log').replaceChildren(el('p', {class: 'hint'}, 'Pick a network or a member to chat with.'));
  }
}

let networkAction = 'join';
function openNetworkDialog(action) {
  networkAction = action;
  $('network-dialog-title').textContent = action === 'create' ? 'Create a network' : 'Join a network';
  $('network-ok').textContent = action === 'create' ? 'Create' : 'Join';
  $('network-form').reset();
  $('network-dialog').showModal();
}

async function submitNetwork(event) {
  event.preventDefault();
  const body = {command: networkAction, network: $('network-name').value.trim()};
  const password = $('network-password').value;
  if (password) body.password = password;
  const ok = $('network-ok');
  ok.disabled = true;  // a join waits for the server (argon2id): no double submit
  const done = await command(body);
  ok.disabled = false;
  if (done) $('network-dialog').close();
}

async function submitNick(event) {
  event.preventDefault();
  if (await command({command: 'set-nick', nickname: $('nick-input').value.trim()})) $('nick-dialog').close();
}

function togglePower() {
  if (!ui.status) return;
  command({command: ui.status.logged_in ? 'logout' : 'login'});
}

document.addEventListener('DOMContentLoaded', () => {
  $('power').addEventListener('click', togglePower);
  $('create').addEventListener('click', () => openNetworkDialog('create'));
  $('join').addEventListener('click', () => openNetworkDialog('join'));
  $('network-form').addEventListener('submit', submitNetwork);
  $('network-cancel').addEventListener('click', () => $('network-dialog').close());
  $('nick').addEventListener('click', () => {
    $('nick-input').value = ui.status ? ui.status.nickname : '';
    $('nick-dialog').showModal();
  });
  $('nick-form').addEventListener('submit', submitNick);
  $('nick-cancel').addEventListener('click', () => $('nick-dialog').close());
  $('chat-form').addEventListener('submit', sendChat);
  $('error').addEventListener('click', () => { $('error').hidden = true; });
  connectEvents();
});
