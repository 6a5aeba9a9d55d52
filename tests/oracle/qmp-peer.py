#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""qmp-peer.py MODE SOCKET [FILES]: a fake QMP peer for test-qmp.py (from
the inputs of issue 9, cases/qmp/slow-peer.py): garbage, silent, close,
notqmp, drip (a greeting one byte every 5 s), events (a greeting, then
events every 5 s and no answer), huge (a string of 400 MB that never
ends), error, badjson, nul, garbagedump, file DUMP [FLAT] (serves two
dumps)."""
import socket, os, sys, time, json
mode, path = sys.argv[1], sys.argv[2]
try: os.unlink(path)
except OSError: pass
s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1)
GREET = b'{"QMP": {"version": {}, "capabilities": []}}\n'
c, _ = s.accept()
def rl():
    b = b''
    while not b.endswith(b'\n'):
        x = c.recv(1)
        if not x: return b
        b += x
    return b
try:
    if mode == 'garbage':
        c.sendall(os.urandom(5000)); time.sleep(1)
    elif mode == 'silent':
        time.sleep(60)
    elif mode == 'close':
        pass
    elif mode == 'notqmp':
        c.sendall(b'220 smtp ready\n'); time.sleep(2)
    elif mode == 'drip':  # one byte of greeting every 5 s, never a newline
        for ch in GREET[:-1]*10:
            c.sendall(bytes([ch])); time.sleep(5)
    elif mode == 'events':  # greeting, then endless events every 5 s
        c.sendall(GREET); rl()
        while True:
            c.sendall(b'{"event": "X", "data": {}}\n'); time.sleep(5)
    elif mode == 'huge':  # an answer that never ends: 400 MB of one string
        c.sendall(GREET); rl()
        c.sendall(b'{"return": "')
        chunk = b'A' * (1 << 20)
        for i in range(400):
            c.sendall(chunk)
        time.sleep(2)
    elif mode == 'error':
        c.sendall(GREET); rl(); c.sendall(b'{"return": {}}\n'); rl()
        c.sendall(b'{"error": {"class": "GenericError", "desc": "no \\u0041 way \\"x\\""}}\n'); time.sleep(1)
    elif mode == 'badjson':
        c.sendall(GREET); rl(); c.sendall(b'{"return": {}}\n'); rl()
        c.sendall(b'{"return": "abc\\u12"}\n'); time.sleep(1)
    elif mode == 'nul':
        c.sendall(GREET); rl(); c.sendall(b'{"return": {}}\n'); rl()
        c.sendall(b'{"return": "memory-region: system\\n  \\u0000000000000000-ffffffffffffffff (prio 0, i/o): system\\n"}\n'); rl()
        c.sendall(b'{"return": ""}\n'); time.sleep(1)
    elif mode == 'garbagedump':
        c.sendall(GREET); rl(); c.sendall(b'{"return": {}}\n'); rl()
        c.sendall(b'{"return": "' + b'\\n'.join([b'\\t\\t\\t ) ( - : garbage \\\\ \\u00ff']*1000) + b'"}\n'); rl()
        c.sendall(b'{"return": "x"}\n'); time.sleep(1)
    elif mode == 'file':  # serve a dump file (for load tests)
        dump = open(sys.argv[3]).read(); flat = open(sys.argv[4]).read() if len(sys.argv) > 4 else ''
        c.sendall(GREET); rl(); c.sendall(b'{"return": {}}\n'); rl()
        c.sendall(json.dumps({"return": dump}).encode() + b'\n'); rl()
        c.sendall(json.dumps({"return": flat}).encode() + b'\n'); time.sleep(5)
except (BrokenPipeError, ConnectionResetError) as e:
    pass
