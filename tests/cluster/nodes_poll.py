#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Polls GET /v1/nodes of several nodes (run it where they are reachable:
# the devnet client namespace, or a node's own namespace) for the cluster
# tests in tests/cluster/run.sh.
#
#   nodes_poll.py agree --token-file F [--since MS] [--timeout S]
#                 [--not-leader ID] [--min-term T] [--term T] [--ids 1,2,3]
#                 [--fresh 1] [--interval-ms MS] URL...
#       until every URL names the same leader (nonzero) and term, with
#       leader != --not-leader, term > --min-term (or == --term), the
#       leader among the nodes asked (--ids, the ids of the URLs) when
#       --ids is given, each view listing every one of --ids, and with
#       --fresh 1 none "stale";
#       prints "leader=L term=T ms=M" where M is the wall-clock time from
#       --since (unix ms, default: start) to the first poll that saw it.
#       Exit 1 after --timeout with the last disagreement.
#   nodes_poll.py watch --token-file F --seconds S [--interval-ms MS] URL
#       polls one node for S seconds; prints "polls=N answered=A
#       roles=R,... leaders=L,... terms=T,... max_term=M" (the distinct
#       values seen).
#   nodes_poll.py gone --token-file F [--timeout S] --id ID URL...
#       until no URL lists node ID as ONLINE (it expired from the view);
#       prints "ms=M".
import json
import sys
import time
import urllib.request


def token(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                return line
    raise SystemExit("no token in " + path)


def get(url, tok, timeout=1.0):
    req = urllib.request.Request(url + "/v1/nodes", headers={"Authorization": "Bearer " + tok})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode())
    except Exception as e:  # a paused, cut or killed node: no answer
        return {"error": str(e)}


def now_ms():
    return int(time.time() * 1000)


def parse(argv):
    opts = {"interval_ms": 50, "timeout": 30.0, "since": None, "not_leader": None,
            "min_term": None, "term": None, "fresh": 0, "ids": None, "seconds": 5.0, "id": None,
            "token_file": None}
    urls = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            key = a[2:].replace("-", "_")
            if key not in opts or i + 1 >= len(argv):
                raise SystemExit("nodes_poll.py: bad option " + a)
            opts[key] = argv[i + 1]
            i += 2
        else:
            urls.append(a)
            i += 1
    for k in ("interval_ms", "since", "not_leader", "min_term", "term", "id", "fresh"):
        if opts[k] is not None:
            opts[k] = int(opts[k])
    for k in ("timeout", "seconds"):
        opts[k] = float(opts[k])
    if opts["ids"] is not None:
        opts["ids"] = [int(x) for x in opts["ids"].split(",")]
    if not urls or opts["token_file"] is None:
        raise SystemExit("nodes_poll.py: need --token-file and at least one URL")
    return opts, urls


def poll_until(o, check, gave_up):
    """Calls check() every --interval-ms until it returns (None, line):
    prints line, 0.  After --timeout prints gave_up and the last reason
    check() gave: 1."""
    deadline = time.monotonic() + o["timeout"]
    while True:
        why, line = check()
        if why is None:
            print(line)
            return 0
        if time.monotonic() >= deadline:
            print(f"{gave_up} after {o['timeout']:g} s: {why}")
            return 1
        time.sleep(o["interval_ms"] / 1000.0)


def agree(o, urls, tok):
    start = o["since"] if o["since"] is not None else now_ms()

    def check():
        t_poll = now_ms()
        views = [get(u, tok) for u in urls]
        why = None
        leader = term = None
        for u, v in zip(urls, views):
            if "error" in v:
                why = f"{u}: {v['error']}"
                break
            l, t = v.get("leader") or 0, v.get("term")
            if l == 0:
                why = f"{u} knows no leader (term {t})"
                break
            if o["fresh"] and v.get("stale") is True:
                why = f"{u}: stale view (leader {l} term {t})"
                break
            if leader is None:
                leader, term = l, t
            elif (l, t) != (leader, term):
                why = f"{urls[0]} says leader {leader} term {term}, {u} leader {l} term {t}"
                break
            if o["ids"] is not None:
                have = {int(n["id"]) for n in v.get("nodes") or []}
                missing = [i for i in o["ids"] if i not in have]
                if missing:
                    why = f"{u}'s view lacks node(s) {missing}"
                    break
        if why is None:
            if o["not_leader"] is not None and leader == o["not_leader"]:
                why = f"still leader {leader} term {term}"
            elif o["min_term"] is not None and term <= o["min_term"]:
                why = f"leader {leader} in term {term}, not above {o['min_term']}"
            elif o["term"] is not None and term != o["term"]:
                why = f"leader {leader} in term {term}, expected term {o['term']}"
            elif o["ids"] is not None and leader not in o["ids"]:
                why = f"leader {leader} is not one of the nodes asked"
        return why, f"leader={leader} term={term} ms={t_poll - start}"

    return poll_until(o, check, "no agreement")


def watch(o, urls, tok):
    end = time.monotonic() + o["seconds"]
    polls = answered = 0
    roles, leaders, terms = set(), set(), set()
    while time.monotonic() < end:
        v = get(urls[0], tok)
        polls += 1
        if "error" not in v:
            answered += 1
            roles.add(str(v.get("role")))
            leaders.add(str(v.get("leader")))
            terms.add(int(v.get("term") or 0))
        time.sleep(o["interval_ms"] / 1000.0)
    print(f"polls={polls} answered={answered} roles={','.join(sorted(roles)) or '-'} "
          f"leaders={','.join(sorted(leaders)) or '-'} "
          f"terms={','.join(map(str, sorted(terms))) or '-'} max_term={max(terms, default=0)}")
    return 0


def gone(o, urls, tok):
    start = now_ms()

    def check():
        left = []
        for u in urls:
            v = get(u, tok)
            if "error" in v:
                left.append(f"{u}: {v['error']}")
                continue
            for n in v.get("nodes") or []:
                if int(n.get("id", 0)) == o["id"] and n.get("state") == "ONLINE":
                    left.append(f"{u} lists node {o['id']} ONLINE (age {n.get('ageMs')} ms)")
        return ("; ".join(left) if left else None), f"ms={now_ms() - start}"

    return poll_until(o, check, "still there")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("agree", "watch", "gone"):
        raise SystemExit("usage: nodes_poll.py agree|watch|gone --token-file F [options] URL...")
    o, urls = parse(sys.argv[2:])
    tok = token(o["token_file"])
    return {"agree": agree, "watch": watch, "gone": gone}[sys.argv[1]](o, urls, tok)


if __name__ == "__main__":
    sys.exit(main())
