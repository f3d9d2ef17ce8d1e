#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Ticket seeds for keyproc_fuzz (userspace/ktlsd/keyproc_wire.h): seal and
# open requests as the worker sends them, and the malformed ones the key
# process must refuse (lengths one off, no ticket, a hash, an unknown key).
# The signing seeds beside them were written by hand. Writes
# fuzz/corpus/keyproc/ticket_*.
import os
import struct

MAGIC = 0x6b74736b
SEAL, OPEN = 16, 17
SERVER = 1
HEADER = 16 + 16 + 32   # name, iv, mac
MAX = 4096


def req(key_id, op, body, hash_=0, in_len=None):
    n = len(body) if in_len is None else in_len
    return struct.pack('<IIIII', MAGIC, key_id, op, hash_, n) + body


def ticket(n):
    return bytes((i * 7) & 0xff for i in range(n))


def sealed(n):
    return b'N' * 16 + b'I' * 16 + b'M' * 16 + bytes(16) + ticket(n)


SEEDS = {
    'ticket_seal': req(SERVER, SEAL, ticket(200)),
    'ticket_seal_max': req(SERVER, SEAL, ticket(MAX)),
    'ticket_seal_too_long': req(SERVER, SEAL, ticket(MAX + 1)),
    'ticket_seal_empty': req(SERVER, SEAL, b''),
    'ticket_seal_length_lies': req(SERVER, SEAL, ticket(200), in_len=201),
    'ticket_seal_hash': req(SERVER, SEAL, ticket(200), hash_=1),
    'ticket_open': req(SERVER, OPEN, sealed(200)),
    'ticket_open_max': req(SERVER, OPEN, sealed(MAX)),
    'ticket_open_header_only': req(SERVER, OPEN, sealed(0)),
    'ticket_open_short': req(SERVER, OPEN, sealed(200)[:HEADER - 1]),
    'ticket_open_length_lies': req(SERVER, OPEN, sealed(200), in_len=HEADER + 199),
    'ticket_unknown_key': req(2, OPEN, sealed(200)),
    'ticket_key_zero': req(0, SEAL, ticket(200)),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus',
                   'keyproc')
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
