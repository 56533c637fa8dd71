// Invitation landing page: reads the token from the link, then sends it to /graphql only,
// with the chosen password. The token is taken out of the address bar at once and stored
// nowhere; every piece of data goes into the DOM through textContent, never as HTML.
'use strict';

(function () {
  const ACCEPT = `mutation($token: String!, $password: String!) {
    acceptInvitation(token: $token, password: $password) { user { name email } }
  }`;
  const MIN_PASSWORD_LENGTH = 10;

  function $(id) {
    return document.getElementById(id);
  }

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = false;
  }

  async function accept(token, password) {
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: ACCEPT, variables: { token, password } }),
      });
    } catch {
      throw new Error('Le serveur est injoignable. Réessayez dans un instant.');
    }
    const body = await response.json().catch(() => null);
    if (body && Array.isArray(body.errors) && body.errors.length > 0) {
      throw new Error(body.errors[0].message);
    }
    if (!response.ok || !body || !body.data) {
      throw new Error(`Réponse inattendue du serveur (HTTP ${response.status}).`);
    }
    return body.data.acceptInvitation.user;
  }

  function start() {
    const token = new URLSearchParams(window.location.search).get('token');
    window.history.replaceState(null, '', window.location.pathname);
    if (!token) {
      showError("Ce lien d'invitation est incomplet : ouvrez le lien reçu par e-mail.");
      return;
    }
    const form = $('accept-form');
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      $('error').hidden = true;
      const password = $('password').value;
      if (password.length < MIN_PASSWORD_LENGTH) {
        showError(`Le mot de passe doit contenir au moins ${MIN_PASSWORD_LENGTH} caractères.`);
        return;
      }
      if (password !== $('confirmation').value) {
        showError('Les deux mots de passe ne sont pas identiques.');
        return;
      }
      $('accept-submit').disabled = true;
      try {
        const user = await accept(token, password);
        form.hidden = true;
        $('user-name').textContent = user.name;
        $('user-email').textContent = user.email;
        $('success').hidden = false;
      } catch (error) {
        showError(error.message);
        $('accept-submit').disabled = false;
      }
    });
  }

  start();
})();
