// Invitation landing page: reads the token from the link, checks it as the page opens (a used,
// unknown or expired link is told before anyone types a password), then sends it to /graphql
// only, with the chosen password. The token is taken out of the address bar at once and kept
// in the history entry only (no storage), so that a reload keeps working; forgotten once used. The session it
// opens is kept for this tab, so that the link to the staff space leads straight in. Every
// piece of data goes into the DOM through textContent.
'use strict';

(() => {
  const { graphql, session, $, say } = window.RPAI;
  const MIN_PASSWORD_LENGTH = 10;

  // The link's token, moved from the address into this history entry's state: a reload keeps
  // it, no storage holds it, and it leaves no trace in the address bar.
  function linkToken() {
    const fromLink = new URLSearchParams(window.location.search).get('token');
    if (fromLink) {
      window.history.replaceState({ token: fromLink }, '', window.location.pathname);
    }
    return window.history.state?.token ?? null;
  }

  function forgetToken() {
    window.history.replaceState(null, '', window.location.pathname);
  }

  function refuse(message) {
    say('error', message);
    $('to-login').hidden = false;
  }

  async function start() {
    const token = linkToken();
    if (!token) {
      refuse("Ce lien d'invitation est incomplet : ouvrez le lien reçu par e-mail.");
      return;
    }
    try {
      await graphql('invitationLink', { token });
    } catch (error) {
      refuse(error.message);
      return;
    }
    const form = $('accept-form');
    form.hidden = false;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      say('error', '');
      const password = $('password').value;
      if (password.length < MIN_PASSWORD_LENGTH) {
        say('error', `Le mot de passe doit contenir au moins ${MIN_PASSWORD_LENGTH} caractères.`);
        return;
      }
      if (password !== $('confirmation').value) {
        say('error', 'Les deux mots de passe ne sont pas identiques.');
        return;
      }
      $('accept-submit').disabled = true;
      try {
        session.clear(); // whoever was logged in this tab, the invitation is for someone else
        const data = await graphql('acceptInvitation', { token, password });
        forgetToken();
        session.save(data.acceptInvitation);
        const user = data.acceptInvitation.user;
        form.hidden = true;
        $('user-name').textContent = user.name;
        $('user-email').textContent = user.email;
        $('success').hidden = false;
      } catch (error) {
        say('error', error.message);
        $('accept-submit').disabled = false;
      }
    });
  }

  start();
})();
