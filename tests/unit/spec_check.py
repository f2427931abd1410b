#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Copyright (C) 2026 The vmmerge developers.
#
# Hold Documentation/netlink/vmmerge.yaml to include/uapi/linux/vmmerge.h:
# every enum of the header must be described by the spec with the same C
# names and values (and vice versa), the family, version and multicast
# defines must agree, the attribute types the header's comment states must
# match, the spec must be consistent with itself, and the names nlcall uses
# (tests/tools/nlschema.c) must be the spec's.  Prints what it checked and
# exits 1 on any disagreement.
#
#   spec_check.py [HEADER YAML [NLSCHEMA]]

import os
import re
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
HEADER = os.path.join(TOP, 'include/uapi/linux/vmmerge.h')
SPEC = os.path.join(TOP, 'Documentation/netlink/vmmerge.yaml')
NLSCHEMA = os.path.join(TOP, 'tests/tools/nlschema.c')

# What the header's comment calls a type, and the spec types that fit it.
NLA_TYPES = {
    'NLA_U8': {'u8'}, 'NLA_U16': {'u16'}, 'NLA_U32': {'u32'},
    'NLA_U64': {'u64'}, 'NLA_NUL_STRING': {'string'},
    'NLA_STRING': {'string'}, 'NLA_FLAG': {'flag'},
    'NLA_NESTED': {'nest', 'indexed-array'}, 'NLA_BINARY': {'binary'},
}

# nlcall's types for each spec type.
NLS_TYPES = {
    'u8': 'NLS_U8', 'u16': 'NLS_U16', 'u32': 'NLS_U32', 'u64': 'NLS_U64',
    'string': 'NLS_STR', 'flag': 'NLS_FLAG', 'pad': 'NLS_PAD',
    'nest': 'NLS_NEST', 'indexed-array': 'NLS_ARRAY', 'binary': 'NLS_BIN',
}

errors = []
nlcall_names = 0


def fail(msg):
    errors.append(msg)


def c_upper(name):
    return name.upper().replace('-', '_')


def c_lower(name):
    return name.lower().replace('-', '_')


# ---- the header ----------------------------------------------------------

def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', ' ', text, flags=re.S)
    return re.sub(r'//[^\n]*', ' ', text)


def c_eval(expr, known):
    """Value of a constant C expression made of numbers and known names."""
    expr = re.sub(r'\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\b', r'\1', expr)
    expr = re.sub(r'\b[A-Za-z_]\w*\b',
                  lambda m: str(known[m.group(0)]) if m.group(0) in known
                  else m.group(0), expr)
    if not re.fullmatch(r'[\s0-9a-fA-FxX()<>|&+\-~*]*', expr):
        raise ValueError('cannot evaluate "%s"' % expr)
    return int(eval(expr, {'__builtins__': {}}))


def parse_enums(code, known):
    """{enum name: [(entry, value), ...]} in header order."""
    enums = {}
    for m in re.finditer(r'\benum\s+(\w+)\s*\{(.*?)\}\s*;', code, re.S):
        entries, value = [], -1
        for item in m.group(2).split(','):
            item = item.strip()
            if not item:
                continue
            name, _, expr = (s.strip() for s in item.partition('='))
            value = c_eval(expr, known) if expr else value + 1
            known[name] = value
            entries.append((name, value))
        enums[m.group(1)] = entries
    return enums


def parse_defines(code, known):
    defines = {}
    for m in re.finditer(r'^\s*#\s*define\s+(\w+)[ \t]+([^\n]+)$', code,
                         re.M):
        name, body = m.group(1), m.group(2).strip()
        if body.startswith('"'):
            defines[name] = body.strip('"')
            continue
        try:
            defines[name] = known[name] = c_eval(body, known)
        except (ValueError, SyntaxError):
            defines[name] = body
    return defines


def comment_types(text):
    """{C attribute name: NLA type} as stated in the header's comment."""
    found = {}
    for m in re.finditer(r'\b(VMMERGE_A_\w+):\s*(NLA_\w+)', text):
        found[m.group(1)] = m.group(2)
    return found


def load_header(path):
    text = open(path).read()
    code = strip_comments(text)
    known = {}
    enums = parse_enums(code, known)
    defines = parse_defines(code, known)
    return enums, defines, comment_types(text)


# ---- spec against header --------------------------------------------------

def compare_enum(what, header_enums, enum_name, want):
    """Compare the header's enum with the (name, value) list @want; the
    header may add a leading X_UNSPEC = 0 and trailing __X sentinels."""
    if enum_name not in header_enums:
        fail('%s: enum %s not in the header' % (what, enum_name))
        return
    have = [(n, v) for n, v in header_enums[enum_name]
            if not n.startswith('__')]
    if have and want and have[0][1] == 0 and want[0][1] != 0:
        if not have[0][0].endswith('_UNSPEC'):
            fail('%s: %s starts with %s = 0, not an _UNSPEC entry'
                 % (what, enum_name, have[0][0]))
        have = have[1:]
    if have == want:
        return
    for i in range(max(len(have), len(want))):
        h = have[i] if i < len(have) else ('(nothing)', None)
        w = want[i] if i < len(want) else ('(nothing)', None)
        if h != w:
            fail('%s: enum %s entry %d: header has %s = %s, spec says %s = %s'
                 % (what, enum_name, i, h[0], h[1], w[0], w[1]))
            return


def check_sentinels(enums, defines):
    """Every __X_MAX is one past the last entry; every X_MAX is __X_MAX - 1."""
    for ename, entries in enums.items():
        real = [v for n, v in entries if not n.startswith('__')]
        for n, v in entries:
            if n.startswith('__') and n.endswith('_MAX') and v != max(real) + 1:
                fail('header: %s = %d, not last entry + 1' % (n, v))
            if n.startswith('__') and n.endswith('_MAX') and \
               n[2:] in defines and defines[n[2:]] != v - 1:
                fail('header: %s is not %s - 1' % (n[2:], n))


def named_entries(d):
    return [e if isinstance(e, dict) else {'name': e} for e in d['entries']]


def check_definitions(spec, enums, defines, claimed):
    prefix = c_upper(spec['name']) + '_'
    for d in spec.get('definitions', []):
        if d['type'] == 'const':
            cname = prefix + c_upper(d['name'])
            if defines.get(cname) != d['value']:
                fail('const %s: header says %s, spec %s'
                     % (cname, defines.get(cname), d['value']))
            continue
        ename = c_lower(d.get('enum-name', spec['name'] + '-' + d['name']))
        nprefix = c_upper(d.get('name-prefix',
                                spec['name'] + '-' + d['name'] + '-'))
        start = d.get('value-start', 0)
        want = []
        for i, e in enumerate(named_entries(d)):
            v = e.get('value', start + i)
            want.append((nprefix + c_upper(e['name']),
                         1 << v if d['type'] == 'flags' else v))
        compare_enum('definition ' + d['name'], enums, ename, want)
        claimed.add(ename)


def attr_entries(aset):
    want, value = [], 0
    prefix = c_upper(aset['name-prefix'])
    for a in aset['attributes']:
        value = a.get('value', value + 1)
        want.append((prefix + c_upper(a['name']), value, a))
    return want


def check_attr_set(aset, enums, defines, claimed, types):
    what = 'attribute-set ' + aset['name']
    for key in ('enum-name', 'name-prefix'):
        if key not in aset:
            fail('%s: needs %s to name the header enum' % (what, key))
            return
    ename = c_lower(aset['enum-name'])
    want = attr_entries(aset)
    compare_enum(what, enums, ename, [(n, v) for n, v, _ in want])
    claimed.add(ename)
    entries = dict(enums.get(ename, []))
    if 'attr-cnt-name' in aset and want and \
       entries.get(c_upper(aset['attr-cnt-name'])) != want[-1][1] + 1:
        fail('%s: %s is not last + 1' % (what, c_upper(aset['attr-cnt-name'])))
    if 'attr-max-name' in aset and want and \
       defines.get(c_upper(aset['attr-max-name'])) != want[-1][1]:
        fail('%s: %s is not the last attribute'
             % (what, c_upper(aset['attr-max-name'])))
    for cname, _, a in want:
        if cname in types and a['type'] not in NLA_TYPES[types[cname]]:
            fail('%s: %s is %s in the header comment, %s in the spec'
                 % (what, cname, types[cname], a['type']))


def check_operations(spec, enums, claimed):
    ops = spec['operations']
    prefix = c_upper(ops.get('name-prefix', spec['name'] + '-cmd-'))
    ename = c_lower(ops.get('enum-name', spec['name'] + '-cmd'))
    want, value = [], 0
    for op in ops['list']:
        value = op.get('value', value + 1)
        want.append((prefix + c_upper(op['name']), value))
    compare_enum('operations', enums, ename, want)
    claimed.add(ename)


def check_names(spec, defines):
    pairs = [(spec.get('c-family-name'), spec['name']),
             (spec.get('c-version-name'), spec.get('version', 1))]
    for g in spec.get('mcast-groups', {}).get('list', []):
        pairs.append((g.get('c-define-name'), g['name']))
    for define, value in pairs:
        if not define:
            continue
        if defines.get(c_upper(define)) != value:
            fail('%s: header says %r, spec %r'
                 % (c_upper(define), defines.get(c_upper(define)), value))


# ---- the spec against itself ----------------------------------------------

def check_references(spec):
    sets = {s['name']: s for s in spec['attribute-sets']}
    defs = {d['name'] for d in spec.get('definitions', [])}
    groups = {g['name'] for g in spec.get('mcast-groups', {}).get('list', [])}
    for s in spec['attribute-sets']:
        for a in s['attributes']:
            if a['type'] in ('nest', 'indexed-array') and \
               a.get('nested-attributes') not in sets:
                fail('%s.%s: nested-attributes %r unknown'
                     % (s['name'], a['name'], a.get('nested-attributes')))
            for key in ('enum',):
                if key in a and a[key] not in defs:
                    fail('%s.%s: enum %r unknown' % (s['name'], a['name'],
                                                     a[key]))
            mask = a.get('checks', {}).get('flags-mask')
            if mask and mask not in defs:
                fail('%s.%s: flags-mask %r unknown' % (s['name'], a['name'],
                                                       mask))
    for op in spec['operations']['list']:
        check_op(op, sets, groups)


def op_attr_lists(op):
    for mode in ('do', 'dump'):
        for part in ('request', 'reply'):
            yield op.get(mode, {}).get(part, {}).get('attributes', [])
    yield op.get('event', {}).get('attributes', [])


def check_op(op, sets, groups):
    name = op['name']
    aset = sets.get(op.get('attribute-set'))
    if not aset:
        fail('op %s: attribute-set %r unknown' % (name,
                                                  op.get('attribute-set')))
        return
    names = {a['name'] for a in aset['attributes']}
    for attrs in op_attr_lists(op):
        for a in attrs:
            if a not in names:
                fail('op %s: attribute %r not in %s' % (name, a,
                                                        aset['name']))
    # Everything but the host's totals (and events, which are not requests)
    # is for admins: per-VM and per-group figures describe other tenants.
    admin = name != 'get-host' and 'event' not in op
    if admin != ('admin-perm' in op.get('flags', [])):
        fail('op %s: admin-perm must be set on every request but get-host'
             % name)
    if 'event' in op and op.get('mcgrp') not in groups:
        fail('op %s: event without a known mcgrp' % name)
    if not any(k in op for k in ('do', 'dump', 'event')):
        fail('op %s: neither do, dump nor event' % name)


# ---- nlcall's table against the spec --------------------------------------

def check_nlschema(path, spec):
    """nlcall must spell every attribute and command as the spec does."""
    global nlcall_names
    if not os.path.exists(path):
        return
    text = open(path).read()
    by_cname = {}
    for s in spec['attribute-sets']:
        for cname, _, a in attr_entries(s):
            by_cname[cname] = a
    for m in re.finditer(r'\b(?:ATTR|HEX|NEST|ARRAY)\("([\w-]+)", (\w+)'
                         r'(?:, (NLS_\w+))?', text):
        nlcall_names += 1
        name, cname, nls = m.groups()
        a = by_cname.get(cname)
        if not a:
            fail('nlschema.c: %s not in the spec' % cname)
            continue
        if a['name'] != name:
            fail('nlschema.c: %s is "%s", spec says "%s"'
                 % (cname, name, a['name']))
        if nls and NLS_TYPES.get(a['type']) != nls:
            fail('nlschema.c: %s is %s, spec type %s' % (cname, nls,
                                                          a['type']))
    prefix = c_upper(spec['operations'].get('name-prefix', ''))
    ops = {prefix + c_upper(op['name']): op['name']
           for op in spec['operations']['list']}
    for m in re.finditer(r'\[(VMMERGE_CMD_\w+)\] = "([\w-]+)"', text):
        nlcall_names += 1
        if ops.get(m.group(1)) != m.group(2):
            fail('nlschema.c: %s is "%s", spec says "%s"'
                 % (m.group(1), m.group(2), ops.get(m.group(1))))


def main(argv):
    header = argv[1] if len(argv) > 1 else HEADER
    specfile = argv[2] if len(argv) > 2 else SPEC
    nlschema = argv[3] if len(argv) > 3 else NLSCHEMA
    enums, defines, types = load_header(header)
    with open(specfile) as f:
        spec = yaml.safe_load(f)
    claimed = set()

    check_sentinels(enums, defines)
    check_names(spec, defines)
    check_definitions(spec, enums, defines, claimed)
    for aset in spec['attribute-sets']:
        check_attr_set(aset, enums, defines, claimed, types)
    check_operations(spec, enums, claimed)
    for ename in enums:
        if ename not in claimed:
            fail('header: enum %s is not described in the spec' % ename)
    check_references(spec)
    check_nlschema(nlschema, spec)

    for e in errors:
        print('FAIL ' + e)
    print('spec_check: %d enums, %d stated types, %d nlcall names; %s'
          % (len(enums), len(types), nlcall_names,
             '%d problems' % len(errors) if errors else 'ok'))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
