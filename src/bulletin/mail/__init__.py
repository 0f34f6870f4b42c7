"""Digests: composition, MIME messages, DKIM, the mailer and the send/resend jobs."""
