#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Seeds for upcall_broker_fuzz: one byte choosing the request (bit 0
# server, bit 1 PSK, bit 2 the message carries the request's own id), then
# one message from the worker as userspace/ktlsd/upcall_wire.h lays it
# out: good lookups, signing requests and results, and the ways a hostile
# worker lies.
# Writes fuzz/corpus/upcall_broker/.
import os
import struct

LOOKUP, KEY, RESULT, SIGN = 2, 3, 4, 5
KEYPROC_MAGIC, KEY_UPCALL_SERVER = 0x6b74736b, 2
ECDSA, RSA_PKCS1, RSA_PSS = 1, 2, 3
SHA256 = 1
SUBJECT, ISSUER, SAN, DATE = 256, 256, 512, 32
RESULT_LEN = 16 + 8 + SUBJECT + ISSUER + SAN + 2 * DATE + 512


def hdr(t, length, rid=1):
    return struct.pack('=IIQ', t, length, rid)


def lookup(identity, rid=1, length=None, reserved=0):
    body = struct.pack('=II', len(identity), reserved) + identity
    return hdr(LOOKUP, length if length is not None else 16 + len(body),
               rid) + body


def field(s, size):
    return s + b'\0' * (size - len(s))


def result(status, peer=0, subject=b'CN=client', why=b'', rid=1,
           length=RESULT_LEN):
    body = struct.pack('=iI', status, peer)
    body += field(subject, SUBJECT) + field(b'CN=ca', ISSUER)
    body += field(b'DNS:localhost', SAN)
    body += field(b'2026-01-01 00:00:00 UTC', DATE) * 2
    body += field(why, 512)
    return hdr(RESULT, length, rid) + body


def sign(alg, hash_, digest, rid=1, magic=KEYPROC_MAGIC):
    body = struct.pack('=IIIII', magic, KEY_UPCALL_SERVER, alg, hash_,
                       len(digest)) + digest
    return hdr(SIGN, 16 + len(body), rid) + body


X509_CLIENT, X509_SERVER, PSK_CLIENT, PSK_SERVER = 4, 5, 6, 7
seeds = {
    'x509_ok': bytes([X509_CLIENT]) + result(0),
    'x509_peer': bytes([X509_SERVER]) + result(0, 1),
    'x509_eacces': bytes([X509_SERVER]) + result(13, why=b'bad certificate'),
    'other_request': bytes([0]) + result(0, rid=99),
    'status_negative': bytes([X509_CLIENT]) + result(-5),
    'failure_with_peer': bytes([X509_CLIENT]) + result(13, 1),
    'length_lies': bytes([X509_CLIENT]) + result(0, length=RESULT_LEN + 1),
    'unterminated_subject': bytes([X509_SERVER]) + result(0, 1, b'A' * SUBJECT),
    'psk_lookup': bytes([PSK_SERVER]) + lookup(b'NVMe0R01 host target'),
    'psk_lookup_unknown': bytes([PSK_SERVER]) + lookup(b'someone'),
    'psk_lookup_nul': bytes([PSK_SERVER]) + lookup(b'NVMe\0x'),
    'psk_lookup_reserved': bytes([PSK_SERVER]) + lookup(b'NVMe0', reserved=1),
    'psk_lookup_client': bytes([PSK_CLIENT]) + lookup(b'NVMe0R01 host'),
    'psk_server_no_key': bytes([PSK_SERVER]) + result(0),
    'psk_client_ok': bytes([PSK_CLIENT]) + result(0),
    'psk_with_peer': bytes([PSK_CLIENT]) + result(0, 1),
    'key_from_worker': bytes([X509_CLIENT]) + hdr(KEY, 88) + b'\0' * 72,
    'header_only': bytes([X509_CLIENT]) + hdr(RESULT, 16),
    'sign_ecdsa': bytes([X509_CLIENT]) + sign(ECDSA, 0, b'\x5a' * 32),
    'sign_pss': bytes([X509_SERVER]) + sign(RSA_PSS, SHA256, b'\x5a' * 32),
    'sign_pkcs1': bytes([X509_SERVER]) + sign(RSA_PKCS1, 0, b'\x30' * 51),
    'sign_bad_magic': bytes([X509_CLIENT]) + sign(ECDSA, 0, b'\x5a' * 32,
                                                  magic=0),
    'sign_odd_digest': bytes([X509_CLIENT]) + sign(ECDSA, 0, b'\x5a' * 31),
}
out = os.path.join(os.path.dirname(__file__), '..', 'corpus', 'upcall_broker')
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
