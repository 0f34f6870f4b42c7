"""Bounces and complaints that arrive after the relay accepted a message (issue 14).

Readers (DSN/ARF mail, provider webhooks) turn what they receive into ``DeliveryEvent``
values; one set of rules (``rules``) applies any event to the store, so a webhook and a
bounce mail about the same failure end the same way.
"""
