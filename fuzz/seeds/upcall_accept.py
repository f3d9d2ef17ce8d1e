#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Seeds for upcall_accept_fuzz: ACCEPT replies laid out as Linux's
# net/handshake (tls_handshake_accept) and kmod/hs_tls.c build them, for
# NFS (x509, anon), nvme (psk) and the 6.17 keyring attribute, and a few
# a hostile or broken kernel side could send. Writes fuzz/corpus/upcall_accept/.
import os
import struct

SEQ, PORTID, FAMILY = 1, 4242, 0x1d
(SOCKFD, HANDLER_CLASS, MESSAGE_TYPE, TIMEOUT, AUTH_MODE, PEER_IDENTITY,
 CERTIFICATE, PEERNAME, KEYRING) = range(1, 10)
X509_CERT, X509_PRIVKEY = 1, 2
CLIENTHELLO, SERVERHELLO = 1, 2
UNAUTH, PSK, X509 = 1, 2, 3
NLA_F_NESTED = 0x8000
CMD_ACCEPT = 2


def pad(b):
    return b + b'\0' * (-len(b) % 4)


def attr(t, payload):
    return pad(struct.pack('=HH', 4 + len(payload), t) + payload)


def u32(t, v):
    return attr(t, struct.pack('=I', v & 0xffffffff))


def nest(t, *attrs):
    return attr(t | NLA_F_NESTED, b''.join(attrs))


def string(t, s):
    return attr(t, s.encode() + b'\0')


def reply(*attrs, seq=SEQ):
    body = struct.pack('=BBH', CMD_ACCEPT, 1, 0) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body), FAMILY, 0, seq, PORTID) + body


def error(err, seq=SEQ):
    # NLMSG_ERROR: the error, then the request's header (capped ack).
    req = struct.pack('=IHHII', 28, FAMILY, 0x5, seq, PORTID)
    body = struct.pack('=i', err) + req
    return struct.pack('=IHHII', 16 + len(body), 2, 0x100, seq, PORTID) + body


def cert(c=0x1234567, k=0x2345678):
    return nest(CERTIFICATE, u32(X509_CERT, c), u32(X509_PRIVKEY, k))


seeds = {
    'nfs-client-x509': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, CLIENTHELLO),
                             u32(TIMEOUT, 10000), u32(AUTH_MODE, X509),
                             cert(), string(PEERNAME, 'nfs.example.net')),
    'nfs-client-anon': reply(u32(SOCKFD, 6), u32(MESSAGE_TYPE, CLIENTHELLO),
                             u32(TIMEOUT, 10000), u32(AUTH_MODE, UNAUTH),
                             string(PEERNAME, 'localhost')),
    'nfsd-server-x509': reply(u32(SOCKFD, 7), u32(MESSAGE_TYPE, SERVERHELLO),
                              u32(TIMEOUT, 5000), u32(AUTH_MODE, X509), cert()),
    'nvme-client-psk': reply(u32(SOCKFD, 8), u32(MESSAGE_TYPE, CLIENTHELLO),
                             u32(TIMEOUT, 10000), u32(AUTH_MODE, PSK),
                             u32(PEER_IDENTITY, 0x3456789)),
    'nvme-server-psk-5': reply(u32(SOCKFD, 9), u32(MESSAGE_TYPE, SERVERHELLO),
                               u32(AUTH_MODE, PSK),
                               *[u32(PEER_IDENTITY, 0x100 + i) for i in range(5)]),
    'keyring-6.17': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, CLIENTHELLO),
                          u32(AUTH_MODE, X509), cert(),
                          string(PEERNAME, 'srv'), u32(KEYRING, 0x4567890)),
    'reply-and-ack': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, SERVERHELLO),
                           u32(AUTH_MODE, UNAUTH)) + error(0),
    'nothing-waiting': error(-11),
    'sockfd-u16': reply(attr(SOCKFD, struct.pack('=H', 5)),
                        u32(MESSAGE_TYPE, CLIENTHELLO), u32(AUTH_MODE, UNAUTH)),
    'peername-unterminated': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, CLIENTHELLO),
                                   u32(AUTH_MODE, UNAUTH),
                                   attr(PEERNAME, b'host.example')),
    'peername-too-long': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, CLIENTHELLO),
                               u32(AUTH_MODE, UNAUTH), string(PEERNAME, 'a' * 300)),
    'peer-identities-9': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, SERVERHELLO),
                               u32(AUTH_MODE, PSK),
                               *[u32(PEER_IDENTITY, i + 1) for i in range(9)]),
    'unknown-attribute': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, CLIENTHELLO),
                               u32(AUTH_MODE, UNAUTH), u32(42, 7)),
    'certificate-not-nested': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, SERVERHELLO),
                                    u32(AUTH_MODE, X509), u32(CERTIFICATE, 1)),
    'wrong-seq': reply(u32(SOCKFD, 5), u32(MESSAGE_TYPE, CLIENTHELLO),
                       u32(AUTH_MODE, UNAUTH), seq=99),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus',
                   'upcall_accept')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
