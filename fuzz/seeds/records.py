#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Seeds for records_fuzz (see its header for the layout): what a peer
# sends after the switch, as kernel TLS hands it over record by record.
# NewSessionTicket as a TLS 1.3 server sends it (RFC 8446 4.6.1: lifetime,
# age_add, nonce, ticket, extensions with early_data), KeyUpdate (4.6.3),
# TLS 1.2 HelloRequest, alerts, data. Writes fuzz/corpus/records/.
import os
import struct

ALERT, HANDSHAKE, DATA, ERROR, NO_CMSG = 21, 22, 23, 0xff, 0xfe
SESSION, TLS12, SERVER, TX = 1, 2, 4, 8
EAGAIN, EBADMSG, EINTR = 0, 1, 2


def rec(t, payload):
    return struct.pack('>BH', t, len(payload)) + payload


def hs(t, body):
    return struct.pack('>B', t) + len(body).to_bytes(3, 'big') + body


def nst(nonce=0, ticket_len=160, early=True):
    ext = struct.pack('>HHI', 42, 4, 16384) if early else b''
    body = struct.pack('>II', 7200, 0x5a17c0de) + bytes([1, nonce]) + \
        struct.pack('>H', ticket_len) + bytes(i % 256 for i in range(ticket_len)) + \
        struct.pack('>H', len(ext)) + ext
    return hs(4, body)


def seed(flags, bufsize, *records):
    return bytes([flags, bufsize]) + b''.join(records)


data = rec(DATA, b'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
ticket = nst()
seeds = {
    'tls13-ticket-then-data': seed(SESSION | TX, 255, rec(HANDSHAKE, ticket), data),
    'tls13-two-tickets': seed(SESSION | TX, 255, rec(HANDSHAKE, nst(0)),
                              rec(HANDSHAKE, nst(1)), data),
    'ticket-two-messages-one-record': seed(SESSION | TX, 255,
                                           rec(HANDSHAKE, nst(0) + nst(1)), data),
    'ticket-split-over-records': seed(SESSION | TX, 255, rec(HANDSHAKE, ticket[:40]),
                                      rec(HANDSHAKE, ticket[40:]), data),
    'ticket-bigger-than-buffer': seed(0, 0, rec(HANDSHAKE, nst(ticket_len=1000)), data),
    'ticket-no-session': seed(0, 10, rec(HANDSHAKE, ticket), data),
    'ticket-and-key-update-one-record': seed(SESSION | TX, 255,
                                             rec(HANDSHAKE, ticket + hs(24, b'\0')),
                                             data, rec(ALERT, b'\1\0')),
    'key-update-then-bytes': seed(SESSION | TX, 255,
                                  rec(HANDSHAKE, hs(24, b'\0') + b'\4\0'), data),
    'header-split-over-records': seed(SESSION | TX, 255,
                                      rec(HANDSHAKE, ticket + ticket[:2]),
                                      rec(HANDSHAKE, ticket[2:]), data),
    'key-update-not-requested': seed(SESSION | TX, 255, rec(HANDSHAKE, hs(24, b'\0')),
                                     data),
    'key-update-requested': seed(SESSION | TX | SERVER, 255,
                                 rec(HANDSHAKE, hs(24, b'\1')), data),
    'key-update-no-session': seed(0, 255, rec(HANDSHAKE, hs(24, b'\0'))),
    'key-update-tls12': seed(SESSION | TLS12 | TX, 255, rec(HANDSHAKE, hs(24, b'\0'))),
    'hello-request-tls12': seed(SESSION | TLS12 | TX, 255, rec(HANDSHAKE, hs(0, b'')),
                                data),
    'close-notify': seed(SESSION | TX, 255, data, rec(ALERT, b'\1\0'), data),
    'fatal-alert': seed(SESSION | TX, 255, rec(ALERT, b'\2\x28')),
    'warning-tls12-then-data': seed(SESSION | TLS12, 255, rec(ALERT, b'\1\x5a'), data),
    'alert-three-bytes': seed(0, 255, rec(ALERT, b'\2\x28\0')),
    'bad-record-mac': seed(SESSION | TX, 255, data, rec(ERROR, bytes([EBADMSG]))),
    'eagain-eintr-data': seed(0, 255, rec(ERROR, bytes([EAGAIN])),
                              rec(ERROR, bytes([EINTR])), data),
    'data-without-cmsg': seed(0, 0, rec(NO_CMSG, bytes(range(200)))),
    'heartbeat-type': seed(SESSION, 255, rec(24, b'\1\0\x10' + bytes(16))),
    'eof-without-close-notify': seed(SESSION, 255, data),
    # A message split across records, a non-blocking read stopping inside
    # it (the session keeps it; ktls_recv_fd waits), and what RFC 8446
    # refuses: data inside it, a KeyUpdate of the wrong length or with
    # request_update 2, an empty alert, a post-handshake CertificateRequest.
    'ticket-split-eagain-session': seed(SESSION | TX, 255, rec(HANDSHAKE, ticket[:9]),
                                        rec(ERROR, bytes([EAGAIN])),
                                        rec(HANDSHAKE, ticket[9:]), data),
    'ticket-split-eagain-fd': seed(TX, 255, rec(HANDSHAKE, ticket[:9]),
                                   rec(ERROR, bytes([EAGAIN])),
                                   rec(HANDSHAKE, ticket[9:]), data),
    'data-inside-split-ticket': seed(SESSION | TX, 255, rec(HANDSHAKE, ticket[:9]), data),
    'key-update-split': seed(SESSION | TX, 255, rec(HANDSHAKE, hs(24, b'\0')[:3]),
                             rec(HANDSHAKE, hs(24, b'\0')[3:]), data),
    'key-update-split-keyexpired': seed(SESSION | TX, 255, rec(HANDSHAKE, hs(24, b'\0')[:3]),
                                        rec(ERROR, bytes([4])), data),
    'key-update-wrong-length': seed(SESSION | TX, 255, rec(HANDSHAKE, hs(24, b'\0\0'))),
    'key-update-request-two': seed(SESSION | TX, 255, rec(HANDSHAKE, hs(24, b'\2'))),
    'empty-alert': seed(SESSION | TX, 255, rec(ALERT, b'')),
    'empty-handshake': seed(SESSION | TX, 255, rec(HANDSHAKE, b''), data),
    'empty-data-then-data': seed(SESSION | TX, 255, rec(DATA, b''), data),
    'certificate-request': seed(SESSION | TX, 255, rec(HANDSHAKE, hs(13, b'\0\0\0'))),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus',
                   'records')
os.makedirs(out, exist_ok=True)
for name, d in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(d)
