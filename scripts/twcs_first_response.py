#!/usr/bin/env python3
"""Per-brand median first-response time of the Customer Support on Twitter CSV,
computed straight from the file, independently of Firebreak, so the two can be
compared.

Definitions (the same ones Firebreak documents for its report):
- A conversation is a connected set of tweets joined by reply links
  (tweet_id -> in_response_to_tweet_id), whether or not the tweet answered is
  in the file.
- Its first inbound time is the earliest inbound tweet; its first response is
  the earliest outbound tweet at or after that time (ties: the smaller id);
  the brand is that tweet's author.
- The first-response time is the difference in seconds; the report is the
  median per brand (the mean of the two middle values for an even count).

Usage: twcs_first_response.py FILE  ->  JSON {brand: {"conversations": n, "median_seconds": s}}
"""
import csv
import io
import json
import statistics
import sys
from datetime import datetime


def main(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    # A bare carriage return inside one tweet would end a record for the csv
    # module; records end at newlines only. The text itself is not used here.
    rows = list(csv.DictReader(io.StringIO(text.replace("\r", " "))))
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    tweets = {}
    for r in rows:
        tid = r["tweet_id"].strip()
        if not tid or tid in tweets:
            continue
        at = datetime.strptime(r["created_at"], "%a %b %d %H:%M:%S %z %Y").timestamp()
        tweets[tid] = (r["inbound"] == "True", at, r["author_id"])
        find(tid)
        reply = r["in_response_to_tweet_id"].strip()
        if reply:
            union(tid, str(int(float(reply))))

    groups = {}
    for tid, t in tweets.items():
        groups.setdefault(find(tid), []).append((tid, t))
    times = {}
    for members in groups.values():
        inbound = [t[1] for _, t in members if t[0]]
        if not inbound:
            continue
        first_in = min(inbound)
        replies = sorted((t[1], int(tid), t[2]) for tid, t in members if not t[0] and t[1] >= first_in)
        if replies:
            at, _, brand = replies[0]
            times.setdefault(brand, []).append(at - first_in)
    report = {b: {"conversations": len(v), "median_seconds": statistics.median(v)} for b, v in sorted(times.items())}
    json.dump(report, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main(sys.argv[1])
