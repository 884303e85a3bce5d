#!/usr/bin/env python3
# Copyright (c) 2026 The kovn Authors.  Licensed under the Apache License,
# Version 2.0; see LICENSE.
"""Where kovn-daemon's CNI ADDs spent their time, from its log.

kovn-daemon logs each ADD's answer with the milliseconds of each phase:

  ADD default/bs7 (bs7) done in 41 ms (annotations 0, veth 9, ovs-port 3,
  ofport 12, ovn-installed 17, answer 0 ms)

For the ADDs of pods whose names match PATTERN (a regular expression, e.g.
'bs\\d+'), this prints each phase's median and maximum, the phases of the
pods named with --at (e.g. the 1st, 100th and 200th on the switch), and the
slowest ADDs, so that a stall always says where its time went.  It also
splits each ADD in two: the time kovn-daemon waited for ovs-vswitchd and
ovn-controller (ofport + ovn-installed) and the rest, kovn's own.

  bench/cni_phases.py LOG PATTERN [--at bs0,bs99,bs199] [--slowest 5]
"""

import argparse
import re
import statistics

LINE = re.compile(r'(ADD) (?P<ns>[^/ ]+)/(?P<pod>\S+) \((?P<cid>[^)]*)\) '
                  r'(?:done in|failed after) (?P<ms>\d+) ms'
                  r'(?: \((?P<phases>[^)]*) ms\))?')
PHASES = ['annotations', 'veth', 'ovs-port', 'ofport', 'ovn-installed',
          'answer']


def parse(log, pattern):
    adds = []
    want = re.compile(pattern + '$')
    with open(log, errors='replace') as f:
        for line in f:
            m = LINE.search(line)
            if not m or not want.match(m['pod']):
                continue
            phases = {}
            for part in (m['phases'] or '').split(', '):
                name, _, value = part.rpartition(' ')
                if name:
                    phases[name] = int(value)
            adds.append({'pod': m['pod'], 'ms': int(m['ms']),
                         'failed': 'failed after' in line,
                         'phases': phases})
    return adds


def fmt(add):
    parts = ', '.join('%s %d' % (p, add['phases'][p])
                      for p in PHASES if p in add['phases'])
    return '%s %d ms%s (%s)' % (add['pod'], add['ms'],
                                ' FAILED' if add['failed'] else '', parts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('log')
    ap.add_argument('pattern')
    ap.add_argument('--at', default='')
    ap.add_argument('--slowest', type=int, default=5)
    args = ap.parse_args()

    adds = parse(args.log, args.pattern)
    if not adds:
        print('no ADD of %s in %s' % (args.pattern, args.log))
        return
    summary = []
    for p in PHASES + ['total']:
        values = [a['ms'] if p == 'total' else a['phases'].get(p, 0)
                  for a in adds]
        summary.append('%s %.1f/%d' % (p, statistics.median(values),
                                       max(values)))
    print('phases of %d ADDs, median/max ms: %s' % (len(adds),
                                                   ', '.join(summary)))
    # Per ADD, then the median: the two halves' medians need not add up to
    # the total's.
    theirs = [a['phases'].get('ofport', 0) + a['phases'].get('ovn-installed', 0)
              for a in adds]
    own = [a['ms'] - t for a, t in zip(adds, theirs)]
    print('  ovs-vswitchd + ovn-controller (ofport + ovn-installed), '
          'median/max ms: %.1f/%d; kovn-daemon\'s own (the rest): %.1f/%d'
          % (statistics.median(theirs), max(theirs),
             statistics.median(own), max(own)))
    by_pod = {a['pod']: a for a in adds}
    for pod in filter(None, args.at.split(',')):
        if pod in by_pod:
            print('  at %s' % fmt(by_pod[pod]))
    for a in sorted(adds, key=lambda a: -a['ms'])[:args.slowest]:
        print('  slowest: %s' % fmt(a))


if __name__ == '__main__':
    main()
