"""Each kind of queued email and the composer that writes it when it is sent."""

from resolvers.mail_outbox import Composer, MailKind
from resolvers.password_resets import password_reset_mail
from resolvers.webhook_alerts import endpoint_disabled_mail

COMPOSERS: dict[str, Composer] = {
    MailKind.WEBHOOK_ENDPOINT_DISABLED: endpoint_disabled_mail,
    MailKind.PASSWORD_RESET: password_reset_mail,
}
