#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# tools/vmmerge-place against a fake Prometheus (http.server on loopback)
# that gives malformed answers: bad JSON, a non-object, status "error",
# resultType matrix, a sample without the instance label, NaN and +Inf
# values, a value that is no number, HTTP 500 and 400, a refused connection.
# Each must end the tool with exit status 2 and a message naming the
# problem and the query; a good answer must give exit 0.  Prints one
# `ok NAME` or `FAIL NAME: why` per case; exits 1 if any failed.

import contextlib
import http.server
import importlib.machinery
import importlib.util
import io
import json
import os
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, '..', '..', 'tools', 'vmmerge-place')


def load_tool():
    loader = importlib.machinery.SourceFileLoader('vmmerge_place', TOOL)
    spec = importlib.util.spec_from_loader('vmmerge_place', loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def vector(samples):
    return {'status': 'success', 'data': {'resultType': 'vector',
            'result': [{'metric': m, 'value': [1.0, v]} for m, v in samples]}}


GOOD = {
    'vmmerge_up': vector([({'instance': 'a'}, '1')]),
    'vmmerge_host_resident_bytes': vector([({'instance': 'a'}, '1000')]),
}


class Fake(http.server.BaseHTTPRequestHandler):
    # What /api/v1/query answers: (HTTP status, body); default an empty vector.
    answer = None

    def do_GET(self):
        code, body = Fake.answer(self.path)
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def serve():
    srv = http.server.HTTPServer(('127.0.0.1', 0), Fake)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def answers(bad_for, bad):
    """Good answers, except for the query containing @bad_for."""
    def answer(path):
        import urllib.parse
        q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)['query'][0]
        if bad_for in q:
            return bad
        for k, v in GOOD.items():
            if q == k:
                return 200, json.dumps(v)
        return 200, json.dumps(vector([]))
    return answer


def run(tool, url, extra=()):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = tool.main(['--prometheus', url, '--stack', 'python3',
                            '--timeout', '3'] + list(extra))
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    tool = load_tool()
    srv = serve()
    url = f'http://127.0.0.1:{srv.server_port}'
    nan = vector([({'instance': 'a'}, 'NaN')])
    inf = vector([({'instance': 'a'}, '+Inf')])
    cases = [
        # name, query to break, (status, body), words the message must hold
        ('bad-json', 'vmmerge_up', (200, '{"status": "succ'),
         ['not JSON', 'vmmerge_up']),
        ('not-object', 'vmmerge_up', (200, '[1, 2]'), ['not a JSON object']),
        ('status-error', 'vmmerge_hint_allowed',
         (200, json.dumps({'status': 'error', 'errorType': 'bad_data',
                           'error': 'parse error'})),
         ['status', 'bad_data', 'parse error', 'vmmerge_hint_allowed']),
        ('no-data', 'vmmerge_up', (200, json.dumps({'status': 'success'})),
         ['no data']),
        ('matrix', 'vmmerge_hint_shareable_bytes',
         (200, json.dumps({'status': 'success', 'data': {
             'resultType': 'matrix', 'result': []}})),
         ["resultType 'matrix'", 'vector']),
        ('result-not-list', 'vmmerge_up',
         (200, json.dumps({'status': 'success', 'data': {
             'resultType': 'vector', 'result': {}}})),
         ['not a list']),
        ('missing-instance', 'vmmerge_host_saved_bytes',
         (200, json.dumps(vector([({'job': 'vmmerged'}, '1')]))),
         ['lacks label', 'instance']),
        ('missing-scope', 'vmmerge_hint_share_ratio',
         (200, json.dumps(vector([({'instance': 'a'}, '0.5')]))),
         ['lacks label', 'scope']),
        ('nan', 'vmmerge_host_resident_bytes', (200, json.dumps(nan)),
         ['NaN', 'not finite']),
        ('inf', 'vmmerge_host_saved_bytes', (200, json.dumps(inf)),
         ['not finite']),
        ('not-number', 'vmmerge_up',
         (200, json.dumps(vector([({'instance': 'a'}, 'yes')]))),
         ['not a number']),
        ('no-value', 'vmmerge_up',
         (200, json.dumps({'status': 'success', 'data': {
             'resultType': 'vector', 'result': [{'metric': {'instance': 'a'}}]}})),
         ['without [time, value]']),
        ('http-500', 'vmmerge_up', (500, 'boom'), ['HTTP 500', 'boom']),
        ('http-400', 'vmmerge_domain_isolated',
         (400, json.dumps({'status': 'error', 'error': 'bad query'})),
         ['HTTP 400', 'bad query']),
    ]
    failed = 0
    for name, where, bad, words in cases:
        Fake.answer = answers(where, bad)
        rc, _, err = run(tool, url)
        missing = [w for w in words if w not in err]
        if rc != 2 or missing or not err.startswith('vmmerge-place: '):
            failed += 1
            print(f'FAIL {name}: exit {rc}, stderr {err.strip()!r}, '
                  f'missing {missing}')
        else:
            print(f'ok {name}')
    rc, _, err = run(tool, f'http://127.0.0.1:{free_port()}')
    if rc == 2 and 'cannot reach' in err:
        print('ok refused')
    else:
        failed += 1
        print(f'FAIL refused: exit {rc}, stderr {err.strip()!r}')
    Fake.answer = answers('\0', None)
    rc, out, err = run(tool, url, ['--json'])
    try:
        doc = json.loads(out)
        good = rc == 0 and [h['host'] for h in doc['hosts']] == ['a']
    except ValueError:
        good = False
    if good:
        print('ok good-answer')
    else:
        failed += 1
        print(f'FAIL good-answer: exit {rc}, out {out!r}, err {err!r}')
    rc, _, err = run(tool, url, ['--capacity', 'lots'])
    if rc == 2 and 'bad size' in err:
        print('ok bad-capacity')
    else:
        failed += 1
        print(f'FAIL bad-capacity: exit {rc}, stderr {err.strip()!r}')
    srv.shutdown()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
