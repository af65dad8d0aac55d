#!/usr/bin/env python3
"""Derives a variant of a generated city whose signals feed differs the way another city's
might: the robustness checks of docs/rules.md and docs/certification.md.

Usage: scripts/feed_variants.py CITY OUT MODE [--seed N]

MODE is one of
  half          every signal row kept with probability 1/2
  no-counter    no BANK_COUNTER rows (a bank that does not report counter work)
  no-cards      no TELECOM or TRANSIT rows
  few-in-person half the FACE_CERT, FIELD_VISIT, GOV_SERVICE and BANK_COUNTER rows dropped
  kiosks        every FACE_CERT place rewritten to one of five kiosks of the person's region
  no-places     every place emptied except FACE_CERT's
  random-hours  every signal's time of day drawn uniformly (a feed without daily rhythms)

Every other file (and truth/) is copied unchanged; signals.csv must be plain (not gzipped).
"""
import argparse
import csv
import random
import shutil
import sys
import zlib
from pathlib import Path

IN_PERSON = {"FACE_CERT", "FIELD_VISIT", "GOV_SERVICE", "BANK_COUNTER"}


def keep_row(mode, row, rnd):
    source = row["source"]
    if mode == "half":
        return rnd.random() >= 0.5
    if mode == "no-counter":
        return source != "BANK_COUNTER"
    if mode == "no-cards":
        return source not in ("TELECOM", "TRANSIT")
    if mode == "few-in-person":
        return source not in IN_PERSON or rnd.random() >= 0.5
    return True


def rewrite_row(mode, row, rnd):
    if mode == "kiosks" and row["source"] == "FACE_CERT":
        region = row["person_id"][:4]
        row["place"] = "KIOSK-%s-%d" % (region, zlib.crc32(row["person_id"].encode()) % 5)
    elif mode == "no-places" and row["source"] != "FACE_CERT":
        row["place"] = ""
    elif mode == "random-hours":
        day = row["occurred_at"][:10]
        row["occurred_at"] = "%sT%02d:%02d:%02d" % (
            day, rnd.randrange(24), rnd.randrange(60), rnd.randrange(60))


def main():
    modes = ["half", "no-counter", "no-cards", "few-in-person", "kiosks", "no-places",
             "random-hours"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("city", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("mode", choices=modes)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    signals = args.city / "signals.csv"
    if not signals.is_file():
        sys.exit(f"{signals}: not found (gunzip a --gzip city first)")
    args.out.mkdir(parents=True, exist_ok=True)
    for item in args.city.iterdir():
        target = args.out / item.name
        if item.name == "signals.csv":
            continue
        if item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            shutil.copy2(item, target)
    rnd = random.Random(args.seed)
    kept = dropped = 0
    with open(signals, newline="", encoding="utf-8") as src, \
            open(args.out / "signals.csv", "w", newline="", encoding="utf-8") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for row in reader:
            if not keep_row(args.mode, row, rnd):
                dropped += 1
                continue
            rewrite_row(args.mode, row, rnd)
            writer.writerow(row)
            kept += 1
    print(f"{args.out}: {kept} signal rows kept, {dropped} dropped ({args.mode})")


if __name__ == "__main__":
    main()
