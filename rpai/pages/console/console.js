// Key console: a gérant logs in and manages the tenant's integration API keys over /graphql.
// Every piece of data goes into the DOM through textContent, never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'rpai.console.token';
  const USER_KEY = 'rpai.console.user';

  const LOGIN = `mutation($email: String!, $password: String!) {
    login(email: $email, password: $password) { token expiresAt user { id name email role } }
  }`;
  const API_KEYS = `query {
    apiKeys { id name prefix permissions storeIds expiresAt active createdAt lastUsedAt }
  }`;
  const STORES = 'query { stores { id name active } }';
  const CREATE_KEY = `mutation($input: CreateApiKeyInput!) {
    createApiKey(input: $input) { key apiKey { id name prefix } }
  }`;
  const DEACTIVATE_KEY = 'mutation($id: ID!) { deactivateApiKey(id: $id) { id active } }';
  const ROTATE_KEY = `mutation($id: ID!, $grace: Int!) {
    rotateApiKey(id: $id, graceDays: $grace) { key apiKey { id name prefix } }
  }`;

  const storeNames = new Map();

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  function $(id) {
    return document.getElementById(id);
  }

  // --- GraphQL -------------------------------------------------------------------------------

  async function post(body) {
    const headers = { 'Content-Type': 'application/json' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    try {
      return await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify(body) });
    } catch {
      throw new ApiError('Le serveur est injoignable.');
    }
  }

  async function graphql(query, variables) {
    const response = await post({ query, variables });
    const body = await response.json().catch(() => null);
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      const first = body.errors[0];
      throw new ApiError(first.message, first.extensions && first.extensions.code);
    }
    if (!response.ok || !body || !body.data) {
      throw new ApiError(`Réponse inattendue du serveur (HTTP ${response.status}).`);
    }
    return body.data;
  }

  // --- Errors and busy buttons ---------------------------------------------------------------

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = false;
  }

  function clearError() {
    $('error').textContent = '';
    $('error').hidden = true;
  }

  async function run(action, button) {
    clearError();
    if (button) {
      button.disabled = true;
    }
    try {
      await action();
    } catch (error) {
      if (error.code === 'UNAUTHENTICATED') {
        endSession();
      }
      showError(error.message);
    } finally {
      if (button) {
        button.disabled = false;
      }
    }
  }

  // --- Session -------------------------------------------------------------------------------

  function signedIn() {
    return sessionStorage.getItem(TOKEN_KEY) !== null;
  }

  function showView() {
    const inside = signedIn();
    $('login-section').hidden = inside;
    $('console-section').hidden = !inside;
    $('session').hidden = !inside;
    $('session-user').textContent = inside ? sessionStorage.getItem(USER_KEY) : '';
  }

  async function logIn() {
    const email = $('login-email').value.trim();
    const password = $('login-password').value;
    const data = await graphql(LOGIN, { email, password });
    const user = data.login.user;
    sessionStorage.setItem(TOKEN_KEY, data.login.token);
    sessionStorage.setItem(USER_KEY, `${user.name} (${user.email})`);
    $('login-form').reset();
    showView();
    await loadConsole();
  }

  function endSession() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
    hideNewKey();
    storeNames.clear();
    $('keys-body').replaceChildren();
    $('key-stores').replaceChildren();
    showView();
  }

  // --- Stores and keys -----------------------------------------------------------------------

  async function loadConsole() {
    const data = await graphql(STORES);
    renderStores(data.stores);
    await loadKeys();
  }

  function renderStores(stores) {
    storeNames.clear();
    const options = stores.map((store) => {
      storeNames.set(store.id, store.name);
      const label = store.active ? store.name : `${store.name} (fermé)`;
      return new Option(label, store.id);
    });
    $('key-stores').replaceChildren(...options);
  }

  async function loadKeys() {
    const data = await graphql(API_KEYS);
    $('keys-body').replaceChildren(...data.apiKeys.map(keyRow));
    $('keys-empty').hidden = data.apiKeys.length > 0;
    $('keys-table').hidden = data.apiKeys.length === 0;
  }

  function formatDate(iso, absent) {
    if (!iso) {
      return absent;
    }
    return new Date(iso).toLocaleString('fr-FR', { dateStyle: 'short', timeStyle: 'short' });
  }

  function storesLabel(storeIds) {
    if (storeIds === null) {
      return 'Tous';
    }
    return storeIds.map((id) => storeNames.get(id) || id).join(', ');
  }

  function stateLabel(key) {
    if (!key.active) {
      return 'Inactive';
    }
    if (key.expiresAt && new Date(key.expiresAt) <= new Date()) {
      return 'Expirée';
    }
    return 'Active';
  }

  function cell(text, testId) {
    const td = document.createElement('td');
    td.textContent = text;
    td.dataset.testid = testId;
    return td;
  }

  function actionButton(label, testId, action, key) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.dataset.testid = testId;
    button.disabled = !key.active;
    button.addEventListener('click', () => run(() => action(key), button));
    return button;
  }

  function keyRow(key) {
    const row = document.createElement('tr');
    row.dataset.testid = 'key-row';
    row.dataset.keyId = key.id;
    row.classList.toggle('inactive', !key.active);
    const actions = document.createElement('td');
    actions.className = 'row-actions';
    actions.append(
      actionButton('Désactiver', 'deactivate', deactivateKey, key),
      actionButton('Renouveler', 'rotate', rotateKey, key),
    );
    row.append(
      cell(key.name, 'key-name'),
      cell(`${key.prefix}…`, 'key-prefix'),
      cell(key.permissions.join(', '), 'key-permissions'),
      cell(storesLabel(key.storeIds), 'key-stores'),
      cell(formatDate(key.createdAt, ''), 'key-created'),
      cell(formatDate(key.expiresAt, 'jamais'), 'key-expires'),
      cell(formatDate(key.lastUsedAt, 'jamais'), 'key-last-used'),
      cell(stateLabel(key), 'key-state'),
      actions,
    );
    return row;
  }

  // --- Key actions ---------------------------------------------------------------------------

  function readCreateForm() {
    const form = $('create-form');
    const permissions = Array.from(
      form.querySelectorAll('input[name="permission"]:checked'),
      (input) => input.value,
    );
    const storeIds = Array.from($('key-stores').selectedOptions, (option) => option.value);
    const expiry = $('key-expiry').value.trim();
    return {
      name: $('key-name').value.trim(),
      permissions,
      storeIds: storeIds.length > 0 ? storeIds : null,
      expiresInDays: expiry === '' ? null : Number(expiry),
    };
  }

  async function createKey() {
    const input = readCreateForm();
    if (input.permissions.length === 0) {
      throw new ApiError('Choisissez au moins une permission.');
    }
    const data = await graphql(CREATE_KEY, { input });
    $('create-form').reset();
    showNewKey(data.createApiKey);
    await loadKeys();
  }

  async function deactivateKey(key) {
    if (!window.confirm(`Désactiver la clé « ${key.name} » ? Elle sera refusée immédiatement.`)) {
      return;
    }
    await graphql(DEACTIVATE_KEY, { id: key.id });
    await loadKeys();
  }

  function askGraceDays(key) {
    const answer = window.prompt(
      `Renouveler la clé « ${key.name} ». Pendant combien de jours l'ancienne clé ` +
        'doit-elle encore fonctionner ?',
      '7',
    );
    if (answer === null) {
      return null;
    }
    if (!/^\d+$/.test(answer.trim())) {
      throw new ApiError('La période de grâce doit être un nombre entier de jours.');
    }
    return Number(answer.trim());
  }

  async function rotateKey(key) {
    const grace = askGraceDays(key);
    if (grace === null) {
      return;
    }
    const data = await graphql(ROTATE_KEY, { id: key.id, grace });
    showNewKey(data.rotateApiKey);
    await loadKeys();
  }

  // --- The key shown once --------------------------------------------------------------------

  function showNewKey(created) {
    $('new-key-title').textContent = `Nouvelle clé « ${created.apiKey.name} »`;
    $('new-key-value').textContent = created.key;
    $('copy-status').textContent = '';
    $('new-key-box').hidden = false;
    $('new-key-box').scrollIntoView({ block: 'nearest' });
  }

  function hideNewKey() {
    $('new-key-value').textContent = '';
    $('copy-status').textContent = '';
    $('new-key-box').hidden = true;
  }

  function selectKeyText() {
    const range = document.createRange();
    range.selectNodeContents($('new-key-value'));
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  async function copyKey() {
    try {
      await navigator.clipboard.writeText($('new-key-value').textContent);
      $('copy-status').textContent = 'Clé copiée.';
    } catch {
      selectKeyText();
      $('copy-status').textContent = 'Clé sélectionnée : appuyez sur Ctrl+C pour la copier.';
    }
  }

  // --- Wiring --------------------------------------------------------------------------------

  function onSubmit(formId, action) {
    const form = $(formId);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      run(action, form.querySelector('button[type="submit"]'));
    });
  }

  function init() {
    onSubmit('login-form', logIn);
    onSubmit('create-form', createKey);
    $('logout').addEventListener('click', () => {
      clearError();
      endSession();
    });
    $('copy-key').addEventListener('click', copyKey);
    $('dismiss-key').addEventListener('click', hideNewKey);
    showView();
    if (signedIn()) {
      run(loadConsole);
    }
  }

  init();
})();
