// The staff space (/espace/equipe): the gérant sees his people by store, with their status and
// invitation, invites a manager or seller, resends an invitation, suspends, reactivates, moves
// a seller and deletes; a manager sees his store's people. Every rule is the API's: the page
// only calls its operations. Every piece of data goes into the DOM through textContent.
'use strict';

(() => {
  const { graphql, viewer, session, $, say, ROLE_LABELS } = window.RPAI;
  const INVITATION_LABELS = {
    PENDING: "Invitation en attente d'envoi",
    SENDING: "Invitation en cours d'envoi",
    SENT: 'Invitation envoyée',
    FAILED: 'Invitation non remise',
    ACCEPTED: 'Compte activé',
  };
  const state = { me: null, stores: [], users: [], invitations: new Map() };

  function element(tag, { text, className, attrs } = {}) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function button(text, onClick, className = 'secondary') {
    const node = element('button', { text, className, attrs: { type: 'button' } });
    node.addEventListener('click', onClick);
    return node;
  }

  async function allPages(document, field) {
    const nodes = [];
    let after = null;
    for (;;) {
      const page = (await graphql(document, { after }))[field];
      nodes.push(...page.edges.map((edge) => edge.node));
      if (!page.pageInfo.hasNextPage) return nodes;
      after = page.pageInfo.endCursor;
    }
  }

  const isGerant = () => state.me.role === 'GERANT';

  async function load() {
    const [stores, users] = await Promise.all([
      graphql('staffStores').then((data) => data.stores),
      allPages('staffUsers', 'users'),
    ]);
    state.stores = stores.filter((store) => store.active);
    state.users = users.filter((user) => user.status !== 'DELETED');
    state.invitations = new Map();
    for (const invitation of await allPages('staffInvitations', 'invitations')) {
      state.invitations.set(invitation.userId, invitation);
    }
    render();
  }

  /** Runs what a person asked, shows its outcome, then reloads the lists. */
  async function act(control, action, done) {
    say('error', '');
    say('notice', '');
    control.disabled = true;
    try {
      await action();
      await load();
      say('notice', done);
    } catch (error) {
      control.disabled = false;
      say('error', error.message);
      if (error.code === 'UNAUTHENTICATED') signOut();
    }
  }

  function managersOf(storeId) {
    return state.users.filter(
      (user) => user.role === 'MANAGER' && user.storeId === storeId && user.status === 'ACTIVE',
    );
  }

  function fillManagers(select, storeId, chosen) {
    select.replaceChildren(
      element('option', { text: 'Le premier manager du magasin', attrs: { value: '' } }),
    );
    for (const manager of managersOf(storeId)) {
      const option = element('option', { text: manager.name, attrs: { value: manager.id } });
      option.selected = manager.id === chosen;
      select.append(option);
    }
  }

  function badges(user) {
    const list = element('div', { className: 'badges' });
    list.append(element('span', { text: ROLE_LABELS[user.role], className: 'badge' }));
    if (user.status === 'SUSPENDED') {
      list.append(element('span', { text: 'Suspendu', className: 'badge suspended' }));
    }
    const invitation = state.invitations.get(user.id);
    if (invitation) {
      const label = INVITATION_LABELS[invitation.status];
      const className = `badge ${invitation.status.toLowerCase()}`;
      list.append(
        element('span', { text: label, className, attrs: { 'data-testid': 'invitation' } }),
      );
    } else if (isGerant()) {
      list.append(element('span', { text: 'Pas encore invité', className: 'badge' }));
    }
    return list;
  }

  function moveForm(user, row) {
    const form = element('form', { className: 'move-form' });
    const store = element('select', { attrs: { 'aria-label': 'Nouveau magasin' } });
    for (const each of state.stores) {
      const option = element('option', { text: each.name, attrs: { value: each.id } });
      option.selected = each.id === user.storeId;
      store.append(option);
    }
    const manager = element('select', { attrs: { 'aria-label': 'Nouveau manager' } });
    fillManagers(manager, store.value, user.managerId);
    store.addEventListener('change', () => fillManagers(manager, store.value, null));
    const submit = element('button', { text: 'Déplacer', attrs: { type: 'submit' } });
    form.append(
      store,
      manager,
      submit,
      button('Annuler', () => form.remove()),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      act(
        submit,
        () =>
          graphql('moveSeller', {
            userId: user.id,
            storeId: store.value,
            managerId: manager.value || null,
          }),
        `${user.name} a été déplacé(e).`,
      );
    });
    row.append(form);
  }

  function confirmDelete(user, row) {
    const box = element('div', { className: 'confirm', attrs: { role: 'group' } });
    box.append(
      element('span', { text: `Supprimer ${user.name}\u202f? Son accès s'arrête aussitôt.` }),
    );
    const yes = button(
      'Supprimer',
      () =>
        act(
          yes,
          () => graphql('deleteStaff', { userId: user.id }),
          `${user.name} a été supprimé(e).`,
        ),
      'danger',
    );
    box.append(
      yes,
      button('Annuler', () => box.remove()),
    );
    row.append(box);
  }

  function actionsOf(user, row) {
    const list = element('div', { className: 'person-actions' });
    const invitation = state.invitations.get(user.id);
    if (user.status === 'ACTIVE' && invitation?.status !== 'ACCEPTED') {
      const resend = button("Renvoyer l'invitation", () =>
        act(
          resend,
          () => graphql('resendInvitation', { userId: user.id }),
          `Invitation renvoyée à ${user.email}.`,
        ),
      );
      list.append(resend);
    }
    const active = user.status === 'ACTIVE';
    const toggle = button(active ? 'Suspendre' : 'Réactiver', () =>
      act(
        toggle,
        () =>
          graphql('setUserStatus', { userId: user.id, status: active ? 'SUSPENDED' : 'ACTIVE' }),
        active ? `${user.name} est suspendu(e).` : `${user.name} est réactivé(e).`,
      ),
    );
    list.append(toggle);
    if (user.role === 'SELLER') {
      list.append(button('Déplacer', () => row.querySelector('.move-form') || moveForm(user, row)));
    }
    list.append(
      button(
        'Supprimer',
        () => row.querySelector('.confirm') || confirmDelete(user, row),
        'danger',
      ),
    );
    return list;
  }

  function personRow(user) {
    const row = element('li', { className: 'person', attrs: { 'data-user': user.email } });
    const who = element('div', { className: 'who' });
    who.append(
      element('div', { text: user.name, className: 'name' }),
      element('div', { text: user.email, className: 'muted' }),
      badges(user),
    );
    row.append(who);
    if (isGerant()) row.append(actionsOf(user, row));
    return row;
  }

  function storeCard(store) {
    const card = element('section', { className: 'card', attrs: { 'data-store': store.name } });
    const people = state.users.filter((user) => user.storeId === store.id);
    card.append(element('h3', { text: `${store.name} (${people.length})` }));
    if (people.length === 0) {
      const next = isGerant()
        ? 'Personne dans ce magasin : invitez son manager, puis ses vendeurs, avec le formulaire ci-dessus.'
        : "Personne dans ce magasin pour l'instant : le gérant invite les vendeurs.";
      card.append(element('p', { text: next, className: 'empty-state' }));
      return card;
    }
    const order = { MANAGER: 0, SELLER: 1 };
    people.sort((a, b) => order[a.role] - order[b.role] || a.name.localeCompare(b.name, 'fr'));
    const list = element('ul', { className: 'people' });
    list.append(...people.map(personRow));
    card.append(list);
    return card;
  }

  function render() {
    $('staff').hidden = false;
    $('invite-card').hidden = !isGerant() || state.stores.length === 0;
    $('no-stores').hidden = state.stores.length > 0;
    const shown = isGerant()
      ? state.stores
      : state.stores.filter((store) => store.id === state.me.store?.id);
    $('staff-caption').textContent = isGerant()
      ? 'Vos magasins et leurs équipes : statut, invitation et actions de chacun.'
      : "L'équipe de votre magasin (les changements se font par le gérant).";
    $('stores').replaceChildren(...shown.map(storeCard));
    const storeSelect = $('invite-store');
    const chosen = storeSelect.value;
    storeSelect.replaceChildren(
      ...state.stores.map((store) =>
        element('option', { text: store.name, attrs: { value: store.id } }),
      ),
    );
    if (chosen) storeSelect.value = chosen;
    inviteRoleChanged();
  }

  function inviteRoleChanged() {
    const seller = $('invite-role').value === 'SELLER';
    $('invite-manager-label').hidden = !seller;
    fillManagers($('invite-manager'), $('invite-store').value, null);
  }

  function invite(event) {
    event.preventDefault();
    const role = $('invite-role').value;
    const input = {
      name: $('invite-name').value.trim(),
      email: $('invite-email').value.trim(),
      sendInvitation: true,
    };
    if (role === 'SELLER' && $('invite-manager').value) input.managerId = $('invite-manager').value;
    const storeId = $('invite-store').value;
    act(
      $('invite-submit'),
      async () => {
        await graphql(role === 'SELLER' ? 'inviteSeller' : 'inviteManager', { storeId, input });
        $('invite-form').reset();
        $('invite-store').value = storeId;
      },
      `Invitation envoyée à ${input.email}.`,
    ).then(() => {
      $('invite-submit').disabled = false;
    });
  }

  function signOut() {
    session.clear();
    $('staff').hidden = true;
    $('session').hidden = true;
    $('signed-out').hidden = false;
  }

  async function start() {
    $('invite-form').addEventListener('submit', invite);
    $('invite-role').addEventListener('change', inviteRoleChanged);
    $('invite-store').addEventListener('change', inviteRoleChanged);
    $('logout').addEventListener('click', signOut);
    try {
      state.me = await viewer();
    } catch (error) {
      say('error', error.message);
    }
    if (!state.me) {
      $('signed-out').hidden = false;
      return;
    }
    if (state.me.role === 'SELLER') {
      say('notice', "L'équipe est visible par le gérant et les managers.");
      return;
    }
    $('session').hidden = false;
    $('session-user').textContent = `${state.me.name} (${ROLE_LABELS[state.me.role]})`;
    try {
      await load();
    } catch (error) {
      say('error', error.message);
    }
  }

  start();
})();
