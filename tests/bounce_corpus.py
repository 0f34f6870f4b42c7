"""Bounce mail in the shapes real systems send, built by the tests as bytes (and written as files).

Each builder takes the VERP address and Message-ID of the message it reports on, so a
test can point the report at a subscriber of its own store. The texts follow mail
seen from Postfix, Gmail, Exchange Online, Yahoo, qmail and mailbox providers'
feedback loops; only names and addresses are made up.
"""

from __future__ import annotations

from pathlib import Path

DATE = "Sun, 12 Apr 2026 05:00:00 +0000"


def _original(verp: str, recipient: str, message_id: str) -> str:
    return (
        f"Return-Path: <{verp}>\n"
        "From: =?utf-8?b?0JrQu9C40L3QuNC60LA=?= <news@clinic.example>\n"
        f"To: <{recipient}>\n"
        "Subject: =?utf-8?b?0J3QvtCy0L7RgdGC0Lg=?=\n"
        f"Message-ID: {message_id}\n"
        f"Date: {DATE}\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
    )


def postfix_hard(verp: str, recipient: str, message_id: str, bounce_id: str = "<pf1@mx.test>") -> bytes:
    """Postfix: a 5.1.1 with the whole original attached (message/rfc822)."""
    return f"""Return-Path: <>
X-Original-To: {verp}
Delivered-To: {verp}
Date: {DATE}
From: MAILER-DAEMON@mx.test (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {verp}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B1.1/mx.test"
Message-Id: {bounce_id}

This is a MIME-encapsulated message.

--B1.1/mx.test
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. This is a temporary
problem, probably (the prose says so; the status code does not).

<{recipient}>: host mx.example.org said: 550 5.1.1 user unknown

--B1.1/mx.test
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.test
X-Postfix-Sender: rfc822; {verp}
Arrival-Date: {DATE}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.org
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--B1.1/mx.test
Content-Description: Undelivered Message
Content-Type: message/rfc822

{_original(verp, recipient, message_id)}
Body.

--B1.1/mx.test--
""".encode()


def postfix_soft_headers_only(verp: str, recipient: str, message_id: str, bounce_id: str) -> bytes:
    """Postfix giving up on a full mailbox (4.2.2) after the queue lifetime; only the headers back."""
    return f"""Return-Path: <>
Delivered-To: {verp}
Date: {DATE}
From: Mail Delivery System <MAILER-DAEMON@mx.test>
Subject: Undelivered Mail Returned to Sender
To: {verp}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B2"
Message-Id: {bounce_id}

--B2
Content-Type: text/plain

<{recipient}>: mailbox full, delivery given up after 5 days

--B2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.test

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 4.2.2
Last-Attempt-Date: Sat, 11 Apr 2026 23:10:00 +0000
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full

--B2
Content-Type: text/rfc822-headers

{_original(verp, recipient, message_id)}
--B2--
""".encode()


def gmail(verp: str, recipient: str, message_id: str) -> bytes:
    """Gmail's Mail Delivery Subsystem: the reply spread over 550- continuation lines."""
    return f"""Delivered-To: {verp}
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {verp}
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
Message-ID: <gm-1@mx.google.com>
Date: {DATE}
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000gmail"; report-type=delivery-status

--000000000000gmail
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to {recipient} because the address couldn't be found.

--000000000000gmail
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Received-From-MTA: dns; relay.clinic.example
Arrival-Date: {DATE}
X-Original-Message-ID: {message_id}

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com.
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
 not exist. Please try double-checking the recipient's email address for typos
 or unnecessary spaces. 550 5.1.1 https://support.google.com/mail/?p=NoSuchUser
Last-Attempt-Date: Sun, 12 Apr 2026 05:00:03 -0700 (PDT)

--000000000000gmail
Content-Type: message/rfc822

{_original(verp, recipient, message_id)}
Body.
--000000000000gmail--
""".encode()


def exchange_online(verp: str, recipient: str, message_id: str) -> bytes:
    """Exchange Online: a three-digit detail (5.1.10) and the status part base64-encoded."""
    import base64

    status = (
        "Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com\r\n"
        f"Received-From-MTA: dns;relay.clinic.example\r\nArrival-Date: {DATE}\r\n\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\nFinal-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\nStatus: 5.1.10\r\n"
        "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP"
        " address lookup\r\n"
    )
    encoded = base64.encodebytes(status.encode()).decode()
    return f"""From: postmaster@outlook.com
To: {verp}
Date: {DATE}
Subject: Undeliverable: =?utf-8?b?0J3QvtCy0L7RgdGC0Lg=?=
Message-ID: <ex-1@AM0PR01MB1234.outlook.com>
Content-Language: en-US
Auto-Submitted: auto-replied
X-MS-Exchange-Message-Is-Ndr:
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="_ex_"

--_ex_
Content-Type: text/plain; charset="us-ascii"

Your message to {recipient} couldn't be delivered.

--_ex_
Content-Type: message/delivery-status
Content-Transfer-Encoding: base64

{encoded}
--_ex_
Content-Type: text/rfc822-headers

{_original(verp, recipient, message_id)}
--_ex_--
""".encode()


def yahoo(verp: str, recipient: str, message_id: str) -> bytes:
    """Yahoo's own text format: no delivery report at all."""
    return f"""From: MAILER-DAEMON@yahoo.com
To: {verp}
Subject: Failure Notice
Date: {DATE}
Message-ID: <yh-1@yahoo.com>

Sorry, we were unable to deliver your message to the following address.

<{recipient}>:
554: delivery error: dd This user doesn't have a yahoo.com account ({recipient}) [0] - mta1001

--- Original message follows.

{_original(verp, recipient, message_id)}
Body.
""".encode()


def qmail(verp: str, recipient: str, message_id: str) -> bytes:
    """qmail's QSBMF: prose with the original pasted below."""
    return f"""Return-Path: <>
Delivered-To: {verp}
From: MAILER-DAEMON@mail.example.kz
To: {verp}
Subject: failure notice
Date: {DATE}
Message-ID: <qm-1@mail.example.kz>

Hi. This is the qmail-send program at mail.example.kz.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{recipient}>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

{_original(verp, recipient, message_id)}
Body.
""".encode()


def multi_recipient(verp: str, failures: list[tuple[str, str]], delivered: str) -> bytes:
    """One report about several recipients (a relay that batched them): each failure its own code."""
    blocks = "\n".join(
        f"Final-Recipient: rfc822; {address}\nAction: failed\nStatus: {code}\n"
        f"Diagnostic-Code: smtp; {code.split('.')[0]}50 {code} refused\n"
        for address, code in failures
    )
    return f"""Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@relay.test>
To: {verp}
Subject: Undelivered Mail Returned to Sender
Date: {DATE}
Message-ID: <multi-1@relay.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="M"

--M
Content-Type: text/plain

Some recipients failed.

--M
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.test

{blocks}
Final-Recipient: rfc822; {delivered}
Action: delivered
Status: 2.0.0

--M--
""".encode()


def delayed(verp: str, recipient: str) -> bytes:
    """A delay warning: the relay is still trying, nothing has failed yet."""
    return f"""Return-Path: <>
From: MAILER-DAEMON@mx.test
To: {verp}
Subject: Delayed Mail (still being retried)
Date: {DATE}
Message-ID: <delay-1@mx.test>
Content-Type: multipart/report; report-type=delivery-status; boundary="D"

--D
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.test

Final-Recipient: rfc822; {recipient}
Action: delayed
Status: 4.4.1
Will-Retry-Until: Thu, 16 Apr 2026 05:00:00 +0000

--D--
""".encode()


def arf(
    verp: str, recipient: str, message_id: str, feedback: str = "abuse", arf_id: str = "<fbl-1@fbl.test>"
) -> bytes:
    """An RFC 5965 abuse report from a mailbox provider's feedback loop."""
    return f"""From: Feedback Loop <fbl@fbl.mail.example>
To: fbl-reports@clinic.example
Subject: Abuse report
Date: {DATE}
Message-ID: {arf_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain; charset="US-ASCII"

This is an email abuse report for an email message received from IP 192.0.2.1.

--F
Content-Type: message/feedback-report

Feedback-Type: {feedback}
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <{verp}>
Original-Rcpt-To: <{recipient}>
Arrival-Date: {DATE}
Reported-Domain: clinic.example
Source-IP: 192.0.2.1

--F
Content-Type: message/rfc822

{_original(verp, recipient, message_id)}
Body.
--F--
""".encode()


def out_of_office_gmail(verp: str) -> bytes:
    return f"""From: Anna <anna@example.org>
To: {verp}
Subject: Out of Office: =?utf-8?b?0J3QvtCy0L7RgdGC0Lg=?=
Date: {DATE}
Message-ID: <ooo-1@mail.gmail.com>
Auto-Submitted: auto-replied
Precedence: bulk

I am away until Monday.
""".encode()


def out_of_office_exchange(verp: str) -> bytes:
    return f"""From: Bob <bob@example.org>
To: {verp}
Subject: Automatic reply: =?utf-8?b?0J3QvtCy0L7RgdGC0Lg=?=
Date: {DATE}
Message-ID: <ooo-2@outlook.com>
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: bob@example.org

I'm out of the office.
""".encode()


def autoreply_russian_subject_only(verp: str) -> bytes:
    """Only the subject says so ("Автоответ: ..."), RFC 2047-encoded."""
    return f"""From: =?utf-8?b?0JDQvdC90LA=?= <anna@example.kz>
To: {verp}
Subject: =?utf-8?b?0JDQstGC0L7QvtGC0LLQtdGCOiDQndC+0LLQvtGB0YLQuA==?=
Date: {DATE}
Message-ID: <ooo-3@mail.example.kz>
Content-Type: text/plain; charset=utf-8

Я в отпуске до 20 апреля.
""".encode()


def personal_reply(verp: str) -> bytes:
    return f"""From: Carol <carol@example.org>
To: {verp}
Subject: Re: news
Date: {DATE}
Message-ID: <reply-1@example.org>

Thank you for the newsletter! Can I change my address?
""".encode()


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return path
