// Password-reset page. Without a token: asks for the email and sends the link (the answer is
// the same whether an account exists or not). With the emailed link's token: checks it as the
// page opens (a used or expired link is told before anyone types), then sets the password and
// logs in. The token leaves the address bar at once, kept in the history entry only, so that a
// reload keeps working; it is forgotten once used.
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

  function askForEmail() {
    const form = $('request-form');
    form.hidden = false;
    $('ask-again').hidden = true;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      say('error', '');
      const email = $('email').value.trim();
      $('request-submit').disabled = true;
      try {
        await graphql('requestPasswordReset', { email });
        form.hidden = true;
        $('requested-email').textContent = email;
        $('requested').hidden = false;
      } catch (error) {
        say('error', error.message);
        $('request-submit').disabled = false;
      }
    });
  }

  async function chooseNewPassword(token) {
    $('title').textContent = 'Nouveau mot de passe';
    try {
      await graphql('passwordResetLink', { token });
    } catch (error) {
      say('error', error.message);
      return;
    }
    const form = $('reset-form');
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
      $('reset-submit').disabled = true;
      try {
        session.clear();
        const data = await graphql('resetPassword', { token, password });
        forgetToken();
        session.save(data.resetPassword);
        form.hidden = true;
        $('user-name').textContent = data.resetPassword.user.name;
        $('success').hidden = false;
      } catch (error) {
        say('error', error.message);
        $('reset-submit').disabled = false;
      }
    });
  }

  const token = linkToken();
  if (token) {
    chooseNewPassword(token);
  } else {
    askForEmail();
  }
})();
